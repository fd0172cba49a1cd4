"""Does `reviewer search` say so when nothing in the store matches? Queries on topics the
demo corpus covers and on topics it lacks (labelled by hand below), each run through the
public API; prints the best hit's absolute scores and whether the "nothing matches this
well" note came, and the share of queries the note got right.

    python evals/search_weak_match.py

The store is the demo corpus, built once under evals/.cache/seeds (as evals/retrieval.py
builds it). The note's rule is not imported here: only what a user sees is counted.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval import CACHE, ROOT, ingest_files, open_store

SEEDS = sorted((ROOT / "reviewer" / "demo").glob("*.txt"))

# Topics the demo corpus (medical imaging) covers: a good search finds papers on them.
COVERED = [
    "polyp segmentation",
    "noisy labels",
    "brain tumor segmentation MRI",
    "federated learning",
    "vision-language models for radiology report generation",
    "uncertainty estimation",
    "segment anything model adaptation",
    "diffusion models for image synthesis",
    "knowledge distillation",
    "self-supervised pretraining for chest X-rays",
]
# Topics it lacks: any hit is at best loosely related.
LACKED = [
    "dark matter halo simulations",
    "supply chain optimization",
    "protein folding molecular dynamics",
    "stock market volatility forecasting",
    "graph neural networks for social networks",
    "speech recognition for low-resource languages",
    "reinforcement learning for robot locomotion",
    "bird migration patterns",
    "compiler optimization for GPUs",
    "monetary policy and inflation",
]


def main() -> None:
    from reviewer.api import Reviewer
    from reviewer.progress import CollectingReporter

    store = open_store("seeds")
    if store.count() == 0:
        ingest_files(store, SEEDS)
    right = 0
    print(f"{'':8} {'query':52} {'best sim':>8} {'terms':>6}  note")
    for label, queries in (("covered", COVERED), ("lacked", LACKED)):
        for query in queries:
            reporter = CollectingReporter()
            rv = Reviewer(home=CACHE / "seeds", reporter=reporter)
            hits = rv.search(query, k=5)
            best = max(hits, key=lambda h: (h.similarity, h.query_terms))
            warned = any("Nothing in the store matches" in n for n in reporter.notes)
            right += warned == (label == "lacked")
            print(
                f"{label:8} {query[:52]:52} {best.similarity:8.2f} {best.query_terms:6.0%}  "
                f"{'weak' if warned else '-'}"
            )
    total = len(COVERED) + len(LACKED)
    print(f"\nnote right on {right}/{total} queries ({right / total:.0%})")


if __name__ == "__main__":
    main()
