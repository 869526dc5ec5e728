"""Data-parallel training of the tiny chat model with torch.distributed (gloo, CPU).

Launched once per rank by the control plane's executor with the torchrun environment
(MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK) plus GF_CHECKPOINT_DIR, GF_ATTEMPT,
GF_HEARTBEAT_FILE and GF_CHECKPOINT_DONE_FILE. Resumes from GF_CHECKPOINT_DIR/ckpt.pt when
present: the step count continues and the optimizer state is restored. Rank 0 writes
checkpoints atomically, then reports each one by writing its step to GF_CHECKPOINT_DONE_FILE.

Run alone (one rank, no control plane): python3 train.py --steps 50
"""
import argparse
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import TinyChat, Vocab, initial_loss, parameter_count, read_corpus, save_checkpoint  # noqa: E402


def env_int(name, default):
    return int(os.environ.get(name, default))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=env_int("TINYCHAT_STEPS", 300), help="total optimizer steps")
    p.add_argument("--batch", type=int, default=env_int("TINYCHAT_BATCH", 16), help="sequences per rank per step")
    p.add_argument("--context", type=int, default=env_int("TINYCHAT_CONTEXT", 64))
    p.add_argument("--dim", type=int, default=env_int("TINYCHAT_DIM", 64))
    p.add_argument("--layers", type=int, default=env_int("TINYCHAT_LAYERS", 2))
    p.add_argument("--lr", type=float, default=float(os.environ.get("TINYCHAT_LR", "3e-3")))
    p.add_argument("--ckpt-every", type=int, default=env_int("TINYCHAT_CKPT_EVERY", 50), help="steps between checkpoints")
    p.add_argument("--log-every", type=int, default=env_int("TINYCHAT_LOG_EVERY", 10))
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--corpus", default=None)
    return p.parse_args()


def batch(data, step, rank, world, args):
    """Each (step, rank) draws its own sequences: together the ranks see world x batch sequences."""
    g = torch.Generator().manual_seed(args.seed * 1_000_003 + step * world + rank)
    starts = torch.randint(0, len(data) - args.context - 1, (args.batch,), generator=g)
    x = torch.stack([data[s:s + args.context] for s in starts])
    y = torch.stack([data[s + 1:s + 1 + args.context] for s in starts])
    return x, y


def main():
    args = parse_args()
    torch.set_num_threads(1)
    rank, world = env_int("RANK", 0), env_int("WORLD_SIZE", 1)
    if world > 1:
        dist.init_process_group("gloo", rank=rank, world_size=world)
    ckpt_dir = os.environ.get("GF_CHECKPOINT_DIR", os.path.join(os.getcwd(), "checkpoints"))
    os.makedirs(ckpt_dir, exist_ok=True)
    ckpt_path = os.path.join(ckpt_dir, "ckpt.pt")
    heartbeat = os.environ.get("GF_HEARTBEAT_FILE")
    checkpoint_done = os.environ.get("GF_CHECKPOINT_DONE_FILE")  # touched after each completed checkpoint

    text = read_corpus(args.corpus) if args.corpus else read_corpus()
    torch.manual_seed(args.seed)  # same initial weights on every rank
    step, losses = 0, []
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, map_location="cpu")
        vocab = Vocab(state["chars"])
        model = TinyChat(**state["config"])
        model.load_state_dict(state["model"])
        step, losses = state["step"], state["losses"]
        opt_state = state["optimizer"]
    else:
        vocab = Vocab(text)
        model = TinyChat(len(vocab), dim=args.dim, layers=args.layers, context=args.context)
        opt_state = None
    data = torch.tensor(vocab.encode(text), dtype=torch.long)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    if opt_state is not None:
        opt.load_state_dict(opt_state)
    ddp = DDP(model) if world > 1 else model
    attempt = os.environ.get("GF_ATTEMPT", "1")
    if rank == 0:
        how = f"resumed from step {step}" if step > 0 else "from scratch"
        print(f"tiny-chat: attempt {attempt}, {world} rank(s), {parameter_count(model)} parameters, vocab {len(vocab)}, "
              f"corpus {len(text)} chars, {how}; target {args.steps} steps (uniform-guess loss {initial_loss(len(vocab)):.2f})", flush=True)

    # Progress contract (docs/readme/planned-jobs.md): rank 0 appends "step=N tokens=T time=S" to
    # GF_PROGRESS_FILE (T: tokens trained so far by all ranks), so the plane can measure the run.
    progress = os.environ.get("GF_PROGRESS_FILE") if rank == 0 else None
    tokens_per_step = world * args.batch * args.context
    t0 = time.time()
    while step < args.steps:
        x, y = batch(data, step, rank, world, args)
        loss = model_loss(ddp, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # DDP all-reduces (averages) gradients across ranks here
        opt.step()
        step += 1
        value = loss.detach().clone()
        if world > 1:
            dist.all_reduce(value)
            value /= world
        if heartbeat:
            with open(heartbeat, "a"):
                os.utime(heartbeat)
        if progress:
            with open(progress, "a") as f:
                f.write(f"step={step} tokens={step * tokens_per_step} time={time.time():.3f}\n")
        if rank == 0 and (step % args.log_every == 0 or step == args.steps):
            losses.append([step, round(float(value), 4)])
            print(f"step {step} loss {float(value):.4f} ({time.time() - t0:.1f}s)", flush=True)
        if rank == 0 and (step % args.ckpt_every == 0 or step == args.steps):
            save_checkpoint(ckpt_path, model, opt, vocab, step, losses)
            if checkpoint_done:  # report it: the plane charges a preemption only the work since now
                with open(checkpoint_done, "w") as f:
                    f.write(f"{step}\n")
            print(f"checkpoint saved at step {step}: {ckpt_path}", flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        print(f"done: {step} steps; chat with: /usr/bin/python3 {os.path.join(os.path.dirname(os.path.abspath(__file__)), 'chat.py')} {ckpt_path}", flush=True)


def model_loss(ddp, x, y):
    """Forward through the DDP wrapper (so gradients are synchronised), loss on the logits."""
    logits = ddp(x)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


if __name__ == "__main__":
    main()
