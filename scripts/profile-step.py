#!/usr/bin/env python3
"""Profile one training step of a GPT-style model on one GPU, split by the causes the planner models.

The planner (src/plan) predicts a step as GEMMs + attention core + memory-bound element-wise work +
LM head and loss + optimizer. This script measures the same parts on real hardware so the model can be
checked piece by piece (`npm run compare:profile -- FILE`):

  gemm       the four linear layers of every transformer layer (QKV, output projection, FC1, FC2),
             forward, dgrad and wgrad, each timed as an isolated matrix multiply of that shape
  attention  the fused attention core (scaled_dot_product_attention, causal), forward + backward,
             per backend available (cuDNN, flash)
  layer      one whole transformer layer, forward + backward, through autograd; elementwise is
             layer - gemm - attention: norms, bias, GELU, residuals, dropout, copies and launch gaps
  layerKernels  (GPU only) the same layer's kernels under torch.profiler, summed by kind: GEMM,
             attention, and the rest (element-wise, reductions, copies), with their count; this times
             the element-wise kernels themselves, without the residual's noise
  head       LM head GEMMs and the cross-entropy over FP32 logits, as Megatron-Core computes it
  optimizer  Adam over FP32 master weights (fused where the PyTorch build has it)
  step       the whole model forward + backward + optimizer step

The model is Megatron's GPT: learned absolute positions, pre-LayerNorm with bias, linear biases,
GELU MLP of `ffn`, untied output layer, BF16 weights and activations on GPU (FP32 on CPU).
Prints one JSON object. Runs on CPU too (small shapes; used by the test suite), with PyTorch >= 1.13.
"""
import argparse
import json
import math
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--hidden', type=int, default=2048)
    p.add_argument('--layers', type=int, default=24)
    p.add_argument('--heads', type=int, default=16)
    p.add_argument('--ffn', type=int, default=0, help='FFN width (default 4 x hidden)')
    p.add_argument('--vocab', type=int, default=131072)
    p.add_argument('--seq', type=int, default=4096)
    p.add_argument('--mbs', type=int, default=4, help='sequences per micro-batch (one micro-batch per step)')
    p.add_argument('--dropout', type=float, default=0.0, help='hidden and attention dropout (Megatron default 0.1)')
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--reps', type=int, default=10)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--name', default='', help='model label in the output')
    a = p.parse_args(argv)
    a.ffn = a.ffn or 4 * a.hidden
    for field in ('hidden', 'layers', 'heads', 'ffn', 'vocab', 'seq', 'mbs', 'reps'):
        if getattr(a, field) <= 0:
            p.error(f'--{field} must be a positive integer, got {getattr(a, field)}')
    if a.hidden % a.heads:
        p.error(f'--hidden {a.hidden} is not divisible by --heads {a.heads}: use a head count that divides it')
    return a


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def timed(fn, device, warmup, reps):
    """Median seconds of fn() over reps runs after warmup runs (CUDA events on GPU, wall clock on CPU)."""
    for _ in range(warmup):
        fn()
    sync(device)
    samples = []
    for _ in range(reps):
        if device.type == 'cuda':
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            samples.append(start.elapsed_time(end) / 1e3)
        else:
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


# Substrings of CUDA kernel names, lower-cased: fused attention (cuDNN's generated SDPA kernels, FlashAttention,
# the memory-efficient CUTLASS fmha) first, then matrix multiplies (cuBLAS/cuBLASLt: xmma, nvjet, *gemm*; CUTLASS).
ATTENTION_KERNEL_MARKS = ('sdpa', 'fmha', 'flash', 'attention', 'mha')
GEMM_KERNEL_MARKS = ('gemm', 'xmma', 'nvjet', 'cutlass', 'cublas')


def kernel_kind(name):
    """'attention', 'gemm' or 'other' (element-wise, reductions, copies) for a CUDA kernel name."""
    n = name.lower()
    if any(m in n for m in ATTENTION_KERNEL_MARKS):
        return 'attention'
    if any(m in n for m in GEMM_KERNEL_MARKS):
        return 'gemm'
    return 'other'


