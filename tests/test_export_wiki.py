"""`reviewer export wiki`: one JSON file per paper, an index and their JSON Schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli
from jsonschema import Draft202012Validator

from reviewer.corpus.model import Paper, Source
from reviewer.profiles import load_profile
from reviewer.prompts import load_prompt
from reviewer.render.wiki import (
    assign_file_names,
    export_wiki,
    file_stem,
    previous_export,
)
from reviewer.tasks.summary_model import Finding, PaperSummary, build_summary, draft_model

N_SEED_PAPERS = 423
SUMMARIZED_ID = "arxiv:2509.06617"


def export(out: Path, *extra: str) -> dict[str, Any]:
    result = run_cli("export", "wiki", "--out", str(out), "--json", *extra, check=True)
    return json.loads(result.stdout)


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def validators(out: Path) -> tuple[Draft202012Validator, Draft202012Validator]:
    paper_schema = load(out / "schema" / "paper.schema.json")
    index_schema = load(out / "schema" / "index.schema.json")
    for schema in (paper_schema, index_schema):
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"]
    return Draft202012Validator(paper_schema), Draft202012Validator(index_schema)


def mtimes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def paper_from_file(path: Path) -> Paper:
    """The Paper an exported file describes (enough of it for build_summary)."""
    data = load(path)
    return Paper(
        id=data["id"],
        title=data["title"],
        abstract=data["abstract"],
        abstract_truncated=data["abstract_truncated"],
        code_urls=data["code_urls"],
    )


def make_test_summary(paper: Paper) -> PaperSummary:
    """TEST INPUT DATA: a grounded summary built without a model, whose one quote is
    the abstract's first sentence copied verbatim."""
    quote = paper.abstract.split(". ")[0] + "."
    assert quote in paper.abstract
    test_draft = draft_model(load_profile("general"))(
        tldr="Test summary written by the test suite, not by a model.",
        problem="not reported",
        contribution="not reported",
        method="not reported",
        task="not reported",
        findings=[Finding(finding="Test finding quoting the abstract.", quote=quote)],
    )
    # Made as `reviewer summarize` makes it (the prompt's id and version), so that the
    # export, which names no model here, counts it current.
    prompt = load_prompt("summarize_paper")
    summary = build_summary(
        test_draft,
        paper=paper,
        passed=True,
        model="test-fixture",
        prompt=f"{prompt.id}@{prompt.version}",
    )
    assert summary.findings and summary.findings[0].quote == quote
    return summary


# -- through the CLI, on the seeded store ------------------------------------------------


