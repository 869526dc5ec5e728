"""OpenAI-compatible chat server over a tiny-chat checkpoint (Python stdlib http.server + PyTorch CPU).

    python3 server.py CHECKPOINT [--port 8001] [--host 127.0.0.1] [--model tiny-chat]
    python3 server.py CHECKPOINT --eval EVAL.json --out SCORES.json   # release-gate evaluation

Endpoints: GET /v1/models, GET /health, POST /v1/chat/completions (stream true: server-sent
events, one chunk per generated character; tiny-chat's tokens are characters). The gateway
(`gigafactory serve --replica http://127.0.0.1:8001`) routes across several of these.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from model import BOT, USER, load_checkpoint  # noqa: E402

MAX_BODY_BYTES = 1 << 20
DEFAULT_MAX_TOKENS = 200


def prompt_of(messages):
    """Dialogue prompt in the corpus format; returns (prompt, error message or None)."""
    if not isinstance(messages, list) or not messages:
        return None, "messages: expected a non-empty array of {role, content}"
    text = ""
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("content", ""), str):
            return None, f"messages[{i}]: expected {{role, content: string}}"
        role, content = m.get("role"), m.get("content", "").strip()
        if role in ("user", "system", "developer"):
            text += USER + content + "\n"
        elif role == "assistant":
            text += BOT + content + "\n"
        else:
            return None, f"messages[{i}].role: got {role!r}; expected user, assistant or system"
    return text + BOT, None


class Engine:
    """One model, one lock: PyTorch CPU inference, one sequence at a time per replica."""

    def __init__(self, checkpoint):
        self.model, self.vocab, state = load_checkpoint(checkpoint)
        self.step = state.get("step")
        self.lock = threading.Lock()

    @torch.no_grad()
    def stream(self, prompt, max_tokens, temperature, seed):
        """Yields generated characters until a newline (end of the bot's turn) or max_tokens."""
        g = torch.Generator().manual_seed(seed)
        ids = self.vocab.encode(prompt)
        ctx = self.model.context
        for _ in range(max_tokens):
            with self.lock:
                logits = self.model(torch.tensor([ids[-ctx:]]))[0, -1] / max(temperature, 1e-4)
                nxt = int(torch.multinomial(F.softmax(logits, dim=-1), 1, generator=g))
            ch = self.vocab.chars[nxt]
            if ch == "\n":
                return
            ids.append(nxt)
            yield ch


def stop_list(stop):
    """`stop` as the request carries it (string, list or absent) -> non-empty sequences."""
    if isinstance(stop, str):
        return [stop] if stop else []
    return [x for x in stop if isinstance(x, str) and x] if isinstance(stop, list) else []


def finish(chars, max_tokens, stops, state):
    """Ends generated text the OpenAI way: cut before the earliest stop sequence (finish_reason
    "stop"), or "length" when max_tokens ran out. Text that could begin a stop sequence is held
    back until it can't, so a streamed stop sequence is never sent. Sets state["finish_reason"]
    and state["tokens"] (characters sent; tiny-chat's tokens are characters)."""
    pending, generated, sent = "", 0, 0
    for ch in chars:
        generated += 1
        pending += ch
        cuts = [i for i in (pending.find(s) for s in stops) if i >= 0]
        if cuts:
            out = pending[:min(cuts)]
            state.update(finish_reason="stop", tokens=sent + len(out))
            if out:
                yield out
            return
        keep = max([k for s in stops for k in range(1, len(s)) if pending.endswith(s[:k])], default=0)
        out, pending = pending[:len(pending) - keep], pending[len(pending) - keep:]
        if out:
            sent += len(out)
            yield out
    if pending:
        sent += len(pending)
        yield pending
    state.update(finish_reason="length" if generated >= max_tokens else "stop", tokens=sent)


def lstrip_first(chars):
    """Drops leading spaces (the corpus puts a space after "Bot:")."""
    started = False
    for ch in chars:
        if not started and ch == " ":
            continue
        started = True
        yield ch


def make_handler(engine, model_name):
    started = int(time.time())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: the gateway logs requests
            pass

        def send_json(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def error(self, status, message, param=None, code=None):
            self.send_json(status, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}})

        def do_GET(self):
            if self.path in ("/v1/models", "/health"):
                self.send_json(200, {"object": "list", "data": [{"id": model_name, "object": "model", "created": started, "owned_by": "tiny-chat", "step": engine.step}]})
            else:
                self.error(404, f"no route GET {self.path}")

        def do_POST(self):
            if self.path != "/v1/chat/completions":
                return self.error(404, f"no route POST {self.path}")
            try:
                length = int(self.headers.get("content-length", "0"))
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                return self.error(400 if length < 0 else 413, "bad content-length")
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except (ValueError, UnicodeDecodeError) as e:
                return self.error(400, f"request body is not valid JSON ({e})")
            if not isinstance(body, dict):
                return self.error(400, "request body must be a JSON object")
            prompt, err = prompt_of(body.get("messages"))
            if err:
                return self.error(400, err, "messages")
            max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS
            temperature = body.get("temperature", 0.5)
            if not isinstance(max_tokens, int) or max_tokens < 1 or not isinstance(temperature, (int, float)):
                return self.error(400, "max_tokens must be an integer >= 1 and temperature a number", "max_tokens")
            seed = body.get("seed") if isinstance(body.get("seed"), int) else 0
            if body.get("n") not in (None, 1):
                return self.error(400, f"n: got {body.get('n')!r}; one choice per request (n = 1)", "n")
            stops = stop_list(body.get("stop"))
            include_usage = bool((body.get("stream_options") or {}).get("include_usage")) if isinstance(body.get("stream_options"), dict) else False
            cid, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
            budget = min(max_tokens, 4096)
            state = {}
            gen = finish(lstrip_first(engine.stream(prompt, budget, float(temperature), seed)), budget, stops, state)
            usage = lambda n: {"prompt_tokens": len(prompt), "completion_tokens": n, "total_tokens": len(prompt) + n}  # noqa: E731
            if not body.get("stream"):
                text = "".join(gen).rstrip()
                return self.send_json(200, {"id": cid, "object": "chat.completion", "created": created, "model": model_name,
                                            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": state["finish_reason"]}],
                                            "usage": usage(state["tokens"])})
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True

            def event(choices, **extra):
                chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model_name, "choices": choices, **extra}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            try:
                event([{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}])
                for piece in gen:
                    event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
                event([{"index": 0, "delta": {}, "finish_reason": state["finish_reason"]}])
                if include_usage:
                    event([], usage=usage(state["tokens"]))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # client (or gateway) went away: stop generating

    return Handler


