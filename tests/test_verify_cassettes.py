"""--verify end to end with a real model as the judge, replayed from a cassette recorded
against llama.cpp serving SmolLM2-135M-Instruct on loopback (tests/llm_server.py;
``recorded_with.json`` says which). The same server writes the related-work paragraph and
judges; the commands run in-process through the CLI, so the cassette holds exactly the
requests a user's run sends.

SmolLM2 is a poor judge (and a poorer writer: no sentence it writes passes related-work's
rules, so there the judge has nothing left to read): this checks the plumbing (the judge's
requests carry each cited abstract fenced, one per sentence and cited paper; its verdicts
reach the JSON, the footer and the call log as task ``judge``), not the quality of its
verdicts. Re-record (the test starts the local server):
    rm cassettes/test_verify_cassettes/*
    REVIEWER_TEST_GGUF=.venv/models/SmolLM2-135M-Instruct.Q4_1.gguf \
        .venv/bin/python -m pytest tests/test_verify_cassettes.py --record-mode=once
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cassette_model import chat_only_vcr_config, recorded_model
from conftest import ROOT, cli_in_process

CASSETTES = ROOT / "cassettes" / "test_verify_cassettes"
CASSETTE = "verify_check_and_related_work"
P2SAM = "arxiv:2403.05433"
EMCAD = "arxiv:2509.05431"
# Four sentences citing demo papers: one close to its abstract, one citing a paper that
# does not say it, one comparing the two, one that cites nothing (not asked about).
DRAFT = f"""\
# Related work

