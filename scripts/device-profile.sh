#!/usr/bin/env bash
# The planner's device check: profiles single-GPU training steps of the Megatron-Core README models whose
# rows the planner over-predicts (R031 GPT 1.7B: hidden 2048, 24 layers; R032 GPT 7.1B at its per-GPU
# width: hidden 4096, cut to 8 layers to fit one GPU with FP32 Adam) and writes one JSON per model to
# $OUT (default ./profiles). Compare each here with `npm run compare:profile -- FILE`.
# Sized for a 15-minute device lease: about 2-4 minutes on one H100/H200.
set -euo pipefail
out="${OUT:-profiles}"
mkdir -p "$out"
py="${PYTHON:-python3}"
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit --format=csv > "$out/gpu.csv" || true
run() { # name, then profile-step.py flags; retries at half the micro-batch if the GPU runs out of memory
  local name=$1; shift
  PYTHONUNBUFFERED=1 "$py" scripts/profile-step.py --name "$name" "$@" > "$out/$name.json" 2> "$out/$name.err" \
    || PYTHONUNBUFFERED=1 "$py" scripts/profile-step.py --name "$name" "$@" --mbs 2 > "$out/$name.json" 2>> "$out/$name.err"
  echo "$name: $(grep -o '"step": [0-9.e-]*' "$out/$name.json")"
}
run gpt-1.7b --hidden 2048 --layers 24 --heads 16 --vocab 131072 --seq 4096 --mbs 4
run gpt-1.7b-dropout --hidden 2048 --layers 24 --heads 16 --vocab 131072 --seq 4096 --mbs 4 --dropout 0.1
run gpt-h4096-l8 --hidden 4096 --layers 8 --heads 32 --vocab 131072 --seq 4096 --mbs 4
