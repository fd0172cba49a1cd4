"""How well `reviewer digest --topic` keeps the relevant papers, per threshold.

    python evals/digest_topics.py                      # dev qrels, thresholds 0.36..0.50
    python evals/digest_topics.py --qrels FILE.json --thresholds 0.4 0.45

Each graded query is a topic; every paper of the seed corpus is a candidate (as if
the whole corpus were one week). A paper counts as relevant at grade >= 1. For each
threshold on ``reviewer.tasks.digest.topic_scores``'s relevance we report precision,
recall, recall of the grade-2 papers and F1, summed over all queries (micro). The
store is the one evals/retrieval.py builds under evals/.cache/seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval import QRELS, ROOT, ingest_files, open_store, resolve_judgements


def evaluate(qrels_path: Path, thresholds: list[float]) -> dict[str, Any]:
    from reviewer.tasks.digest import topic_scores

    store = open_store("seeds")
    ingest_files(store, sorted((ROOT / "reviewer" / "demo").glob("*.txt")))
    ids = sorted(s.paper.id for s in store.iter_all())
    qrels = json.loads(qrels_path.read_text(encoding="utf-8"))
    rows: list[tuple[int, float]] = []  # (grade, relevance) for every query and paper
    for query in qrels["queries"]:
        grades, _ = resolve_judgements(store, query["judgements"])
        scores = topic_scores(store, query["query"], ids)
        rows += [(grades.get(pid, 0), score[0]) for pid, score in zip(ids, scores, strict=True)]
    report: dict[str, Any] = {"qrels": str(qrels_path), "queries": len(qrels["queries"])}
    for t in thresholds:
        kept = [(g, r >= t) for g, r in rows]
        tp = sum(1 for g, k in kept if g >= 1 and k)
        fp = sum(1 for g, k in kept if g == 0 and k)
        relevant = sum(1 for g, _ in kept if g >= 1)
        top = sum(1 for g, _ in kept if g == 2)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / relevant if relevant else 0.0
        report[f"{t:g}"] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "recall_grade2": round(sum(1 for g, k in kept if g == 2 and k) / top, 3)
            if top
            else None,
            "f1": round(2 * precision * recall / (precision + recall), 3)
            if precision + recall
            else 0.0,
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qrels", type=Path, default=QRELS)
    parser.add_argument(
        "--thresholds", type=float, nargs="+", default=[0.36, 0.38, 0.4, 0.42, 0.45, 0.5]
    )
    args = parser.parse_args()
    print(json.dumps(evaluate(args.qrels, args.thresholds), indent=2))


if __name__ == "__main__":
    main()