def test_export_writes_every_paper_valid_against_its_schema(
    seeded_home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wiki"
    counts = export(out)
    assert counts["papers"] == N_SEED_PAPERS
    assert (counts["written"], counts["unchanged"], counts["removed"]) == (N_SEED_PAPERS, 0, 0)
    assert (counts["with_summary"], counts["stale_summaries"]) == (0, 0)

    paper_validator, index_validator = validators(out)
    index = load(out / "index.json")
    index_validator.validate(index)
    assert index["count"] == N_SEED_PAPERS == len(index["papers"])
    assert index["generated_from"] and index["schema_version"] == 2

    files = sorted(p.name for p in (out / "papers").iterdir())
    assert len(files) == N_SEED_PAPERS
    listed = [entry["file"] for entry in index["papers"]]
    assert len(set(listed)) == len(listed)
    assert sorted(listed) == [f"papers/{name}" for name in files]
    assert [e["id"] for e in index["papers"]] == sorted(e["id"] for e in index["papers"])
    assert "papers/arxiv-2509.06617.json" in listed

    local_paths = {str(ROOT), str(seeded_home), str(tmp_path), str(Path.home())}
    for entry in index["papers"]:
        path = out / entry["file"]
        assert re.fullmatch(r"[a-z0-9._-]+\.json", path.name)
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n")
        data = json.loads(text)
        paper_validator.validate(data)
        assert data["id"] == entry["id"] and data["title"] == entry["title"]
        assert data["summary"] is None and entry["has_summary"] is False
        assert data["sources"] and all("/" not in s["file"] for s in data["sources"])
        assert not any(p in text for p in local_paths)
        assert not any(s.startswith("/") for s in strings(data))
    for path in out.rglob("*.json"):
        assert not any(p in path.read_text(encoding="utf-8") for p in local_paths)


def test_export_gives_titles_and_abstracts_as_stored_and_as_readable_text(
    seeded_home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wiki"
    export(out)
    data = load(out / "papers" / "arxiv-2508.04131.json")
    assert data["title"].startswith("DS$^2$Net: Detail-Semantic")  # as arXiv wrote it
    assert data["title_text"] == (
        "DS²Net: Detail-Semantic Deep Supervision Network for Medical Image Segmentation"
    )
    assert "Network (DS$^2$Net). DS$^2$Net navigates" in data["abstract"]
    assert "Network (DS²Net). DS²Net navigates" in data["abstract_text"]
    entry = next(e for e in load(out / "index.json")["papers"] if e["id"] == data["id"])
    assert (entry["title"], entry["title_text"]) == (data["title"], data["title_text"])
    plain = load(out / "papers" / "arxiv-2509.06617.json")  # MM-DINOv2: no TeX
    assert plain["title_text"] == plain["title"] and plain["abstract_text"] == plain["abstract"]


def test_second_export_writes_nothing(seeded_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "wiki"
    export(out)
    before = mtimes(out)
    counts = export(out)
    assert (counts["written"], counts["unchanged"], counts["removed"]) == (0, N_SEED_PAPERS, 0)
    assert counts["index_written"] is False and counts["schemas_written"] == 0
    assert mtimes(out) == before


def test_current_summary_is_exported_and_stale_one_is_not(
    seeded_home: Path, tmp_path: Path
) -> None:
    from reviewer.llm.db import LLMDatabase
    from reviewer.settings import load_settings

    out = tmp_path / "wiki"
    export(out)
    index = load(out / "index.json")
    files = {e["id"]: out / e["file"] for e in index["papers"]}
    target = files[SUMMARIZED_ID]
    stale_id = next(pid for pid in sorted(files) if pid != SUMMARIZED_ID)

    test_summary = make_test_summary(paper_from_file(target))
    stale_paper = paper_from_file(files[stale_id])
    stale_paper.abstract += " (an older version of the abstract)"
    stale_test_summary = make_test_summary(stale_paper)
    assert stale_test_summary.abstract_hash != paper_from_file(files[stale_id]).text_hash()

    db = LLMDatabase(load_settings().llm_db_path)
    db.put_summary(test_summary.model_dump(mode="json"))
    db.put_summary(stale_test_summary.model_dump(mode="json"))
    db.close()

    before = mtimes(out)
    old_stale_bytes = files[stale_id].read_bytes()
    counts = export(out)
    assert (counts["written"], counts["unchanged"]) == (1, N_SEED_PAPERS - 1)
    assert (counts["with_summary"], counts["stale_summaries"]) == (1, 1)
    after = mtimes(out)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {str(target.relative_to(out)), "index.json"}
    assert files[stale_id].read_bytes() == old_stale_bytes

    paper_validator, index_validator = validators(out)
    data = load(target)
    paper_validator.validate(data)
    assert data["summary"] == test_summary.model_dump(mode="json")
    assert load(files[stale_id])["summary"] is None
    index = load(out / "index.json")
    index_validator.validate(index)
    assert [e["id"] for e in index["papers"] if e["has_summary"]] == [SUMMARIZED_ID]
    assert index["summary_profile"] == load_profile("general").label
    assert "modality" not in json.dumps(load(out / "schema" / "paper.schema.json"))

    # The same summaries under another profile: none is current, and the schema has
    # that profile's fields.
    other = tmp_path / "wiki-medical"
    counts = export(other, "--profile", "medical-imaging")
    assert (counts["with_summary"], counts["stale_summaries"]) == (0, 2)
    assert '"anatomy"' in json.dumps(load(other / "schema" / "paper.schema.json"))
    assert load(other / "index.json")["summary_profile"].startswith("medical-imaging@")


def test_summarize_without_a_model_fails_before_writing(
    seeded_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REVIEWER_MODEL", raising=False)
    monkeypatch.delenv("REVIEWER_API_BASE", raising=False)
    out = tmp_path / "wiki"
    result = run_cli("export", "wiki", "--out", str(out), "--summarize")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "REVIEWER_MODEL" in errors[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()

    # Without --summarize, no model is needed.
    assert export(out)["written"] == N_SEED_PAPERS


def test_refuses_an_unrelated_folder_or_a_file(tmp_path: Path) -> None:
    out = tmp_path / "notes"
    (out / "papers").mkdir(parents=True)
    (out / "todo.txt").write_text("mine\n")
    (out / "papers" / "draft.json").write_text("{}\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    result = run_cli("export", "wiki", "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len([x for x in lines if x.startswith("error:")]) == 1
    assert "index.json" in result.stderr
    assert any(x.startswith("hint:") and "previous" in x for x in lines)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before

    a_file = tmp_path / "file.json"
    a_file.write_text("{}\n")
    result = run_cli("export", "wiki", "--out", str(a_file))
    assert result.returncode == 2 and "not a folder" in result.stderr
    assert a_file.read_text() == "{}\n"


# -- the renderer itself, without a store ---------------------------------------------


def test_file_names_are_safe_stable_and_distinct() -> None:
    assert file_stem("arxiv:2509.06617") == "arxiv-2509.06617"
    assert file_stem("doi:10.1000/ABC.x") == "doi-10.1000_abc.x"
    assert file_stem("title:fb1fcaedfc868afd") == "title-fb1fcaedfc868afd"
    long_id = "doi:10.1000/" + "x" * 300
    assert len(file_stem(long_id)) == 100 and file_stem(long_id) != file_stem(long_id + "y")

    ids = ["doi:10.1/a", "doi:10.1/A", "doi:10.1_a", "arxiv:2509.06617", long_id]
    names = assign_file_names(ids)
    assert len(set(names.values())) == len(ids)
    assert names["arxiv:2509.06617"] == "arxiv-2509.06617.json"
    assert all(re.fullmatch(r"[a-z0-9_-][a-z0-9._-]*\.json", n) for n in names.values())
    assert assign_file_names(reversed(ids)) == names


def _paper(pid: str, title: str) -> Paper:
    return Paper(
        id=pid,
        title=title,
        abstract=f"{title}. We test the export.",
        sources=[
            Source(path=f"/home/someone/private/{pid[-1]}.bib", format="bibtex", entry="entry 1")
        ],
    )


def test_removes_only_files_its_previous_index_listed(tmp_path: Path) -> None:
    out = tmp_path / "wiki"
    papers = [_paper("doi:10.1/a", "Alpha"), _paper("doi:10.1/b", "Beta")]
    first = export_wiki(out, papers, {}, previous_export(out))
    assert (first.written, first.removed) == (2, 0)
    assert load(out / "papers" / "doi-10.1_a.json")["sources"][0]["file"] == "a.bib"
    foreign = out / "papers" / "someone-elses.json"
    foreign.write_text("{}\n")

    second = export_wiki(out, papers[:1], {}, previous_export(out))
    assert (second.written, second.unchanged, second.removed) == (0, 1, 1)
    assert not (out / "papers" / "doi-10.1_b.json").exists()
    assert foreign.exists()
    digest = load(out / "index.json")["generated_from"]
    assert len(digest) == 64
    # The same papers exported elsewhere carry the same digest (no clock, no machine).
    elsewhere = export_wiki(tmp_path / "other", papers[:1], {}, None)
    assert elsewhere.written == 1
    assert load(tmp_path / "other" / "index.json")["generated_from"] == digest
