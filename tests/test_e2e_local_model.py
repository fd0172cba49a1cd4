"""End to end against a live model server: `reviewer summarize` run as a user runs
it, talking to llama.cpp serving SmolLM2-135M on loopback (tests/llm_server.py).

Skipped only when the GGUF is absent (the README's test command downloads it);
CI downloads it, so there the whole path runs on a real server every time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from llm_server import LocalModelServer, serve_or_skip

from reviewer.grounding import name_in, quote_in, unsupported_numbers

PAPER_IDS = ("arxiv:2502.15204", "arxiv:2508.06137", "arxiv:2509.06617")


@pytest.fixture(scope="module")
def local_server() -> Iterator[LocalModelServer]:
    yield from serve_or_skip()


@pytest.fixture
def model_env(local_server: LocalModelServer) -> dict[str, str]:
    return {
        "REVIEWER_MODEL": "openai/smollm2-135m",
        "REVIEWER_API_BASE": local_server.url,
        "REVIEWER_CONCURRENCY": "2",
        # A 135M model on two busy cores can take minutes on a 1024-token answer;
        # a timeout would only make it start the same answer again.
        "REVIEWER_LLM_TIMEOUT": "900",
    }


def test_summarize_live_is_grounded_and_cached(
    seeded_home: Path, model_env: dict[str, str]
) -> None:
    shown = run_cli("show", "--json", PAPER_IDS[0], check=True)
    assert json.loads(shown.stdout)["id"] == PAPER_IDS[0]
    abstracts = {
        pid: json.loads(run_cli("show", "--json", pid, check=True).stdout)["abstract"]
        for pid in PAPER_IDS
    }

    # The general profile's answer is long for a 135M model: room for it to finish.
    model_env = {**model_env, "REVIEWER_MAX_TOKENS": "1536"}
    first = run_cli("summarize", "--ids", *PAPER_IDS, "--json", env=model_env)
    assert first.returncode == 0, first.stderr
    summaries = json.loads(first.stdout)
    # A 135M model may not finish a schema-valid answer within the token limit: such a
    # paper is reported as failed on stderr, never summarized from a broken answer.
    done = [s["paper_id"] for s in summaries]
    assert done and done == [pid for pid in PAPER_IDS if pid in done]
    for pid in set(PAPER_IDS) - set(done):
        assert f"failed: {pid}: no answer matched the summary schema" in first.stderr
    for s in summaries:
        abstract = abstracts[s["paper_id"]]
        for item in s["findings"] + s["limitations"]:
            assert quote_in(item["quote"], abstract)
        texts = [s["problem"], s["method"], s["task"]]
        texts += [s["tldr"]] if s["tldr_source"] == "model" else []
        texts += [f["finding"] for f in s["findings"]] + [m["value"] for m in s["metrics"]]
        for text in texts:
            assert not unsupported_numbers(text, abstract), text
        for name in s["datasets"] + [m["name"] for m in s["metrics"]]:
            assert name_in(name, abstract)
    assert "Summarizing 3 papers" in first.stderr
    assert "model calls" in first.stderr

    logs = json.loads(run_cli("logs", "--json", "-n", "0", check=True).stdout)
    first_calls = [r for r in logs if not r["cache_hit"]]
    assert len(first_calls) >= 3 and {r["subject"] for r in first_calls} == set(PAPER_IDS)
    assert all(r["model"] == "openai/smollm2-135m" for r in first_calls)

    second = run_cli("summarize", "--ids", *PAPER_IDS, "--json", env=model_env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == summaries
    logs2 = json.loads(run_cli("logs", "--json", "-n", "0", check=True).stdout)
    new_rows = logs2[len(logs) :]
    assert len(new_rows) == 3
    assert all(r["cache_hit"] and r["status"] == "cache" for r in new_rows)
    assert "0 model calls" in second.stderr and "3 cache hits" in second.stderr
    totals = json.loads(run_cli("logs", "--totals", "--json", check=True).stdout)
    assert totals["model_calls"] == len(first_calls)
    assert totals["cache_hits"] == 3


def test_summarize_query_live_reports_dropped_answers_on_stderr(
    seeded_home: Path, model_env: dict[str, str]
) -> None:
    query = "brain tumor segmentation MRI"
    # One answer is enough to see what is dropped and how it is reported; the re-ask
    # path is exercised by the test above (and each re-ask costs minutes on this model).
    model_env = {**model_env, "REVIEWER_LLM_REASKS": "0"}
    top = json.loads(run_cli("search", query, "-k", "1", "--json", check=True).stdout)[0]
    result = run_cli("summarize", "--query", query, "-k", "1", "--json", env=model_env)
    assert result.returncode == 0, result.stderr
    [summary] = json.loads(result.stdout)
    assert summary["paper_id"] == top["id"]
    if summary["validation"] == "pruned":
        assert f"dropped from {top['id']}" in result.stderr
        for item in summary["dropped"]:
            assert f"{item['field']}: {item['reason']}" in result.stderr
    else:
        assert "dropped from" not in result.stderr
    shown = run_cli("summarize", "--query", query, "-k", "1", env=model_env)
    assert shown.returncode == 0
    assert "TL;DR" in shown.stdout and summary["title"][:30] in " ".join(shown.stdout.split())


TOPIC = "adapting the Segment Anything Model to medical image segmentation"


def _store_papers() -> dict[str, dict[str, object]]:
    listed = json.loads(run_cli("list", "--json", "--full", check=True).stdout)
    return {p["id"]: p for p in listed}


def test_related_work_live_cites_only_retrieved_papers_with_their_numbers(
    seeded_home: Path, model_env: dict[str, str], tmp_path: Path
) -> None:
    import bibtexparser

    env = {**model_env, "REVIEWER_LLM_REASKS": "1", "REVIEWER_MAX_TOKENS": "600"}
    args = ["related-work", TOPIC, "-k", "3", "--themes", "1", "--no-expand"]
    result = run_cli(*args, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    draft = json.loads(result.stdout)
    papers = _store_papers()
    considered = {c["key"]: c["id"] for c in draft["considered"]}
    assert len(considered) == 3 and draft["mode"] == "model"
    references = {r["key"] for r in draft["references"]}
    for section in draft["sections"]:
        for sentence in section["sentences"]:
            assert sentence["citations"] and set(sentence["citations"]) <= references
            cited = "\n".join(
                f"{papers[considered[k]]['title']}\n{papers[considered[k]]['abstract']}"
                for k in sentence["citations"]
            )
            assert not unsupported_numbers(sentence["text"], cited), sentence
    assert references <= set(considered)
    assert "papers considered" in result.stderr and "model calls" in result.stderr

    tex, bib = tmp_path / "related.tex", tmp_path / "refs.bib"
    again = run_cli(*args, "-f", "latex", "-o", str(tex), "--bib", str(bib), env=env)
    assert again.returncode == 0, again.stderr
    assert "0 model calls" in again.stderr  # the same draft, from the cache
    library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
    assert not library.failed_blocks
    assert {e.key for e in library.entries} == references


def test_compare_live_csv_has_a_row_per_paper_and_no_foreign_number(
    seeded_home: Path, model_env: dict[str, str]
) -> None:
    import csv
    import io

    ids = ["arxiv:2403.05433", "arxiv:2509.05431"]
    env = {**model_env, "REVIEWER_LLM_REASKS": "0", "REVIEWER_MAX_TOKENS": "600"}
    result = run_cli("compare", "--ids", *ids, "--format", "csv", env=env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ids
    papers = _store_papers()
    for row in rows:
        abstract = str(papers[row["id"]]["abstract"])
        for column, value in row.items():
            if column not in ("id", "title", "code", "code_evidence"):
                assert not unsupported_numbers(value, abstract), (row["id"], column, value)


SOFTWARE_PROFILE = """\
description = "empirical software engineering"
extends = "general"
compare_columns = ["task", "subjects", "results"]

