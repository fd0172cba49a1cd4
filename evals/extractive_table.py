"""Precision and coverage of the extractive comparison table (`reviewer compare --extractive`).

    python evals/extractive_table.py               # per-column precision and coverage
    python evals/extractive_table.py --verbose     # and every cell the extractor got wrong
    python evals/extractive_table.py --out report.json

The cells are hand-checked (evals/data/extractive_cells.jsonl, see PROVENANCE.md there): for
each paper and column, the value a careful reader takes from the title and abstract, or an
empty list when the abstract does not give one, with the sentence that justifies it. They
come from several fields: medical imaging (the demo corpus, reviewer/demo/), software
engineering, statistics, physics and economics (the arXiv API sample in
tests/data/real/), biomedicine (SciFact and PubMedQA abstracts in evals/data/).

The table is filled by the same task function `Reviewer.compare(..., extractive=True)`
calls (`compare_rows` with no model), for every paper of the data file at once.

Lenient match, per column:
- task, results: the value is right when one of the accepted phrases occurs in it (so
  "polyp segmentation in colonoscopy images" is right for "segmentation", and a results
  cell is right when it is one of the sentences that report a measured result);
- metrics, datasets, modality: the value is a list ("Dice, DSC"); it is right when every
  item equals, contains or is contained in one of the accepted names;
- comparison ignores case, punctuation and a plural "s".
A cell expected empty and filled counts as wrong. An empty cell (the table's "not
reported") is never counted against precision; coverage is the share of cells with an
expected value that the table filled correctly.

precision = right / filled; coverage = right / (cells with an expected value). The target
is precision >= 0.8 in every column; the exit code is 1 when a column is below
--min-precision (default 0.8).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CELLS = DATA / "extractive_cells.jsonl"
REAL = ROOT / "tests" / "data" / "real"
ARXIV = (REAL / "arxiv_api_query_testing_100.xml", REAL / "arxiv_rss_cs.AI_2025-08-20.xml")
DEMO = ROOT / "reviewer" / "demo"
COLUMNS = ("task", "modality", "datasets", "metrics", "results")
LIST_COLUMNS = {"metrics", "datasets", "modality"}
# This checkout's reviewer, not an installed one.
sys.path.insert(0, str(ROOT))


def _jsonl_text(ctx: dict[str, Any]) -> str:
    """A gold abstract of SciFact or PubMedQA. Some PubMedQA abstracts are stored as the
    structured record (a dict, or its Python repr) whose `contexts` are the sections."""
    text = ctx.get("text", "")
    if isinstance(text, str) and text.startswith("{'contexts'"):
        text = ast.literal_eval(text)
    if isinstance(text, dict):
        text = " ".join(text.get("contexts", []))
    return " ".join(str(text).split())


def load_papers(wanted: set[str]) -> dict[str, Any]:
    """The papers the data file names: demo and arXiv papers by their store id, SciFact
    and PubMedQA abstracts as `scifact:<line>` / `pubmedqa:<line>` (first gold abstract
    of that line, 0-based)."""
    from reviewer.corpus.dedupe import merge_duplicates
    from reviewer.corpus.model import Paper
    from reviewer.corpus.readers import read_file

    papers: dict[str, Any] = {}
    entries = [p for f in sorted(DEMO.glob("*.txt")) for p in read_file(f)[1]]
    entries += [p for f in ARXIV for p in read_file(f)[1]]
    for paper in merge_duplicates(entries):
        if paper.id in wanted:
            papers[paper.id] = paper
    for name in ("scifact", "pubmedqa"):
        path = DATA / ("scifact_claims.jsonl" if name == "scifact" else "pubmedqa.jsonl")
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines):
            pid = f"{name}:{n}"
            if pid in wanted:
                ctx = json.loads(line)["gold_ctx"][0]
                papers[pid] = Paper(id=pid, title=ctx.get("title") or "", abstract=_jsonl_text(ctx))
    return papers


def _norm(text: str) -> str:
    words = re.sub(r"[^0-9a-z]+", " ", text.lower()).split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


def matches(column: str, value: str, accepted: list[str]) -> bool:
    if not accepted:
        return False
    names = [_norm(a) for a in accepted]
    if column in LIST_COLUMNS:
        items = [_norm(i) for i in re.split(r"[,;]", value) if _norm(i)]
        return bool(items) and all(
            any(i == a or a in i or i in a for a in names if a) for i in items
        )
    got = _norm(value)
    return any(a and a in got for a in names)


def check_data(cells: list[dict[str, Any]], papers: dict[str, Any]) -> list[str]:
    """The data file's own consistency: every paper found, every evidence verbatim in its
    title or abstract."""
    problems = []
    for cell in cells:
        paper = papers.get(cell["id"])
        if paper is None:
            problems.append(f"{cell['id']}: paper not found")
            continue
        source = " ".join(f"{paper.title} {paper.abstract}".split())
        evidence = " ".join(cell.get("evidence", "").split())
        if evidence and evidence not in source:
            problems.append(f"{cell['id']} {cell['column']}: evidence not in the abstract")
        if cell["column"] not in COLUMNS:
            problems.append(f"{cell['id']}: unknown column {cell['column']}")
    return problems


def evaluate(cells: list[dict[str, Any]], papers: dict[str, Any]) -> dict[str, Any]:
    from reviewer.tasks.compare import compare_rows

    ids = list(dict.fromkeys(c["id"] for c in cells))
    rows = {r.id: r for r in compare_rows(None, [papers[i] for i in ids], list(COLUMNS))}
    report: dict[str, Any] = {"cells": len(cells), "papers": len(ids), "columns": {}}
    wrong: list[dict[str, Any]] = []
    for column in COLUMNS:
        mine = [c for c in cells if c["column"] == column]
        filled = right = expected = kept_empty = 0
        for cell in mine:
            got = rows[cell["id"]].cells[column]
            has_value = got.status == "reported"
            expected += bool(cell["expected"])
            if not has_value:
                kept_empty += not cell["expected"]
                continue
            filled += 1
            if matches(column, got.value, cell["expected"]):
                right += 1
            else:
                wrong.append(
                    {
                        "id": cell["id"],
                        "column": column,
                        "got": got.value,
                        "expected": cell["expected"],
                    }
                )
        report["columns"][column] = {
            "cells": len(mine),
            "expected_filled": expected,
            "expected_empty": len(mine) - expected,
            "filled": filled,
            "right": right,
            "precision": round(right / filled, 3) if filled else None,
            "coverage": round(right / expected, 3) if expected else None,
            "empty_kept_empty": kept_empty,
        }
    report["wrong"] = wrong
    return report


def _print_table(title: str, report: dict[str, Any]) -> None:
    print(f"{title}: {report['cells']} cells of {report['papers']} papers")
    print(
        f"  {'column':9} {'cells':>5} {'expect':>6} {'filled':>6} {'right':>5} "
        f"{'precision':>9} {'coverage':>8} {'empty ok':>8}"
    )
    for column, m in report["columns"].items():
        precision = "-" if m["precision"] is None else f"{m['precision']:.3f}"
        coverage = "-" if m["coverage"] is None else f"{m['coverage']:.3f}"
        print(
            f"  {column:9} {m['cells']:5} {m['expected_filled']:6} {m['filled']:6} "
            f"{m['right']:5} {precision:>9} {coverage:>8} "
            f"{m['empty_kept_empty']:>4}/{m['expected_empty']:<3}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cells", type=Path, default=CELLS)
    parser.add_argument("--min-precision", type=float, default=0.8)
    parser.add_argument("--verbose", action="store_true", help="List the wrong cells.")
    parser.add_argument("--out", type=Path, help="Also write the report as JSON here.")
    args = parser.parse_args()

    cells = [json.loads(line) for line in args.cells.read_text().splitlines() if line.strip()]
    papers = load_papers({c["id"] for c in cells})
    problems = check_data(cells, papers)
    if problems:
        print("data file problems:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(2)
    report = {"all": evaluate(cells, papers)}
    for split in sorted({c.get("split", "dev") for c in cells}):
        report[split] = evaluate([c for c in cells if c.get("split", "dev") == split], papers)
    for name, part in report.items():
        _print_table(f"Extractive table, {name}", part)
    if args.verbose:
        for w in report["all"]["wrong"]:
            print(f"  wrong: {w['id']} {w['column']}: {w['got']!r} (expected {w['expected']})")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    below = [
        column
        for column, m in report["all"]["columns"].items()
        if m["precision"] is not None and m["precision"] < args.min_precision
    ]
    if below:
        print(f"precision below {args.min_precision}: {', '.join(below)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
