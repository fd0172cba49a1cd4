"""A slow model, end to end (issue 14's acceptance): against the local model server
(tests/llm_server.py: llama.cpp serving SmolLM2-135M) paced by its ``--throttle`` proxy
to 3 tokens a second, `reviewer summarize` whose one answer takes longer than
REVIEWER_LLM_TIMEOUT completes, unretried, and stderr shows its progress.

It starts the local server, so it is skipped only when the GGUF is absent (like
tests/test_e2e_local_model.py), and takes a few minutes:
    .venv/bin/python -m pytest tests/test_e2e_slow_model.py -v
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from llm_server import LocalModelServer, serve_or_skip

PAPER_ID = "arxiv:2509.06617"
TOKENS_PER_S = 3
TIMEOUT_S = 15


@pytest.fixture(scope="module")
def slow_server() -> Iterator[LocalModelServer]:
    yield from serve_or_skip(throttle=TOKENS_PER_S)


@pytest.mark.slow
def test_summarize_on_a_throttled_model_outlasts_the_timeout(
    seeded_home: Path, slow_server: LocalModelServer
) -> None:
    env = {
        "REVIEWER_MODEL": "openai/smollm2-135m",
        "REVIEWER_API_BASE": slow_server.url,
        "REVIEWER_LLM_TIMEOUT": str(TIMEOUT_S),
        "REVIEWER_LLM_REASKS": "0",  # one answer: its time is the measure
        "REVIEWER_MAX_TOKENS": "400",
        "REVIEWER_CONCURRENCY": "1",
    }

    started = time.monotonic()
    result = run_cli("summarize", "--ids", PAPER_ID, "--json", env=env)
    elapsed = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "error:" not in result.stderr
    logs = json.loads(run_cli("logs", "--json", "-n", "0", check=True).stdout)
    calls = [r for r in logs if not r["cache_hit"]]
    # One request, answered (valid or not): no timeout, no retry.
    assert len(calls) == 1 and calls[0]["status"] in ("ok", "invalid"), calls
    seconds = calls[0]["latency_ms"] / 1000
    assert seconds > TIMEOUT_S and elapsed > TIMEOUT_S
    # The pace held: at most the throttle's rate (a little slack for the timer).
    assert calls[0]["output_tokens"] / seconds < TOKENS_PER_S * 1.2
    # Progress on stderr (not a terminal: a line every 15 s).
    progress = re.findall(
        rf"openai/smollm2-135m \({re.escape(PAPER_ID)}\): (\d+) tokens, [\d.]+ tok/s",
        result.stderr,
    )
    assert len(progress) >= 1, result.stderr
    counts = [int(n) for n in progress]
    assert counts == sorted(counts) and counts[0] > 0