@torch.no_grad()
def evaluate(engine, spec):
    """Release-gate scores: held-out loss (mean cross-entropy per character over windows of the
    model's context) and fixed factual prompts answered greedily, each must contain `expect`."""
    model, vocab = engine.model, engine.vocab
    scores = {"checkpoint_step": engine.step}
    held_out = spec.get("held_out_text") or ""
    ids = vocab.encode(held_out)
    ctx = model.context
    losses = []
    for start in range(0, max(0, len(ids) - 1), ctx):
        window = ids[start:start + ctx + 1]
        if len(window) < 2:
            break
        x, y = torch.tensor([window[:-1]]), torch.tensor([window[1:]])
        losses.append((float(model.loss(x, y)), len(window) - 1))
    if losses:
        scores["held_out_loss"] = sum(l * n for l, n in losses) / sum(n for _, n in losses)
        scores["held_out_chars"] = sum(n for _, n in losses)
    def answer(text):
        return "".join(engine.stream(USER + text.strip() + "\n" + BOT, int(spec.get("max_answer_chars", 120)), 1e-4, 0)).strip()

    # Eval suites (factuality, refusal): answers only; the gate scores them (src/serve/eval-suites.ts).
    scores["answers"] = {p: answer(p) for p in spec.get("suite_prompts", [])}
    results = []
    for item in spec.get("prompts", []):
        answer_text = answer(item["prompt"])
        results.append({"prompt": item["prompt"], "expect": item["expect"], "answer": answer_text,
                        "pass": item["expect"].lower() in answer_text.lower()})
    scores["prompts"] = results
    if results:
        scores["prompt_pass_rate"] = sum(r["pass"] for r in results) / len(results)
    return scores


def main():
    p = argparse.ArgumentParser(description="OpenAI-compatible chat server over a tiny-chat checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--model", default="tiny-chat", help="model id reported by /v1/models")
    p.add_argument("--eval", metavar="EVAL.json", help="score the checkpoint for the release gate instead of serving")
    p.add_argument("--out", metavar="SCORES.json", help="with --eval: where to write the scores (default stdout)")
    args = p.parse_args()
    torch.set_num_threads(1)
    try:
        engine = Engine(args.checkpoint)
    except FileNotFoundError:
        sys.exit(f"error: no checkpoint at {args.checkpoint}; train first (python3 train.py)")
    if args.eval:
        with open(args.eval, encoding="utf-8") as f:
            scores = evaluate(engine, json.load(f))
        text = json.dumps(scores, indent=1)
        if args.out:
            tmp = args.out + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, args.out)
        else:
            print(text)
        return
    server = ThreadingHTTPServer((args.host, args.port), make_handler(engine, args.model))
    server.daemon_threads = True
    print(f"tiny-chat server on http://{args.host}:{server.server_address[1]} (model {args.model}, step {engine.step})", flush=True)
    endpoint_file = os.environ.get("GF_ENDPOINT_FILE")  # a serve deployment's replica: say where to reach it
    if endpoint_file:
        host = socket.getfqdn() if args.host in ("", "0.0.0.0", "::") else args.host
        with open(endpoint_file, "w", encoding="utf-8") as f:
            f.write(f"http://{host}:{server.server_address[1]}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
