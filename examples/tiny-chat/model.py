"""Tiny character-level transformer chat model (PyTorch, CPU is enough).

Importable by train.py, chat.py and the serving gateway (server.py):
    model, vocab, meta = load_checkpoint(path)
    text = reply(model, vocab, "hello")
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus.txt")
# Dialogue format of the corpus: one turn per line.
USER, BOT = "User: ", "Bot: "


class Vocab:
    """Characters of the corpus; unknown characters map to a space."""

    def __init__(self, chars):
        self.chars = sorted(set(chars) | {" ", "\n"})
        self.index = {c: i for i, c in enumerate(self.chars)}

    def encode(self, text):
        space = self.index[" "]
        return [self.index.get(c, space) for c in text]

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)

    def __len__(self):
        return len(self.chars)


def read_corpus(path=CORPUS):
    with open(path, encoding="utf-8") as f:
        return f.read()


class Block(nn.Module):
    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(dropout))

    def forward(self, x, mask):
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
        x = x + a
        return x + self.mlp(self.ln2(x))


class TinyChat(nn.Module):
    """Decoder-only transformer over characters (pre-norm blocks, learned positions)."""

    def __init__(self, vocab_size, dim=96, layers=3, heads=4, context=128, dropout=0.0):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, dim=dim, layers=layers, heads=heads, context=context, dropout=dropout)
        self.context = context
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(context, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, dropout) for _ in range(layers))
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)

    def forward(self, idx):
        t = idx.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        x = self.tok(idx) + self.pos(torch.arange(t))
        for b in self.blocks:
            x = b(x, mask)
        return self.head(self.ln(x))

    def loss(self, x, y):
        logits = self(x)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def save_checkpoint(path, model, optimizer, vocab, step, losses):
    """Writes atomically (tmp + rename): a kill mid-save leaves the previous checkpoint intact."""
    state = {
        "model": model.state_dict(), "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "config": model.config, "chars": vocab.chars, "step": step, "losses": losses,
    }
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path):
    """Returns (model in eval mode, vocab, raw checkpoint dict). `path` may be a file or a checkpoint dir."""
    if os.path.isdir(path):
        path = os.path.join(path, "ckpt.pt")
    state = torch.load(path, map_location="cpu")
    model = TinyChat(**state["config"])
    model.load_state_dict(state["model"])
    model.eval()
    return model, Vocab(state["chars"]), state


@torch.no_grad()
def generate(model, vocab, prompt, max_new_chars=200, temperature=0.8, seed=0, stop="\n"):
    """Samples characters after `prompt` until `stop` (or max_new_chars); returns the new text."""
    g = torch.Generator().manual_seed(seed)
    ids = vocab.encode(prompt)
    out = []
    for _ in range(max_new_chars):
        x = torch.tensor([ids[-model.context:]])
        logits = model(x)[0, -1] / max(temperature, 1e-4)
        nxt = int(torch.multinomial(F.softmax(logits, dim=-1), 1, generator=g))
        ch = vocab.chars[nxt]
        if stop and ch == stop:
            break
        ids.append(nxt)
        out.append(ch)
    return "".join(out)


def reply(model, vocab, user_text, history="", **kw):
    """One chat turn: the bot's answer to `user_text` given earlier turns in `history`."""
    prompt = history + USER + user_text.strip() + "\n" + BOT
    return generate(model, vocab, prompt, **kw).strip()


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def initial_loss(vocab_size):
    """Cross-entropy of a uniform guess: where an untrained model starts."""
    return math.log(vocab_size)
