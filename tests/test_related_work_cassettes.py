"""related-work and compare replayed from cassettes recorded against a real
OpenAI-compatible server: llama.cpp serving SmolLM2-135M-Instruct on loopback
(tests/llm_server.py; ``recorded_with.json`` says which). The commands run in-process
through the CLI, so the cassette sees exactly the requests a user's run sends.

The model is poor, so the recording shows the validators at work: query variants,
outlines and sentences rejected, re-asked with the problems, and what still fails
dropped. Re-record (the test starts the local server):
    rm cassettes/test_related_work_cassettes/*
    .venv/bin/python -m pytest tests/test_related_work_cassettes.py --record-mode=once
or against a provider:
    REVIEWER_RECORD_MODEL=gpt-4o-mini OPENAI_API_KEY=sk-... \
        .venv/bin/python -m pytest tests/test_related_work_cassettes.py --record-mode=once
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cassette_model import chat_only_vcr_config, is_local
from cassette_model import recorded_model as recorded_model_for
from conftest import ROOT, cli_in_process

from reviewer.grounding import quote_in, unsupported_numbers
from reviewer.tasks.draft_model import states_finding

CASSETTES = ROOT / "cassettes" / "test_related_work_cassettes"
DRAFT = "related_work_sam"
COMPARE = "compare_two_papers"
TOPIC = "adapting the Segment Anything Model to medical image segmentation"
DRAFT_ARGS = ["related-work", TOPIC, "-k", "5", "--themes", "2", "--words", "200"]
COMPARE_IDS = ["arxiv:2403.05433", "arxiv:2509.05431"]


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return chat_only_vcr_config(vcr_config)


def _model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, cassette: str) -> Any:
    settings = {
        "REVIEWER_LLM_REASKS": "1",
        "REVIEWER_MAX_TOKENS": "700",
        "REVIEWER_LLM_TIMEOUT": "900",
        "REVIEWER_CONCURRENCY": "1",  # the same request order when recording and replaying
    }
    return recorded_model_for(request, monkeypatch, CASSETTES, cassette, settings)


@pytest.fixture
def draft_model(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, seeded_home: Path
) -> Iterator[dict[str, Any]]:
    with _model(request, monkeypatch, DRAFT) as config:
        yield config


@pytest.fixture
def compare_model(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, seeded_home: Path
) -> Iterator[dict[str, Any]]:
    with _model(request, monkeypatch, COMPARE) as config:
        yield config


def _papers() -> dict[str, Any]:
    from reviewer.index.store import Store
    from reviewer.settings import load_settings

    return {s.paper.id: s.paper for s in Store.open(load_settings()).iter_all()}


def _assert_grounded(draft: dict[str, Any], papers: dict[str, Any]) -> None:
    considered = {c["key"]: c["id"] for c in draft["considered"]}
    references = {r["key"]: r for r in draft["references"]}
    cited: set[str] = set()
    for section in draft["sections"]:
        for sentence in section["sentences"]:
            keys = sentence["citations"]
            assert all(k in considered and k in references for k in keys), sentence
            cited.update(keys)
            abstracts = "\n".join(
                f"{papers[considered[k]].title}\n{papers[considered[k]].abstract}" for k in keys
            )
            assert not unsupported_numbers(sentence["text"], abstracts), sentence
            if states_finding(sentence["text"]):
                assert keys, sentence
            if sentence["quote"]:
                assert quote_in(sentence["text"], papers[considered[keys[0]]].abstract)
    assert cited == set(references)
    for key, ref in references.items():
        paper = papers[ref["id"]]
        assert considered[key] == paper.id and ref["title"] == paper.title
        assert ref["arxiv_id"] == paper.arxiv_id and ref["doi"] == paper.doi


@pytest.mark.vcr
@pytest.mark.default_cassette(f"{DRAFT}.yaml")
def test_draft_is_grounded_and_requests_carry_the_papers(
    draft_model: dict[str, Any], vcr: Any, tmp_path: Path
) -> None:
    code, out, err = cli_in_process(*DRAFT_ARGS, "--format", "json")
    assert code == 0, err
    draft = json.loads(out)
    papers = _papers()
    assert draft["mode"] == "model" and draft["footer"]["model"] == draft_model["model"]
    assert len(draft["considered"]) == 5 and draft["sections"]
    _assert_grounded(draft, papers)
    assert f"{draft['footer']['papers_considered']} papers considered" in err

    requests = [json.loads(r.body) for r in vcr.requests]
    assert len(requests) == draft["footer"]["model_calls"]
    prompts = {_prompt_kind(r) for r in requests}
    assert {"expand", "outline", "paragraph"} <= prompts
    keys = [c["key"] for c in draft["considered"]]
    outline = next(r for r in requests if _prompt_kind(r) == "outline")
    schema = json.dumps(outline["response_format"]["json_schema"]["schema"])
    assert all(k in outline["messages"][1]["content"] and k in schema for k in keys)
    for body in (r for r in requests if _prompt_kind(r) == "paragraph"):
        user = " ".join(body["messages"][1]["content"].split())
        enum = body["response_format"]["json_schema"]["schema"]["$defs"]["Sentence"]["properties"][
            "citations"
        ]["items"]["enum"]
        assert enum and set(enum) <= set(keys)
        for key in enum:  # each key the paragraph may cite comes with its abstract
            paper = papers[next(c["id"] for c in draft["considered"] if c["key"] == key)]
            assert paper.abstract[:150] in user

    # The same draft as LaTeX with its .bib: answered from the cache, no new request.
    played = vcr.play_count
    tex, bib = tmp_path / "related.tex", tmp_path / "refs.bib"
    code, _, err = cli_in_process(*DRAFT_ARGS, "-f", "latex", "-o", str(tex), "--bib", str(bib))
    assert code == 0, err
    assert vcr.play_count == played and "0 model calls" in err
    import bibtexparser

    library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
    assert not library.failed_blocks
    cited = {k for m in re.findall(r"\\cite\{([^}]*)\}", tex.read_text()) for k in m.split(",")}
    assert {e.key for e in library.entries} == cited == {r["key"] for r in draft["references"]}


def _prompt_kind(body: dict[str, Any]) -> str:
    system = body["messages"][0]["content"]
    if "search queries" in system:
        return "expand"
    if "Group the papers" in system:
        return "outline"
    if "one paragraph of the related-work section" in system:
        return "paragraph"
    return "other"


@pytest.mark.vcr
@pytest.mark.default_cassette(f"{DRAFT}.yaml")
def test_local_model_answers_are_rejected_reasked_and_dropped(
    draft_model: dict[str, Any], vcr: Any
) -> None:
    if not is_local(draft_model):
        pytest.skip("this recording was not made with the local SmolLM2 server")
    code, out, err = cli_in_process(*DRAFT_ARGS, "--format", "json")
    assert code == 0, err
    draft = json.loads(out)
    requests = [json.loads(r.body) for r in vcr.requests]
    reasks = [r for r in requests if len(r["messages"]) > 2]
    assert reasks, "no re-ask was sent"
    feedback = " ".join(
        m["content"] for r in reasks for m in r["messages"][2:] if m["role"] == "user"
    )
    assert "not supported by the papers" in feedback or "does not fit the papers" in feedback
    # Re-asks are bounded: at most 1 + REVIEWER_LLM_REASKS answers per request.
    per_request = Counter(_prompt_kind(r) + r["messages"][1]["content"] for r in requests)
    assert max(per_request.values()) <= 2
    assert draft["footer"]["answers_rejected"] >= 1
    for item in draft["dropped"]:
        assert item["reasons"] and f"dropped from {item['theme']!r}" in err
    for section in draft["sections"]:
        if section["written_by"] == "extractive":
            assert "quoted from the abstracts" in section["note"]
            assert section["note"] in err


@pytest.mark.vcr
@pytest.mark.default_cassette(f"{DRAFT}.yaml")
def test_a_replayed_draft_is_the_same_and_counts_the_failures_it_replays(
    draft_model: dict[str, Any], vcr: Any
) -> None:
    """The draft again from the cache: the same sections and dropped sentences (failed
    answers pruned again, never passed), and the footer counts the replayed failures."""
    from reviewer.llm.db import LLMDatabase
    from reviewer.settings import load_settings

    code, out, err = cli_in_process(*DRAFT_ARGS, "--format", "json")
    assert code == 0, err
    first = json.loads(out)
    played = vcr.play_count
    code, out, err = cli_in_process(*DRAFT_ARGS, "--format", "json")
    assert code == 0, err
    second = json.loads(out)
    assert vcr.play_count == played
    assert second["sections"] == first["sections"] and second["dropped"] == first["dropped"]
    assert first["footer"]["cache_hits_invalid"] == 0
    assert second["footer"]["model_calls"] == 0
    db = LLMDatabase(load_settings().llm_db_path)
    failed = db.cache_stats().failed
    db.close()
    if is_local(draft_model):
        assert failed >= 1
    assert second["footer"]["cache_hits_invalid"] == failed


@pytest.mark.vcr
@pytest.mark.default_cassette(f"{COMPARE}.yaml")
def test_compare_cells_are_grounded_or_marked(compare_model: dict[str, Any], vcr: Any) -> None:
    code, out, err = cli_in_process("compare", "--ids", *COMPARE_IDS, "--format", "json")
    assert code == 0, err
    table = json.loads(out)
    papers = _papers()
    assert [r["id"] for r in table["rows"]] == COMPARE_IDS
    for row in table["rows"]:
        abstract = papers[row["id"]].abstract
        for name, cell in row["cells"].items():
            assert cell["status"] in ("reported", "not reported", "unverified")
            if cell["status"] == "reported" and cell["source"] == "abstract":
                assert quote_in(cell["evidence"], abstract), (name, cell)
                assert not unsupported_numbers(cell["value"], cell["evidence"]), (name, cell)
            if cell["status"] == "unverified":
                assert cell["value"] == "" and cell["reason"]
    assert table["rows"][0]["cells"]["code"]["value"] == "https://github.com/Zch0414/p2sam"
    requests = [json.loads(r.body) for r in vcr.requests]
    assert len(requests) >= 2
    for body in requests[:1]:
        schema = body["response_format"]["json_schema"]["schema"]
        # The default profile's columns (general: no imaging column); code is not asked.
        assert set(schema["properties"]) == {"task", "datasets", "metrics", "results"}
    # CSV from the cache: one row per paper, no number a paper's abstract lacks.
    played = vcr.play_count
    code, out, err = cli_in_process("compare", "--ids", *COMPARE_IDS, "--format", "csv")
    assert code == 0 and vcr.play_count == played
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == COMPARE_IDS
    for row in rows:
        abstract = papers[row["id"]].abstract
        for column in table["columns"]:
            if column != "code":
                assert not unsupported_numbers(row[column], abstract)
                assert not unsupported_numbers(row[f"{column}_evidence"], abstract)


def test_cassettes_hold_no_secret() -> None:
    paths = sorted(CASSETTES.glob("*.yaml"))
    assert [p.stem for p in paths] == [COMPARE, DRAFT]
    for path in paths:
        text = path.read_text().lower()
        for needle in ("authorization", "api-key", "cookie", "openai-organization"):
            assert needle not in text, f"{path.name} contains {needle}"
        assert not re.search(r"sk-[a-z0-9_-]{16,}", text), f"{path.name} holds a key"