P2SAM adapts the Segment Anything Model to new patients from one-shot data without
fine-tuning [{P2SAM}]. EMCAD segments brain tumours in MRI scans of the BraTs2020
dataset [{EMCAD}; {P2SAM}]. Both papers segment medical images, one with prompts and
one with an efficient decoder [{P2SAM}; {EMCAD}]. Segmentation remains an open problem.
"""
TOPIC = "adapting the Segment Anything Model to medical image segmentation"
DRAFT_ARGS = ["related-work", TOPIC, "-k", "5", "--themes", "2", "--words", "200"]


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return chat_only_vcr_config(vcr_config)


@pytest.fixture
def judge_model(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, seeded_home: Path
) -> Iterator[dict[str, Any]]:
    settings = {
        "REVIEWER_LLM_REASKS": "1",
        "REVIEWER_MAX_TOKENS": "700",
        "REVIEWER_LLM_TIMEOUT": "900",
        "REVIEWER_CONCURRENCY": "1",  # the same request order when recording and replaying
    }
    with recorded_model(request, monkeypatch, CASSETTES, CASSETTE, settings) as config:
        # The judge is the same server (its own settings, as a user would set them).
        monkeypatch.setenv("REVIEWER_JUDGE_MODEL", config["model"])
        if config.get("api_base"):
            monkeypatch.setenv("REVIEWER_JUDGE_API_BASE", config["api_base"])
        yield config


def _footer(err: str) -> re.Match[str]:
    found = re.search(
        r"verified (\d+) sentences?: (\d+) unsupported.*\(judge (\S+): (\d+) calls", err
    )
    assert found, err
    return found


@pytest.mark.vcr
@pytest.mark.default_cassette(f"{CASSETTE}.yaml")
def test_check_and_related_work_verify_with_a_model_judge(
    judge_model: dict[str, Any], vcr: Any, tmp_path: Path
) -> None:
    from reviewer.grounding import normalize_ws
    from reviewer.index.store import Store
    from reviewer.settings import load_settings

    papers = {s.paper.id: s.paper for s in Store.open(load_settings()).iter_all()}
    model = judge_model["model"]
    # The cassette's requests (_bodies) come in the order sent: check's (all the judge's),
    # then related-work's (the writer's, then the judge's).

    # reviewer check: on by default, since REVIEWER_JUDGE_MODEL is set.
    draft = tmp_path / "related.md"
    draft.write_text(DRAFT, encoding="utf-8")
    code, out, err = cli_in_process("check", str(draft), "--json")
    assert code in (0, 1), err  # 1: a sentence has a problem; never a model error
    report = json.loads(out)
    judged = [s for s in report["sentences"] if s["cited_ids"]]
    assert len(judged) == 3 and report["sentences"][-1]["verdict"] is None
    assert all(s["verdict"] in ("supported", "citation", "unsupported") for s in judged)
    for s in judged:
        judge_kinds = [k for k in s["kinds"] if k.startswith("judge-")]
        if s["verdict"] == "supported":
            assert judge_kinds == []
        elif s["verdict"] == "unsupported":
            assert judge_kinds == ["judge-unsupported"] and not s["ok"]
        else:  # some, not all, of its citations support it
            assert 1 <= len(judge_kinds) < len(s["cited_ids"]) and not s["ok"]
            assert set(judge_kinds) == {"judge-citation"}
    v = report["verification"]
    assert v["judge"] == f"llm:{model}" and v["checked"] == 3 and v["not_judged"] == 0
    assert v["unsupported"] == sum(s["verdict"] == "unsupported" for s in judged)
    calls = v["judge_calls"]["model_calls"]
    checked = _bodies(vcr)[:calls]
    assert all(_is_judge(b) for b in checked)
    # One question per sentence and cited paper (five), plus one with both abstracts for
    # a two-paper sentence that neither supports alone.
    together = [b for b in checked if b["messages"][1]["content"].count("<paper_abstract") > 1]
    assert calls == sum(len(s["cited_ids"]) for s in judged) + len(together)
    by_claim = {normalize_ws(s["text"]): s["cited_ids"] for s in judged}
    for body in checked:
        user = body["messages"][1]["content"]
        claim = re.search(r"<claim>(.*?)</claim>", user, re.S)
        assert claim, user
        cited = by_claim[normalize_ws(claim.group(1))]
        shown = [pid for pid in (P2SAM, EMCAD) if papers[pid].abstract[:80] in user]
        assert shown and set(shown) <= set(cited)  # only the sentence's own papers
    found = _footer(err)
    assert (int(found[1]), int(found[2]), found[3], int(found[4])) == (
        3,
        v["unsupported"],
        model,
        calls,
    )
    code, out, _ = cli_in_process("logs", "--json", "--task", "judge", "--limit", "0")
    rows = json.loads(out)
    assert len(rows) == calls and {r["prompt_id"] for r in rows} == {"judge_support"}

    # The same check again: every verdict from the cache (logged as cache hits).
    code, out, err = cli_in_process("check", str(draft), "--json")
    again = json.loads(out)
    assert [s["verdict"] for s in again["sentences"]] == [s["verdict"] for s in report["sentences"]]
    assert again["verification"]["judge_calls"]["model_calls"] == 0
    assert again["verification"]["judge_calls"]["cache_hits"] == calls

    # related-work --verify: the paragraph is written, then every written sentence judged.
    code, out, err = cli_in_process(*DRAFT_ARGS, "--no-expand", "--verify", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    v = result["verification"]
    assert v is not None and v["judge"] == f"llm:{model}"
    written = [s for section in result["sections"] for s in section["sentences"] if not s["quote"]]
    rejected = [d for d in result["dropped"] if "judge-unsupported" in d["kinds"]]
    # SmolLM2 writes no sentence that passes the rules (each theme falls back to quotes,
    # which are the abstracts' own words and not asked about): the judge reads what is
    # left to read, which with this writer is nothing. A stronger writer leaves sentences;
    # the keep / drop / mark logic is tested in test_verify.py.
    assert v["checked"] == len(written) + len(rejected)
    assert all(s["verdict"] in ("supported", "citation") for s in written)
    assert v["unsupported"] == len(rejected)
    assert result["footer"]["sentences_dropped"] == len(result["dropped"])
    writer = result["footer"]["model_calls"]
    judge_calls = v["judge_calls"]["model_calls"]
    drafted = _bodies(vcr)[calls : calls + writer + judge_calls]
    assert [_is_judge(b) for b in drafted] == [False] * writer + [True] * judge_calls
    assert len(_bodies(vcr)) == calls + writer + judge_calls  # nothing else was sent
    keys = {c["key"]: c["id"] for c in result["considered"]}
    for body in drafted[writer:]:
        user = body["messages"][1]["content"]
        assert sum(papers[pid].abstract[:80] in user for pid in keys.values()) >= 1
    found = _footer(err)
    assert (int(found[1]), int(found[2]), int(found[4])) == (
        v["checked"],
        v["unsupported"],
        judge_calls,
    )
    code, out, _ = cli_in_process("logs", "--json", "--task", "judge", "--limit", "0")
    assert len(json.loads(out)) == 2 * calls + judge_calls  # the rerun's cache hits included


def _bodies(vcr: Any) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in vcr.requests]


def _is_judge(body: dict[str, Any]) -> bool:
    return "You check citations" in body["messages"][0]["content"]


def test_cassettes_hold_no_secret() -> None:
    paths = sorted(CASSETTES.glob("*.yaml"))
    assert [p.stem for p in paths] == [CASSETTE]
    for path in paths:
        text = path.read_text().lower()
        for needle in ("authorization", "api-key", "cookie", "openai-organization"):
            assert needle not in text, f"{path.name} contains {needle}"
        assert not re.search(r"sk-[a-z0-9_-]{16,}", text), f"{path.name} holds a key"
