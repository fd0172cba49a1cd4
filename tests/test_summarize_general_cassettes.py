"""The default summary profile (general) on papers from outside medicine, replayed from a
cassette recorded against the local llama.cpp server (SmolLM2-135M, tests/llm_server.py).

The papers are two software-testing papers from a real arXiv API response
(tests/data/real/arxiv_api_query_testing_100.xml). Re-record (the test starts the server):
    rm cassettes/test_summarize_general_cassettes/*
    .venv/bin/python -m pytest tests/test_summarize_general_cassettes.py --record-mode=once
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cassette_model import chat_only_vcr_config
from cassette_model import recorded_model as recorded_model_for
from conftest import REAL, ROOT

from reviewer.corpus.readers import read_file
from reviewer.llm.client import LLMClient
from reviewer.llm.db import LLMDatabase
from reviewer.profiles import load_profile
from reviewer.settings import load_settings
from reviewer.tasks.summarize import summarize_papers

CASSETTES = ROOT / "cassettes" / "test_summarize_general_cassettes"
CASSETTE = "summarize_two_software_testing_papers"
PAPER_IDS = ("arxiv:2604.03438", "arxiv:2101.09077")
# What the general profile asks, written out by hand.
GENERAL_FIELDS = {
    "problem",
    "contribution",
    "method",
    "task",
    "datasets",
    "metrics",
    "findings",
    "limitations",
    "code",
}


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return chat_only_vcr_config(vcr_config)


@pytest.fixture
def default_cassette_name() -> str:
    return f"{CASSETTE}.yaml"


@pytest.fixture
def recorded_model(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    settings = {
        "REVIEWER_LLM_REASKS": "1",
        "REVIEWER_MAX_TOKENS": "1024",
        "REVIEWER_LLM_TIMEOUT": "900",
    }
    with recorded_model_for(request, monkeypatch, CASSETTES, CASSETTE, settings) as config:
        yield config


def _papers() -> list[Any]:
    _fmt, papers = read_file(Path(REAL) / "arxiv_api_query_testing_100.xml")
    by_id = {p.id: p for p in papers}
    return [by_id[pid] for pid in PAPER_IDS]


@pytest.mark.vcr
def test_the_general_profile_asks_and_stores_no_field_of_medicine(
    recorded_model: dict[str, Any], vcr: Any
) -> None:
    settings = load_settings()
    db = LLMDatabase(settings.llm_db_path)
    report = summarize_papers(LLMClient(settings, db), _papers(), concurrency=1)
    general = load_profile("general")
    assert [s.paper_id for s in report.summaries] == list(PAPER_IDS)
    for summary in report.summaries:
        stored = summary.model_dump(mode="json")
        assert summary.profile == general.label
        profile_fields = set(stored) - {
            "paper_id", "title", "tldr", "tldr_source", "not_reported", "failed_fields",
            "abstract_truncated", "validation", "dropped", "model", "prompt", "profile",
            "abstract_hash",
        }  # fmt: skip
        assert profile_fields == GENERAL_FIELDS
        assert set(summary.not_reported) | set(summary.failed_fields) <= GENERAL_FIELDS
    requests = [json.loads(r.body) for r in vcr.requests]
    assert requests
    for body in requests:
        schema = json.dumps(body["response_format"]["json_schema"]["schema"]).lower()
        system = body["messages"][0]["content"].lower()
        for word in ("modality", "anatomy", "medical", "imaging"):
            assert word not in schema and word not in system, word
        assert "contribution" in schema
