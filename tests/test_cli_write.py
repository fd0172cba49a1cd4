"""related-work and compare as a user runs them, without a model: the one-line message
naming the settings (exit 3), the labelled extractive draft (exit 0), outlines, the .bib,
CSV, and clear errors on bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import run_cli

from reviewer.grounding import quote_in, unsupported_numbers

TOPIC = "adapting the Segment Anything Model to medical image segmentation"


@pytest.fixture(autouse=True)
def _no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REVIEWER_MODEL", "REVIEWER_API_BASE", "REVIEWER_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def _abstracts(ids: list[str]) -> dict[str, str]:
    listed = json.loads(run_cli("list", "--json", "--full", check=True).stdout)
    return {p["id"]: p["abstract"] for p in listed if p["id"] in set(ids)}


def test_without_a_model_related_work_names_the_settings_and_the_way_out(
    seeded_home: Path,
) -> None:
    result = run_cli("related-work", TOPIC)
    assert result.returncode == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "REVIEWER_MODEL" in errors[0]
    assert "--extractive" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_extractive_draft_is_labelled_and_every_sentence_is_a_cited_quote(
    seeded_home: Path, tmp_path: Path
) -> None:
    result = run_cli("related-work", TOPIC, "--extractive", "-k", "6", "--format", "json")
    assert result.returncode == 0, result.stderr
    draft = json.loads(result.stdout)
    assert draft["mode"] == "extractive"
    considered = {c["key"]: c["id"] for c in draft["considered"]}
    assert len(considered) == 6
    abstracts = _abstracts(list(considered.values()))
    refs = {r["key"]: r for r in draft["references"]}
    sentences = [s for sec in draft["sections"] for s in sec["sentences"]]
    assert sentences
    for s in sentences:
        assert s["quote"] and len(s["citations"]) == 1
        key = s["citations"][0]
        assert key in considered and key in refs
        assert quote_in(s["text"], abstracts[considered[key]])
    assert draft["footer"]["papers_cited"] == len(refs)
    assert "extractive, no model calls" in result.stderr

    markdown = run_cli("related-work", TOPIC, "--extractive", "-k", "6", check=True).stdout
    assert "Extractive draft: no model wrote this." in markdown
    assert "## References" in markdown


def test_latex_with_bib_holds_exactly_the_cited_keys(seeded_home: Path, tmp_path: Path) -> None:
    import bibtexparser

    tex, bib = tmp_path / "related.tex", tmp_path / "refs.bib"
    result = run_cli(
        "related-work", TOPIC, "--extractive", "-k", "5", "-f", "latex", "-o", str(tex),
        "--bib", str(bib),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    latex = tex.read_text(encoding="utf-8")
    cited = {k for group in _cite_groups(latex) for k in group}
    library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
    assert not library.failed_blocks
    assert {e.key for e in library.entries} == cited and cited
    for entry in library.entries:
        fields = entry.fields_dict
        assert fields["title"].value
        if "eprint" in fields:  # an arXiv paper: its abstract page is the URL
            assert fields["url"].value == f"https://arxiv.org/abs/{fields['eprint'].value}"


def _cite_groups(latex: str) -> list[list[str]]:
    import re

    return [m.split(",") for m in re.findall(r"\\cite\{([^}]*)\}", latex)]


def test_outline_can_be_printed_edited_and_passed_back(seeded_home: Path, tmp_path: Path) -> None:
    outline = tmp_path / "outline.md"
    result = run_cli(
        "related-work", TOPIC, "--extractive", "-k", "6", "--outline", "-o", str(outline)
    )
    assert result.returncode == 0, result.stderr
    text = outline.read_text(encoding="utf-8")
    assert text.startswith(f"# Outline: {TOPIC}") and "## " in text
    ids = [line.split()[1] for line in text.splitlines() if line.startswith("- ")]
    assert len(ids) == 6
    # The user keeps two papers under a theme of their own naming, and drops the rest.
    outline.write_text(
        f"# Outline: {TOPIC}\n\n## My chosen theme\n- {ids[0]}  first\n- {ids[1]}\n",
        encoding="utf-8",
    )
    result = run_cli("related-work", "--extractive", "--outline-file", str(outline), "-f", "json")
    assert result.returncode == 0, result.stderr
    draft = json.loads(result.stdout)
    assert draft["topic"] == TOPIC
    assert [s["theme"] for s in draft["sections"]] == ["My chosen theme"]
    assert [c["id"] for c in draft["considered"]] == ids[:2]


def test_an_outline_naming_an_unknown_paper_is_refused_with_its_line(
    seeded_home: Path, tmp_path: Path
) -> None:
    outline = tmp_path / "outline.md"
    outline.write_text("## Theme\n- arxiv:2509.06617\n- arxiv:0000.00000\n", encoding="utf-8")
    result = run_cli("related-work", TOPIC, "--extractive", "--outline-file", str(outline))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: {outline}, line 3: no paper 'arxiv:0000.00000' in the store"
    )


def test_include_and_exclude(seeded_home: Path) -> None:
    base = json.loads(
        run_cli("related-work", TOPIC, "--extractive", "-k", "4", "-f", "json", check=True).stdout
    )
    first = base["considered"][0]["id"]
    extra = "arxiv:2509.06617"
    result = run_cli(
        "related-work", TOPIC, "--extractive", "-k", "4", "-f", "json",
        "--include", extra, "--exclude", first,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ids = [c["id"] for c in json.loads(result.stdout)["considered"]]
    assert first not in ids and extra in ids and len(ids) == 5
    missing = run_cli("related-work", TOPIC, "--extractive", "--include", "arxiv:0000.00000")
    assert missing.returncode == 5 and "arxiv:0000.00000" in missing.stderr


def test_related_work_on_an_empty_store_says_so() -> None:
    result = run_cli("related-work", TOPIC, "--extractive")
    assert result.returncode == 1
    assert "the store is empty" in result.stderr and "reviewer ingest" in result.stderr


def test_compare_without_a_model_names_the_settings(seeded_home: Path) -> None:
    result = run_cli("compare", TOPIC)
    assert result.returncode == 3 and "REVIEWER_MODEL" in result.stderr.splitlines()[0]


def test_extractive_compare_csv_has_one_row_per_paper_with_grounded_cells(
    seeded_home: Path,
) -> None:
    topic = "brain tumor segmentation MRI"
    result = run_cli(
        "compare", topic, "-k", "5", "--extractive", "-f", "csv", "--profile", "medical-imaging"
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5
    assert {r["mode"] for r in rows} == {"extractive"}
    # The default profile (general) has no imaging column.
    general = run_cli("compare", topic, "-k", "5", "--extractive", "-f", "csv", check=True)
    header = next(csv.reader(io.StringIO(general.stdout)))
    assert "modality" in rows[0] and "modality" not in header and "task" in header
    abstracts = _abstracts([r["id"] for r in rows])
    columns = ["task", "modality", "datasets", "metrics", "results"]
    for row in rows:
        abstract = abstracts[row["id"]]
        for column in columns:
            value, evidence = row[column], row[f"{column}_evidence"]
            # A value from the title says so; every other one quotes the abstract. The
            # value is the source's own words (a list such as "Dice, DSC" item by item).
            from_title = evidence.startswith("title: ")
            source = row["title"] if from_title else abstract
            assert not unsupported_numbers(value, source), (row["id"], column, value)
            if value == "not reported":
                assert evidence == ""
                continue
            if from_title:
                assert evidence == f"title: {row['title']}"
            else:
                assert quote_in(evidence, abstract), (row["id"], column)
            assert all(item in evidence for item in value.split(", ")), (row["id"], column)
    unknown = run_cli("compare", "x", "--extractive", "--columns", "task,backbone")
    assert unknown.returncode == 2 and "backbone" in unknown.stderr
