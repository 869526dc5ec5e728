"""Chat with a tiny-chat checkpoint.

    python3 chat.py CHECKPOINT                 # interactive; empty line or Ctrl-D quits
    python3 chat.py CHECKPOINT --prompt hello  # one answer, printed
CHECKPOINT is ckpt.pt or the checkpoint directory of a job (GF_CHECKPOINT_DIR).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import BOT, USER, load_checkpoint, reply  # noqa: E402


def main():
    p = argparse.ArgumentParser(description="chat with a tiny-chat checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("--prompt", action="append", help="answer this and exit (repeatable: a multi-turn dialogue)")
    p.add_argument("--temperature", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    try:
        model, vocab, state = load_checkpoint(args.checkpoint)
    except FileNotFoundError:
        sys.exit(f"error: no checkpoint at {args.checkpoint}; train first (gigafactory submit examples/tiny-chat/job.yaml)")
    history = ""
    turns = args.prompt if args.prompt else None
    if turns is None:
        print(f"tiny-chat (step {state['step']}); empty line quits", file=sys.stderr)
    i = 0
    while True:
        if turns is not None:
            if i >= len(turns):
                break
            text = turns[i]
            i += 1
        else:
            try:
                text = input("you> ")
            except EOFError:
                break
            if not text.strip():
                break
        answer = reply(model, vocab, text, history=history, temperature=args.temperature, seed=args.seed + i)
        print(f"{USER}{text}\n{BOT}{answer}" if turns is not None else f"bot> {answer}", flush=True)
        history = (history + USER + text.strip() + "\n" + BOT + answer + "\n")[-model.context // 2:]


if __name__ == "__main__":
    main()