def kernel_seconds(fn, device):
    """GPU kernel time of one fn() by kind, and the kernel count, under torch.profiler (CUDA only)."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile
    fn()
    sync(device)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        sync(device)
    split = {'gemm': 0.0, 'attention': 0.0, 'other': 0.0, 'kernelsPerLayer': 0}
    for e in prof.events():
        if e.device_type != DeviceType.CUDA:
            continue
        split[kernel_kind(e.name)] += e.time_range.elapsed_us() / 1e6
        split['kernelsPerLayer'] += 1
    return split


def attention_core(q, k, v, dropout, backend=None):
    """Causal attention on [b, heads, s, d]; the fused kernel where PyTorch has it."""
    if hasattr(F, 'scaled_dot_product_attention'):
        if backend is not None:
            from torch.nn.attention import sdpa_kernel
            with sdpa_kernel([backend]):
                return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
    # PyTorch < 2.0 (CPU CI): the unfused reference.
    s = q.shape[-2]
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    mask = torch.ones(s, s, dtype=torch.bool, device=q.device).triu(1)
    probs = F.dropout(scores.masked_fill(mask, float('-inf')).softmax(-1), dropout)
    return probs @ v


class Layer(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        h = a.hidden
        self.heads, self.dropout = a.heads, a.dropout
        self.ln1, self.ln2 = torch.nn.LayerNorm(h), torch.nn.LayerNorm(h)
        self.qkv, self.proj = torch.nn.Linear(h, 3 * h), torch.nn.Linear(h, h)
        self.fc1, self.fc2 = torch.nn.Linear(h, a.ffn), torch.nn.Linear(a.ffn, h)
        self.backend = None

    def forward(self, x):  # x: [b, s, h]
        b, s, h = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, s, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        o = attention_core(q, k, v, self.dropout if self.training else 0.0, self.backend)
        x = x + F.dropout(self.proj(o.transpose(1, 2).reshape(b, s, h)), self.dropout, self.training)
        return x + F.dropout(self.fc2(F.gelu(self.fc1(self.ln2(x)))), self.dropout, self.training)


class Gpt(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        self.tok, self.pos = torch.nn.Embedding(a.vocab, a.hidden), torch.nn.Embedding(a.seq, a.hidden)
        self.layers = torch.nn.ModuleList(Layer(a) for _ in range(a.layers))
        self.ln = torch.nn.LayerNorm(a.hidden)
        self.out = torch.nn.Linear(a.hidden, a.vocab, bias=False)

    def forward(self, tokens, labels):
        x = self.tok(tokens) + self.pos.weight[: tokens.shape[1]]
        for layer in self.layers:
            x = layer(x)
        return loss_of(self.out(self.ln(x)), labels)


def loss_of(logits, labels):
    # Megatron-Core's vocab_parallel_cross_entropy runs on logits.float().
    return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), labels.view(-1))


def main(argv):
    a = parse_args(argv)
    device = torch.device(a.device)
    dtype = torch.bfloat16 if device.type == 'cuda' else torch.float32
    torch.manual_seed(0)
    t = a.mbs * a.seq
    h, f = a.hidden, a.ffn
    w, r = a.warmup, a.reps
    out = {'config': {'name': a.name or f'gpt h{h} l{a.layers}', 'hidden': h, 'layers': a.layers, 'heads': a.heads, 'ffn': f,
                      'vocab': a.vocab, 'seq': a.seq, 'mbs': a.mbs, 'dropout': a.dropout},
           'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else f'cpu {platform.processor() or platform.machine()}',
           'dtype': str(dtype).replace('torch.', ''), 'torch': torch.__version__, 'seconds': {}, 'notes': []}
    sec = out['seconds']

    # 1. GEMMs of one layer: for each linear (in -> out) forward x.W^T, dgrad dy.W, wgrad dy^T.x.
    def gemm_time(m, n, k):
        x, y = torch.randn(m, k, device=device, dtype=dtype), torch.randn(k, n, device=device, dtype=dtype)
        return timed(lambda: x @ y, device, w, r)
    gemm_layer = 0.0
    for fin, fout in ((h, 3 * h), (h, h), (h, f), (f, h)):
        gemm_layer += gemm_time(t, fout, fin) + gemm_time(t, fin, fout) + gemm_time(fin, fout, t)
    sec['gemm'] = a.layers * gemm_layer

    # 2. Attention core, forward + backward, per available backend; the default backend counts.
    d = h // a.heads
    q, k, v = (torch.randn(a.mbs, a.heads, a.seq, d, device=device, dtype=dtype, requires_grad=True) for _ in range(3))
    go = torch.randn(a.mbs, a.heads, a.seq, d, device=device, dtype=dtype)

    def attn(backend=None):
        return lambda: attention_core(q, k, v, a.dropout, backend).backward(go)
    sec['attention'] = a.layers * timed(attn(), device, w, r)
    backends = {}
    if device.type == 'cuda' and hasattr(F, 'scaled_dot_product_attention'):
        from torch.nn.attention import SDPBackend
        for name in ('CUDNN_ATTENTION', 'FLASH_ATTENTION', 'EFFICIENT_ATTENTION'):
            try:
                backends[name.lower()] = a.layers * timed(attn(getattr(SDPBackend, name)), device, w, r)
            except (RuntimeError, AttributeError) as e:  # backend not built in, or not for this shape
                out['notes'].append(f'attention backend {name}: {str(e).splitlines()[0][:160]}')
    out['attentionBackends'] = backends
    del q, k, v, go

    # 3. One whole layer, forward + backward.
    layer = Layer(a).to(device=device, dtype=dtype)
    x = torch.randn(a.mbs, a.seq, h, device=device, dtype=dtype, requires_grad=True)
    gy = torch.randn_like(x)
    sec['layer'] = a.layers * timed(lambda: layer(x).backward(gy), device, w, r)
    sec['elementwise'] = max(0.0, sec['layer'] - sec['gemm'] - sec['attention'])
    if device.type == 'cuda':
        try:  # the layer's own kernels by kind, times the layer count like the parts above
            k = kernel_seconds(lambda: layer(x).backward(gy), device)
            out['layerKernels'] = {kind: (v if kind == 'kernelsPerLayer' else v * a.layers) for kind, v in k.items()}
        except Exception as e:  # noqa: BLE001 - a profiler problem must not lose the profile
            out['notes'].append(f'layer kernels (torch.profiler): {str(e).splitlines()[0][:160]}')
    del layer, x, gy

    # 4. LM head and loss.
    head = torch.nn.Linear(h, a.vocab, bias=False).to(device=device, dtype=dtype)
    xh = torch.randn(a.mbs, a.seq, h, device=device, dtype=dtype, requires_grad=True)
    labels = torch.randint(0, a.vocab, (a.mbs, a.seq), device=device)
    sec['head'] = timed(lambda: loss_of(head(xh), labels).backward(), device, w, r)
    del head, xh

    # 5. Whole model: forward + backward, then Adam over FP32 masters (Megatron's mixed precision).
    model = Gpt(a).to(device=device, dtype=dtype)
    params = [p for p in model.parameters()]
    masters = [p.detach().float().clone().requires_grad_(True) for p in params]
    try:
        opt = torch.optim.Adam(masters, lr=1e-4, fused=device.type == 'cuda')
    except TypeError:  # PyTorch without the fused option
        opt = torch.optim.Adam(masters, lr=1e-4)
    tokens = torch.randint(0, a.vocab, (a.mbs, a.seq), device=device)

    def optimizer_step():
        for m_, p_ in zip(masters, params):
            m_.grad = p_.grad.float() if p_.grad is not None else torch.zeros_like(m_)
        opt.step()
        with torch.no_grad():
            for m_, p_ in zip(masters, params):
                p_.copy_(m_)

    def step():
        model.zero_grad(set_to_none=False)
        model(tokens, labels).backward()
        optimizer_step()
    model.train()
    sec['step'] = timed(step, device, w, r)
    sec['optimizer'] = timed(optimizer_step, device, w, r)
    out['params'] = sum(p.numel() for p in params)
    out['tokensPerSecond'] = t / sec['step']
    if device.type == 'cuda':
        out['peakMemoryBytes'] = torch.cuda.max_memory_allocated(device)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main(sys.argv[1:])