[[fields]]
name = "subjects"
kind = "names"
description = "What was studied (projects, repositories, programs), as the abstract names it."
"""


def test_a_user_profile_round_trips_through_summarize_and_the_wiki_schema(
    _isolated_home: Path, model_env: dict[str, str], tmp_path: Path
) -> None:
    """A corpus from outside medicine (a real arXiv API answer on software testing) and a
    user's TOML profile with one field of its own: summarize stores that field, the wiki
    export's schema has it and validates the paper, and no medical field appears."""
    from conftest import REAL
    from jsonschema import Draft202012Validator

    run_cli("ingest", str(REAL / "arxiv_api_query_testing_100.xml"), check=True)
    (_isolated_home / "profiles").mkdir(parents=True, exist_ok=True)
    (_isolated_home / "profiles" / "software.toml").write_text(SOFTWARE_PROFILE)
    pid = "arxiv:2604.03438"  # Android instrumentation testing in CI
    env = {**model_env, "REVIEWER_LLM_REASKS": "0"}
    result = run_cli("summarize", "--profile", "software", "--ids", pid, "--json", env=env)
    assert result.returncode == 0, result.stderr
    [summary] = json.loads(result.stdout)
    assert summary["profile"].startswith("software@")
    assert isinstance(summary["subjects"], list)
    assert "modality" not in summary and "anatomy" not in summary
    assert "profile software" in result.stderr

    out = tmp_path / "wiki"
    exported = run_cli(
        "export", "wiki", "--out", str(out), "--profile", "software", "--json", env=env
    )
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["with_summary"] == 1
    schema = json.loads((out / "schema" / "paper.schema.json").read_text())
    assert "subjects" in json.dumps(schema) and "modality" not in json.dumps(schema)
    index = json.loads((out / "index.json").read_text())
    [entry] = [e for e in index["papers"] if e["id"] == pid]
    paper_file = json.loads((out / entry["file"]).read_text())
    assert not list(Draft202012Validator(schema).iter_errors(paper_file))
    assert paper_file["summary"]["subjects"] == summary["subjects"]

    # Under the default profile the same summary is not current; compare's columns are
    # general's, without any imaging column.
    general = run_cli("export", "wiki", "--out", str(tmp_path / "g"), "--json", env=env)
    assert json.loads(general.stdout)["stale_summaries"] == 1
    table = run_cli("compare", "--ids", pid, "--extractive", "-f", "json", check=True)
    assert "modality" not in json.loads(table.stdout)["columns"]
