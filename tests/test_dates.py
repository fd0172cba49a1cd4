"""Dates that mean what they say: first publication apart from the listed version's date.

An arXiv listing's date is that of the listed version: for v4 of 2402.10665, listed
2025-08-08, the paper is of February 2024 (its id) and was updated 2025-08-08.
The expectations here are computed from the seed files with a regex of their own,
not with the code under test.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, run_cli

from reviewer.corpus.dedupe import merge_records
from reviewer.corpus.model import Paper
from reviewer.index.search import Filters
from reviewer.index.store import published_int

# One seed table row: "| **[Title](http://arxiv.org/abs/2402.10665v4)** | 2025-08-08 | ..."
_ROW = re.compile(
    r"arxiv\.org/abs/(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})v(?P<v>\d+)\)\*\*\s*\|"
    r"\s*(?P<date>\d{4}-\d{2}-\d{2})\s*\|"
)


def _seed_listings() -> dict[str, list[tuple[int, date]]]:
    listings: dict[str, list[tuple[int, date]]] = defaultdict(list)
    for path in SEEDS:
        for match in _ROW.finditer(path.read_text(encoding="utf-8")):
            arxiv_id = f"{match['yy']}{match['mm']}.{match['num']}"
            listings[arxiv_id].append((int(match["v"]), date.fromisoformat(match["date"])))
    return listings


def _id_month(arxiv_id: str) -> tuple[int, int]:
    return 2000 + int(arxiv_id[:2]), int(arxiv_id[2:4])


@pytest.fixture(scope="module")
def stored(seeded_home_template: Path) -> dict[str, dict]:
    result = run_cli(
        "list", "--json", "--full", env={"REVIEWER_HOME": str(seeded_home_template)}, check=True
    )
    return {row["id"]: row for row in json.loads(result.stdout)}


def test_every_seed_paper_listed_in_another_month_than_its_id_is_dated_by_its_id(
    stored: dict[str, dict],
) -> None:
    listings = _seed_listings()
    moved = {
        arxiv_id: rows
        for arxiv_id, rows in listings.items()
        if any((d.year, d.month) != _id_month(arxiv_id) for _, d in rows)
    }
    # The count: 38 listing rows (37 papers) dated in another year than their id.
    rows_in_another_year = [
        d for i, rows in moved.items() for _, d in rows if d.year != _id_month(i)[0]
    ]
    assert len(rows_in_another_year) == 38 and len(moved) == 54
    for arxiv_id, rows in sorted(moved.items()):
        paper = stored[f"arxiv:{arxiv_id}"]
        published = date.fromisoformat(paper["published"])
        latest = max(d for _, d in rows)
        first = [d for v, d in rows if v == 1]
        if first:
            # The v1 listing's date is the first-version date (announced in the
            # month after the id's, or the paper is listed again as a revision).
            assert (paper["published"], paper["published_precision"]) == (
                first[0].isoformat(),
                "day",
            ), arxiv_id
            assert paper["updated"] == (latest.isoformat() if latest != first[0] else None)
        else:
            assert (published.year, published.month) == _id_month(arxiv_id), arxiv_id
            assert paper["published_precision"] == "month", arxiv_id
            assert paper["updated"] == latest.isoformat(), arxiv_id
            assert paper["year"] == _id_month(arxiv_id)[0], arxiv_id


def test_show_json_says_first_published_in_the_ids_month_and_updated_on_the_listing(
    seeded_home: Path,
) -> None:
    paper = json.loads(run_cli("show", "arxiv:2402.10665", "--json", check=True).stdout)
    assert paper["published"] == "2024-02-01" and paper["published_precision"] == "month"
    assert paper["first_published"] == "2024-02"
    assert paper["updated"] == "2025-08-08"
    assert paper["arxiv_version"] == 4 and paper["year"] == 2024
    row = next(
        r
        for r in json.loads(run_cli("list", "--json", check=True).stdout)
        if r["id"] == "arxiv:2402.10665"
    )
    assert row["published"] == "2024-02"


def test_related_work_bib_gives_a_revised_paper_the_year_of_its_id(
    seeded_home: Path, tmp_path: Path
) -> None:
    import bibtexparser

    bib = tmp_path / "refs.bib"
    run_cli(
        "related-work",
        "confidence estimation for selective prediction in semantic segmentation",
        "--extractive",
        "-k",
        "5",
        "-f",
        "latex",
        "-o",
        str(tmp_path / "draft.tex"),
        "--bib",
        str(bib),
        check=True,
    )
    library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
    assert not library.failed_blocks
    by_eprint = {e["eprint"]: e for e in library.entries if "eprint" in e}
    assert by_eprint["2402.10665"]["year"] == "2024"


def test_a_digest_window_leaves_out_revisions_of_older_papers(seeded_home: Path) -> None:
    august = ["digest", "--since", "2025-08-01", "--until", "2025-08-31", "--dry-run", "--json"]
    report = json.loads(run_cli(*august, check=True).stdout)
    ids = {p["id"] for theme in report["themes"] for p in theme["papers"]}
    assert ids
    # v4 listed 2025-08-08 of a February 2024 paper; v2 listed 2025-08-12 of February 2025.
    assert not ids & {"arxiv:2402.10665", "arxiv:2502.15204"}
    help_text = " ".join(run_cli("digest", "--help", check=True).stdout.split())
    assert "revisions of older papers are left out" in help_text


def test_reingesting_the_seeds_writes_nothing(seeded_home: Path) -> None:
    result = run_cli("ingest", *map(str, SEEDS), "--json", check=True)
    report = json.loads(result.stdout)
    assert report["new"] == 0 and report["updated"] == 0


def _paper(published: date | None, precision: str = "day", **fields: object) -> Paper:
    return Paper(
        title="A paper",
        arxiv_id="2402.10665",
        published=published,
        published_precision=precision,  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


def test_merge_keeps_the_earliest_first_version_and_a_known_day_over_its_month() -> None:
    month = _paper(date(2024, 2, 1), "month", updated=date(2025, 8, 8), arxiv_version=4)
    day = _paper(date(2024, 2, 16), arxiv_version=1)
    for records in ([month, day], [day, month]):
        merged = merge_records(records)
        assert (merged.published, merged.published_precision) == (date(2024, 2, 16), "day")
        assert merged.updated == date(2025, 8, 8)
    # A record stored before the change (day precision, the v4 date) loses to the id's month.
    old = _paper(date(2025, 8, 8), year=2025, arxiv_version=4)
    merged = merge_records([old, month])
    assert (merged.published, merged.published_precision) == (date(2024, 2, 1), "month")
    assert merged.updated == date(2025, 8, 8) and merged.known_year == 2024
    assert merged.year == 2024


def test_a_month_only_date_is_inside_every_window_that_overlaps_its_month() -> None:
    paper = _paper(date(2024, 2, 1), "month")
    stored = np.array([published_int(paper)])
    no_code = np.array([False])

    def inside(since: date | None, until: date | None) -> bool:
        mask = Filters(since=since, until=until).mask(stored, no_code)
        assert mask is not None
        return bool(mask[0])

    assert inside(date(2024, 2, 1), date(2024, 2, 29))
    assert inside(date(2024, 2, 15), None)
    assert inside(None, date(2024, 2, 1))
    assert inside(date(2024, 1, 1), date(2024, 3, 31))
    assert not inside(date(2024, 3, 1), None)
    assert not inside(None, date(2024, 1, 31))
    # A known day still compares by the day.
    day = np.array([published_int(_paper(date(2024, 2, 3)))])
    assert not bool(Filters(since=date(2024, 2, 15)).mask(day, no_code)[0])  # type: ignore[index]
