"""How well `reviewer digest --topic` keeps the relevant papers, per topic and threshold.

    python evals/digest_topics.py                                   # dev qrels
    python evals/digest_topics.py --qrels evals/data/heldout_qrels.json
    python evals/digest_topics.py --thresholds 0.3 0.35 --json

Each graded query is a topic; every paper of the seed corpus is a candidate (as if the
whole corpus were one week). A paper counts as relevant at grade >= 1. For each
threshold on ``reviewer.tasks.digest.topic_scores``'s relevance we report, per topic,
precision and recall (P/R; "-" when nothing is kept or nothing is relevant), and the
totals over all topics (micro): precision, recall, recall of the grade-2 papers, F1 and
how many papers were kept. The default threshold's row is marked with *. It also prints
the time one topic takes to score every candidate. The store is the one
evals/retrieval.py builds under evals/.cache/seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval import QRELS, ROOT, ingest_files, open_store, resolve_judgements

THRESHOLDS = [0.24, 0.26, 0.28, 0.3, 0.32, 0.34, 0.36, 0.4]


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def evaluate(qrels_path: Path, thresholds: list[float]) -> dict[str, Any]:
    from reviewer.tasks.digest import DEFAULT_MIN_SCORE, topic_scores

    store = open_store("seeds")
    ingest_files(store, sorted((ROOT / "reviewer" / "demo").glob("*.txt")))
    ids = sorted(s.paper.id for s in store.iter_all())
    qrels = json.loads(qrels_path.read_text(encoding="utf-8"))
    thresholds = sorted(set(thresholds) | {DEFAULT_MIN_SCORE})
    per_topic: list[dict[str, Any]] = []
    rows: list[tuple[int, float]] = []  # (grade, relevance) for every topic and paper
    seconds: list[float] = []
    for query in qrels["queries"]:
        grades, unmatched = resolve_judgements(store, query["judgements"])
        start = time.perf_counter()
        scores = [s.relevance for s in topic_scores(store, query["query"], ids)]
        seconds.append(time.perf_counter() - start)
        pairs = [(grades.get(pid, 0), score) for pid, score in zip(ids, scores, strict=True)]
        rows += pairs
        relevant = sum(1 for g, _ in pairs if g >= 1)
        entry: dict[str, Any] = {
            "qid": query["qid"],
            "topic": query["query"],
            "kind": query.get("kind"),
            "relevant": relevant,
            "unmatched_judgements": unmatched,
        }
        for t in thresholds:
            kept = [g for g, s in pairs if s >= t]
            hits = sum(1 for g in kept if g >= 1)
            entry[f"{t:g}"] = {
                "kept": len(kept),
                "precision": _ratio(hits, len(kept)),
                "recall": _ratio(hits, relevant),
            }
        per_topic.append(entry)
    totals: dict[str, Any] = {}
    for t in thresholds:
        kept = [g for g, s in rows if s >= t]
        hits = sum(1 for g in kept if g >= 1)
        relevant = sum(1 for g, _ in rows if g >= 1)
        top = sum(1 for g, _ in rows if g == 2)
        precision = hits / len(kept) if kept else 0.0
        recall = hits / relevant if relevant else 0.0
        totals[f"{t:g}"] = {
            "default": t == DEFAULT_MIN_SCORE,
            "kept": len(kept),
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "recall_grade2": _ratio(sum(1 for g in kept if g == 2), top),
            "f1": round(2 * precision * recall / (precision + recall), 3)
            if precision + recall
            else 0.0,
        }
    return {
        "qrels": str(qrels_path),
        "queries": len(qrels["queries"]),
        "default_threshold": DEFAULT_MIN_SCORE,
        "candidates": len(ids),
        "seconds_per_topic": round(sum(seconds) / len(seconds), 3) if seconds else None,
        "totals": totals,
        "topics": per_topic,
    }


def _cell(value: dict[str, Any]) -> str:
    def show(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    return f"{show(value['precision'])}/{show(value['recall'])}"


def render(report: dict[str, Any]) -> str:
    keys = list(report["totals"])
    out = [
        f"{report['qrels']}: {report['queries']} topics, {report['candidates']} candidates, "
        f"{report['seconds_per_topic']} s a topic to score them",
        "",
    ]
    out.append("threshold   precision  recall  recall(g2)    f1   kept")
    for key in keys:
        row = report["totals"][key]
        mark = "*" if row["default"] else " "
        g2 = "-" if row["recall_grade2"] is None else f"{row['recall_grade2']:.3f}"
        out.append(
            f"{mark} {float(key):<9g} {row['precision']:9.3f} {row['recall']:7.3f} "
            f"{g2:>11} {row['f1']:5.3f} {row['kept']:6d}"
        )
    out += ["", "per topic, precision/recall at each threshold (* = default):"]
    header = "  ".join(f"{('*' if report['totals'][k]['default'] else '') + k:>9}" for k in keys)
    out.append(f"{'topic':44} {'rel':>3}  {header}")
    for entry in report["topics"]:
        cells = "  ".join(f"{_cell(entry[k]):>9}" for k in keys)
        name = f"{entry['qid']} {entry['topic']}"[:44]
        out.append(f"{name:44} {entry['relevant']:3d}  {cells}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qrels", type=Path, default=QRELS)
    parser.add_argument("--thresholds", type=float, nargs="+", default=THRESHOLDS)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = evaluate(args.qrels, args.thresholds)
    print(json.dumps(report, indent=2) if args.json else render(report))


if __name__ == "__main__":
    main()
