#!/usr/bin/env python3
"""Training throughput of a LLaMA in PyTorch (libtorch), the peer of `Cria.Bench train`.

Same model as Cria's ModelShapes (llama2.c sizes: RMSNorm, rotate-half RoPE, causal attention,
SwiGLU, tied embedding/classifier), same init (normal 0.02, 0.02/sqrt(2L) on o/down projections),
same step (mean cross-entropy, grad-norm clip 1.0, AdamW betas (0.9, 0.95), eps 1e-8, weight
decay 0.1 on matrices only, lr 1e-4), fp32, random tokens. Prints one JSON line.
"""
import argparse
import json
import math
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name -> (dim, layers, heads, max_seq, multiple_of), as src/Cria/Training/ModelShapes.cs
SHAPES = {
    "260k": (64, 5, 8, 512, 4),
    "15m": (288, 6, 6, 256, 32),
    "42m": (512, 8, 8, 1024, 32),
    "110m": (768, 12, 12, 1024, 32),
}


def hidden_dim(dim, multiple_of):
    # llama2.c's rule, which Cria follows: 2/3 of 4*dim, rounded up to a multiple.
    h = 2 * (4 * dim) // 3
    return (h + multiple_of - 1) // multiple_of * multiple_of


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, seq, theta=10000.0):
    inv = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    ang = torch.outer(torch.arange(seq, dtype=torch.float32), inv)
    ang = torch.cat([ang, ang], dim=-1)  # halves layout: pair i with i + head_dim/2
    return ang.cos(), ang.sin()


def apply_rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.attn_norm = RMSNorm(dim)
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.ffn_norm = RMSNorm(dim)
        self.w_gate = nn.Linear(dim, hidden, bias=False)
        self.w_up = nn.Linear(dim, hidden, bias=False)
        self.w_down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, d = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.wk(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = self.wv(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        # PyTorch 1.13 has no fused scaled_dot_product_attention: the plain form.
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Llama(nn.Module):
    def __init__(self, dim, layers, heads, hidden, vocab, seq):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, hidden) for _ in range(layers))
        self.norm = RMSNorm(dim)
        cos, sin = rope_tables(dim // heads, seq)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.register_buffer("mask", torch.ones(seq, seq, dtype=torch.bool).triu(1), persistent=False)
        residual_std = 0.02 / math.sqrt(2 * layers)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = residual_std if name.endswith(("wo.weight", "w_down.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, x, y):
        t = x.shape[1]
        h = self.embed(x)
        cos, sin, mask = self.cos[:t], self.sin[:t], self.mask[:t, :t]
        for blk in self.blocks:
            h = blk(h, cos, sin, mask)
        logits = F.linear(self.norm(h), self.embed.weight)  # tied classifier, as Cria's shapes
        return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="15m", choices=sorted(SHAPES))
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast for forward (for the record; fp32 is the comparison)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    dim, layers, heads, max_seq, multiple_of = SHAPES[a.shape]
    if a.seq > max_seq:
        raise SystemExit(f"--seq {a.seq} exceeds the {a.shape} shape's {max_seq} positions")
    model = Llama(dim, layers, heads, hidden_dim(dim, multiple_of), a.vocab, max_seq)
    params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    gen = torch.Generator().manual_seed(7)

    def step():
        seqs = torch.randint(0, a.vocab, (a.batch, a.seq + 1), generator=gen)
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            loss = model(seqs[:, :-1], seqs[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    seconds = time.perf_counter() - t0
    tokens = a.steps * a.batch * a.seq
    print(json.dumps({
        "peer": "pytorch", "torch": torch.__version__, "shape": a.shape, "params": params,
        "batch": a.batch, "seq": a.seq, "steps": a.steps, "threads": torch.get_num_threads(),
        "dtype": "bf16-autocast" if a.bf16 else "fp32",
        "blas": os.environ.get("CRIA_TORCH_BLAS", "system libblas.so.3"),
        "tokens_per_s": round(tokens / seconds, 1), "seconds": round(seconds, 3), "last_loss": round(loss, 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    }))


if __name__ == "__main__":
    main()
