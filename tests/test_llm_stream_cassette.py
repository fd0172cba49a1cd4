"""A streamed (server-sent events) answer recorded in a cassette and replayed.

The cassette ``cassettes/test_llm_stream_cassette/standin_streamed_answer.yaml`` was
recorded from the hand-written fault stand-in server (tests/fault_server.py), streaming a
hand-written answer piece by piece: it is not a model's answer, only proof that vcrpy and
the ``llm_body`` matcher (tests/conftest.py) replay a streamed response, so the writing
tasks' cassettes replay once they are re-recorded against a streaming server. Re-record:
    rm cassettes/test_llm_stream_cassette/*
    .venv/bin/python -m pytest tests/test_llm_stream_cassette.py --record-mode=once
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from cassette_model import chat_only_vcr_config
from conftest import llm_request_body
from fault_server import FaultServer, pieces
from pydantic import BaseModel

from reviewer.llm.client import LLMClient
from reviewer.llm.db import LLMDatabase
from reviewer.progress import CollectingReporter
from reviewer.prompts import RenderedPrompt
from reviewer.settings import load_settings

ANSWER = json.dumps({"text": "a hand-written answer, streamed by the stand-in"})
PROMPT = RenderedPrompt(
    "standin_stream",
    1,
    (
        {"role": "system", "content": "Answer in JSON."},
        {"role": "user", "content": "Say something short."},
    ),
)


class Short(BaseModel):
    text: str


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return chat_only_vcr_config(vcr_config)


@pytest.fixture
def default_cassette_name() -> str:
    return "standin_streamed_answer.yaml"


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    """The stand-in, streaming the answer one piece every 0.1 s when recording."""
    with FaultServer([("slow", ANSWER, 0.1)]) as server:
        monkeypatch.setenv("REVIEWER_MODEL", "openai/standin")
        monkeypatch.setenv("REVIEWER_API_BASE", server.url)
        monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "5")
        yield server


@pytest.mark.vcr
def test_a_streamed_answer_replays_from_a_cassette(
    standin: FaultServer, request: pytest.FixtureRequest
) -> None:
    settings = load_settings()
    reporter = CollectingReporter()
    client = LLMClient(settings, LLMDatabase(settings.llm_db_path), reporter=reporter)

    outcome = client.structured(PROMPT, Short, context={}, task="standin", subject="p1")

    assert outcome.value is not None and outcome.value.text == json.loads(ANSWER)["text"]
    assert client.streams  # replayed as a stream, not through the unstreamed fallback
    _, count, _, done = reporter.streamed[-1]
    assert done and count == len(pieces(ANSWER))
    row = client.db.calls()[0]
    assert (row["status"], row["input_tokens"], row["output_tokens"]) == (
        "ok",
        20,
        len(pieces(ANSWER)),
    )
    if request.config.getoption("--record-mode") == "none":
        assert standin.requests == []  # the answer came from the cassette


def test_an_unstreamed_recording_does_not_match_a_streamed_request() -> None:
    def recorded(body: dict[str, Any]) -> Any:
        return SimpleNamespace(body=json.dumps(body).encode())

    asked = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    llm_request_body(recorded({**asked, "stream": True}), recorded({"stream": True, **asked}))
    with pytest.raises(AssertionError, match="differs from the recorded one"):
        llm_request_body(recorded(asked), recorded({**asked, "stream": True}))
