"""Shared by the cassette tests of the writing tasks: which model a cassette was recorded
with, and a live server to record against.

Replaying (``--record-mode=none``, the default, or ``once`` with the cassette present),
the model settings come from ``recorded_with.json`` beside the cassettes. Recording, they
come from ``REVIEWER_RECORD_MODEL`` (+ ``REVIEWER_RECORD_API_BASE``) for a provider, or
from the local llama.cpp server serving SmolLM2 (tests/llm_server.py), started here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def chat_only_vcr_config(base: dict[str, Any]) -> dict[str, Any]:
    """Record only the chat completions, not the local server's start-up probes, and
    replay an answer only to the very request that was recorded."""

    def keep(request: Any) -> Any:
        return request if request.path.endswith("/chat/completions") else None

    return {**base, "before_record_request": keep, "match_on": [*base["match_on"], "llm_body"]}


@contextmanager
def recorded_model(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    cassettes: Path,
    cassette: str,
    settings: dict[str, str],
) -> Iterator[dict[str, Any]]:
    """Set REVIEWER_MODEL / REVIEWER_API_BASE (and ``settings``) as recorded, or start a
    server to record against; yields the sidecar's config."""
    sidecar = cassettes / "recorded_with.json"
    mode = request.config.getoption("--record-mode")
    server = None
    recorded = (cassettes / f"{cassette}.yaml").exists() and sidecar.exists()
    replaying = mode == "none" or (mode == "once" and recorded)
    if replaying:
        config = json.loads(sidecar.read_text())
    elif os.environ.get("REVIEWER_RECORD_MODEL"):
        config = {
            "model": os.environ["REVIEWER_RECORD_MODEL"],
            "api_base": os.environ.get("REVIEWER_RECORD_API_BASE"),
            "server": "provider",
        }
    else:
        from llm_server import LocalModelServer, find_gguf

        gguf = find_gguf()
        if gguf is None:
            pytest.skip("recording needs the SmolLM2 GGUF (see tests/llm_server.py)")
        server = LocalModelServer(gguf).__enter__()
        config = {
            "model": "openai/smollm2-135m",
            "api_base": server.url,
            "server": "xllamacpp + SmolLM2-135M-Instruct.Q4_1.gguf",
        }
    if not replaying:
        cassettes.mkdir(parents=True, exist_ok=True)
        sidecar.write_text(json.dumps(config, indent=2) + "\n")
    monkeypatch.setenv("REVIEWER_MODEL", config["model"])
    if config.get("api_base"):
        monkeypatch.setenv("REVIEWER_API_BASE", config["api_base"])
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    try:
        yield config
    finally:
        if server is not None:
            server.__exit__()


def is_local(config: dict[str, Any]) -> bool:
    return "smollm2" in config["model"]
