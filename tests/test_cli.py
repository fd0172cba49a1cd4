"""The acceptance path, run as a user would: the `reviewer` command in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REAL, SEEDS, run_cli


def stats(env: dict[str, str] | None = None) -> dict:
    return json.loads(run_cli("stats", "--json", env=env, check=True).stdout)


def test_help_is_fast_to_import_and_loads_no_heavy_library() -> None:
    code = (
        "import sys, reviewer.cli;"
        "heavy = [m for m in ('chromadb', 'litellm', 'instructor', 'onnxruntime', 'bm25s',"
        " 'numpy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    help_text = run_cli("--help", check=True).stdout
    for command in ("ingest", "search", "list", "show", "stats", "demo"):
        assert command in help_text


def test_seeds_ingest_to_423_papers_and_reingest_is_free(seeded_home: Path) -> None:
    assert stats()["papers"] == 423
    again = json.loads(run_cli("ingest", *map(str, SEEDS), "--json", check=True).stdout)
    assert (again["new"], again["updated"], again["embedded"]) == (0, 0, 0)
    assert again["unchanged"] == 423
    assert again["store"] == {"papers": 423}


def test_list_json_holds_every_seed_paper_once(seeded_home: Path) -> None:
    rows = json.loads(run_cli("list", "--json", check=True).stdout)
    assert len(rows) == 423
    assert len({r["id"] for r in rows}) == 423
    titles = {r["title"] for r in rows}
    assert "iMedImage Technical Report" in titles and "MedGemma Technical Report" in titles
    # The revised title of arXiv 2505.17457 names the one record; the old title is kept.
    record = json.loads(run_cli("show", "2505.17457", "--json", check=True).stdout)
    assert record["title"].startswith("Hypergraph Mamba")
    assert record["other_titles"] == ["Graph Mamba for Efficient Whole Slide Image Understanding"]


def test_show_json_has_every_field(seeded_home: Path) -> None:
    record = json.loads(run_cli("show", "arxiv:2509.06617", "--json", check=True).stdout)
    assert record["id"] == "arxiv:2509.06617"
    assert record["abstract"].startswith("Vision foundation models like DINOv2")
    assert record["published"] == "2025-09-08"
    assert record["abs_url"] == "https://arxiv.org/abs/2509.06617"
    assert record["sources"] and record["sources"][0]["format"] == "arxiv-table"
    missing = run_cli("show", "arxiv:0000.00000")
    assert missing.returncode != 0 and "no paper" in missing.stderr


def test_search_modes_and_filters(seeded_home: Path) -> None:
    for mode in ("hybrid", "dense", "lexical"):
        hits = json.loads(
            run_cli(
                "search", "segment anything", "--mode", mode, "-k", "5", "--json", check=True
            ).stdout
        )
        assert len(hits) == 5
        assert any("segment anything" in h["title"].lower() for h in hits)
    dated = json.loads(
        run_cli(
            "search",
            "segmentation",
            "--since",
            "2025-09-01",
            "--until",
            "2025-09-07",
            "-k",
            "50",
            "--json",
            check=True,
        ).stdout
    )
    assert dated and all("2025-09-01" <= h["published"] <= "2025-09-07" for h in dated)
    coded = json.loads(
        run_cli("search", "segmentation", "--has-code", "-k", "20", "--json", check=True).stdout
    )
    assert coded and all(h["code_urls"] for h in coded)
    bad = run_cli("search", "x", "--since", "yesterday")
    assert bad.returncode != 0 and "--since" in bad.stderr


def test_a_search_the_filters_leave_empty_says_why_and_prints_no_empty_table(
    seeded_home: Path,
) -> None:
    """The demo corpus ends in 2025: a window in 2030 holds nothing, and the reader is told
    which filter left nothing rather than shown a table of headers."""
    none = run_cli("search", "segmentation", "--since", "2030-01-01", check=True)
    assert none.stdout == ""
    assert "No paper in the store is inside --since 2030-01-01." in none.stderr
    assert (
        json.loads(
            run_cli("search", "segmentation", "--since", "2030-01-01", "--json", check=True).stdout
        )
        == []
    )


def test_list_and_search_on_an_empty_store_say_it_is_empty(tmp_path: Path) -> None:
    env = {"REVIEWER_HOME": str(tmp_path / "home")}
    for args in (("list",), ("search", "graph neural networks", "--mode", "lexical")):
        result = run_cli(*args, env=env, check=True)
        assert result.stdout == "", args
        assert "The store is empty: ingest papers first" in result.stderr, args


def test_tables_and_show_print_tex_as_text_and_json_keeps_it(seeded_home: Path) -> None:
    """arXiv writes DS$^2$Net; a person at the terminal reads DS²Net, a program the source."""
    wide = {"COLUMNS": "250"}
    readable = "DS²Net: Detail-Semantic Deep Supervision Network for Medical Image Segmentation"
    listing = run_cli("list", env=wide, check=True).stdout
    assert readable in listing and "DS$^2$Net" not in listing
    hits = run_cli("search", "Detail-Semantic Deep Supervision", "-k", "3", env=wide, check=True)
    assert readable in hits.stdout and "DS$^2$Net" not in hits.stdout
    shown = " ".join(run_cli("show", "2508.04131", env=wide, check=True).stdout.split())
    assert readable in shown and "Network (DS²Net). DS²Net navigates" in shown
    assert "$" not in shown
    record = json.loads(run_cli("show", "2508.04131", "--json", check=True).stdout)
    assert record["title"].startswith("DS$^2$Net:") and "(DS$^2$Net)." in record["abstract"]
    rows = run_cli("list", "--csv", check=True).stdout
    assert "DS$^2$Net: Detail-Semantic" in rows and "DS²Net" not in rows


def test_table_cells_are_never_read_as_markup(capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer.cli.output import Column, emit_rows

    rows = [{"id": "x:1", "title": "[/x] [bold]H$_2$O[/bold]"}]
    columns = [Column("id", "id"), Column("title", "title", kind="text", readable=True)]
    emit_rows(rows, "table", columns, title="[red]search")
    out = capsys.readouterr().out
    assert "[/x] [bold]H₂O[/bold]" in out and "[red]search" in out


def test_real_arxiv_samples_ingest_every_entry() -> None:
    files = [
        REAL / "arxiv_api_query_testing_100.xml",
        REAL / "arxiv_api_id_list_2.xml",
        REAL / "arxiv_rss_cs.AI_2025-08-20.xml",
    ]
    report = json.loads(run_cli("ingest", *map(str, files), "--json", check=True).stdout)
    assert [f["entries"] for f in report["files"]] == [100, 1, 7]
    rows = json.loads(run_cli("list", "--json", "--full", check=True).stdout)
    assert len(rows) == report["store"]["papers"]
    for row in rows:
        assert row["arxiv_id"] and "v" not in row["arxiv_id"]
        # A daily feed dates a replaced paper's new version: that is `updated`.
        assert row["authors"] and (row["published"] or row["updated"]) and row["categories"]
    rss = json.loads(run_cli("show", "2508.13426", "--json", check=True).stdout)
    assert rss["authors"] == ["Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang"]
    assert rss["categories"] == ["cs.CL", "cs.AI"]
    assert rss["abstract"].startswith("As large language models")


def _bad_files(tmp: Path) -> dict[str, Path]:
    seeds_table = SEEDS[0].read_text(encoding="utf-8")
    cases = {
        "empty.txt": b"",
        "binary.bib": bytes(range(256)) * 4,
        "latin1.bib": "@article{k, title={M\xfcller and the brain}, year={2020}}".encode("latin-1"),
        "truncated.xml": (REAL / "arxiv_api_id_list_2.xml").read_bytes()[:1500],
        "broken_row.txt": "\n".join(
            [*seeds_table.split("\n")[:6], "| **[Broken](http://x/abs/2509.00001v1)** | 2025 | cut"]
        ).encode(),
        "braces.bib": b"@article{smith2020,\n  title = {Unbalanced {braces},\n  year = {2020}\n}\n",
        "bad.json": b'[{"title": "A paper", "abstract": "x"}, {"title": ]',
    }
    out = {}
    for name, data in cases.items():
        path = tmp / name
        path.write_bytes(data)
        out[name] = path
    return out


def test_bad_input_names_the_file_exits_nonzero_and_changes_nothing(
    seeded_home: Path, tmp_path: Path
) -> None:
    before = stats()
    listing_before = run_cli("list", "--json", check=True).stdout
    for name, path in _bad_files(tmp_path).items():
        # A bad file next to a good new one: the call writes nothing at all.
        result = run_cli("ingest", str(REAL / "arxiv_rss_cs.AI_2025-08-20.xml"), str(path))
        assert result.returncode != 0, name
        error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(error_lines) == 1, (name, result.stderr)
        assert str(path) in error_lines[0], (name, result.stderr)
        assert "Traceback" not in result.stderr
    assert stats() == before
    assert run_cli("list", "--json", check=True).stdout == listing_before


def test_bad_input_messages_say_what_is_wrong(tmp_path: Path) -> None:
    files = _bad_files(tmp_path)
    expected = {
        "empty.txt": "empty",
        "binary.bib": "binary",
        "latin1.bib": "UTF-8",
        "truncated.xml": "malformed XML",
        "broken_row.txt": "line 7",
        "braces.bib": "line 1",
        "bad.json": "malformed JSON",
    }
    for name, fragment in expected.items():
        result = run_cli("ingest", str(files[name]))
        assert result.returncode == 2, (name, result.stderr)
        assert fragment in result.stderr, (name, result.stderr)


def test_skip_bad_ingests_the_good_files_and_lists_the_bad(tmp_path: Path) -> None:
    files = _bad_files(tmp_path)
    good = REAL / "arxiv_rss_cs.AI_2025-08-20.xml"
    result = run_cli(
        "ingest",
        str(good),
        str(files["empty.txt"]),
        str(files["braces.bib"]),
        "--skip-bad",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["new"] == 7
    assert len(report["bad"]) == 2 and any("empty.txt" in b for b in report["bad"])
    assert "skipped:" in result.stderr


def test_nothing_to_ingest_and_unknown_format_are_clear_errors(tmp_path: Path) -> None:
    none = run_cli("ingest")
    assert none.returncode != 0 and "nothing to ingest" in none.stderr
    wrong = run_cli("ingest", str(SEEDS[0]), "--format", "docx")
    assert wrong.returncode != 0 and "--format" in wrong.stderr
    missing = run_cli("ingest", str(tmp_path / "nope.bib"))
    assert missing.returncode == 2 and "nope.bib: no such file" in missing.stderr


def test_search_gives_absolute_scores_and_says_when_nothing_matches_well(
    seeded_home: Path,
) -> None:
    on_topic = run_cli("search", "polyp segmentation", "-k", "3", "--json", check=True)
    hits = json.loads(on_topic.stdout)
    assert all(0 <= h["similarity"] <= 1 and 0 <= h["query_terms"] <= 1 for h in hits)
    # The demo corpus has polyp segmentation papers: every top hit has both words.
    assert [h["query_terms"] for h in hits] == [1.0, 1.0, 1.0]
    assert "Nothing in the store matches" not in on_topic.stderr
    table = run_cli("search", "polyp segmentation", "-k", "3", check=True)
    assert "sim terms" in table.stdout and "100%" in table.stdout
    # A topic the medical-imaging corpus lacks: the nearest papers, said to be weak.
    off_topic = run_cli("search", "monetary policy and inflation", "-k", "3", "--json")
    assert off_topic.returncode == 0 and len(json.loads(off_topic.stdout)) == 3
    assert "Nothing in the store matches this well" in off_topic.stderr


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "error: the query is empty"),
        ("the of and", 'error: nothing to search for in "the of and": it holds only common words'),
        ("?! ...", 'error: nothing to search for in "?! ...": it holds no word'),
    ],
)
def test_an_empty_or_common_word_query_is_refused(
    seeded_home: Path, query: str, message: str
) -> None:
    result = run_cli("search", query)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[0] == message
