"""Retrieval evaluation: graded queries over the seed corpus, and known-item checks.

    python evals/retrieval.py                       # dev qrels, all three modes
    python evals/retrieval.py --qrels FILE.json     # another qrels file, same format
    python evals/retrieval.py --known-item          # SciFact and PubMedQA known-item check
    REVIEWER_MODEL=openai/qwen REVIEWER_API_BASE=http://127.0.0.1:8080/v1 \
        python evals/retrieval.py --expand          # the model widens each query (as search does)

Graded qrels name papers by title (and arXiv id where known); they are mapped
to store ids through the same identity keys the store uses. nDCG@10 uses the
exponential gain (2^grade - 1) with the ideal ranking over all judged papers;
Recall@20 counts papers of grade >= 1. Known-item: each SciFact claim or
PubMedQA question is a query whose one gold abstract should come back first;
we report MRR@10 and Recall@1/@10.

The store is built once under evals/.cache/<name> (ingesting unchanged input
again is free), so a rerun only pays for the queries.

--expand runs each query through the public API's search with the model's expansion
(its query variants and hypothetical abstract, reviewer/tasks/expand.py), as
`reviewer search` does with a model configured: it needs REVIEWER_MODEL (and
REVIEWER_API_BASE for a local server). The answers are cached under the store's folder,
so a rerun asks the model nothing; latency then counts cache hits. The report says, per
mode, on how many queries the expansion added something, and lists each query's notes
(an expansion that failed or ran out of REVIEWER_EXPAND_BUDGET).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The qrels and the SciFact/PubMedQA samples, in the repository (evals/data/PROVENANCE.md)
DATA = Path(__file__).resolve().parent / "data"
QRELS = DATA / "dev_qrels.json"
CACHE = Path(__file__).resolve().parent / ".cache"
MODES = ("hybrid", "dense", "lexical")


def open_store(name: str) -> Any:
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    from reviewer.index.store import Store
    from reviewer.settings import Settings

    settings = Settings(home=CACHE / name, chroma_url=os.environ.get("REVIEWER_CHROMA_URL"))
    return Store.open(settings)


def ingest_files(store: Any, files: list[Path]) -> None:
    from reviewer.corpus.readers import read_file

    entries = [p for f in files for p in read_file(f)[1]]
    result = store.ingest(entries)
    print(
        f"store: {store.count()} papers ({result.new} new, {result.embedded} embedded)",
        file=sys.stderr,
    )


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** grades.get(pid, 0) - 1) / math.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], grades: dict[str, int], k: int = 20) -> float:
    relevant = {pid for pid, g in grades.items() if g >= 1}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def resolve_judgements(store: Any, judgements: list[dict[str, Any]]) -> tuple[dict[str, int], int]:
    """Map judged titles/arXiv ids to store ids; returns (grades by id, how many unmatched)."""
    from reviewer.corpus.ids import normalize_title

    grades: dict[str, int] = {}
    missing = 0
    for j in judgements:
        keys = [f"title:{normalize_title(j['title'])}"]
        if j.get("arxiv"):
            keys.insert(0, f"arxiv:{j['arxiv']}")
        found = store._lookup_keys(keys)
        if not found:
            missing += 1
            continue
        pid = next(iter(found))
        grades[pid] = max(grades.get(pid, 0), int(j["grade"]))
    return grades, missing


class Ranker:
    """Ranks a query's papers in one store: the library's search, or with ``expand`` the
    public API's search with the model's expansion (and its notes kept)."""

    def __init__(self, name: str, store: Any, expand: bool) -> None:
        self.store = store
        self.expand = expand
        self.widened = 0  # queries the expansion added something to
        self.notes: dict[str, list[str]] = {}
        self.reviewer: Any = None
        if expand:
            from reviewer.api import Reviewer
            from reviewer.progress import CollectingReporter

            self.reporter = CollectingReporter()
            self.reviewer = Reviewer(
                home=CACHE / name,
                chroma_url=os.environ.get("REVIEWER_CHROMA_URL"),
                reporter=self.reporter,
            )
            if not self.reviewer.settings.model:
                sys.exit(
                    "error: --expand needs a model: set REVIEWER_MODEL (and REVIEWER_API_BASE)"
                )

    def __call__(self, query: str, k: int, mode: str) -> list[str]:
        if not self.expand:
            from reviewer.index.search import search

            return [h.paper.id for h in search(self.store, query, k=k, mode=mode)]  # type: ignore[arg-type]
        self.reporter.notes.clear()
        hits = self.reviewer.search(query, k=k, mode=mode)
        if hits and len(hits[0].queries) > 1:
            self.widened += 1
        notes = [n for n in self.reporter.notes if not n.startswith("Nothing in the store")]
        notes = [n for n in notes if not n.startswith("Also searching")]
        if notes:
            self.notes[f"{mode}: {query}"] = notes
        return [h.id for h in hits]


def graded_eval(
    qrels_path: Path, modes: tuple[str, ...], verbose: bool, expand: bool = False
) -> dict[str, Any]:
    store = open_store("seeds")
    ingest_files(store, sorted((ROOT / "reviewer" / "demo").glob("*.txt")))
    qrels = json.loads(qrels_path.read_text(encoding="utf-8"))
    report: dict[str, Any] = {
        "qrels": str(qrels_path),
        "queries": len(qrels["queries"]),
        "expand": expand,
        "modes": {},
    }
    per_query: dict[str, dict[str, float]] = {}
    rank = Ranker("seeds", store, expand)
    for mode in modes:
        rank.widened = 0
        ndcgs, recalls, latencies = [], [], []
        for q in qrels["queries"]:
            grades, missing = resolve_judgements(store, q["judgements"])
            if missing:
                print(
                    f"warning: {q['qid']}: {missing} judged papers not in the store",
                    file=sys.stderr,
                )
            start = time.perf_counter()
            ranked = rank(q["query"], 20, mode)
            latencies.append(time.perf_counter() - start)
            ndcgs.append(ndcg_at(ranked, grades))
            recalls.append(recall_at(ranked, grades))
            per_query.setdefault(q["qid"], {})[mode] = round(ndcgs[-1], 3)
        report["modes"][mode] = {
            "ndcg@10": round(sum(ndcgs) / len(ndcgs), 4),
            "recall@20": round(sum(recalls) / len(recalls), 4),
            "mean_latency_ms": round(1000 * sum(latencies) / len(latencies), 1),
        }
        if expand:
            report["modes"][mode]["widened_queries"] = rank.widened
    if expand:
        report["expansion_notes"] = rank.notes
    if verbose:
        report["per_query_ndcg@10"] = per_query
    return report


def _gold_text(ctx: dict[str, Any]) -> str:
    text = ctx.get("text", "")
    if isinstance(text, dict):
        text = " ".join(str(v) for v in text.values())
    return " ".join(str(text).split())


def known_item_eval(modes: tuple[str, ...], limit: int, expand: bool = False) -> dict[str, Any]:
    """Each query has exactly one gold abstract; how high does it rank?"""
    from reviewer.corpus.ids import canonical_id
    from reviewer.corpus.model import Paper, Source

    report: dict[str, Any] = {}
    for name in ("scifact_claims", "pubmedqa"):
        path = DATA / f"{name}.jsonl"
        rows = [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        rows = rows[:limit] if limit else rows
        papers: dict[str, Paper] = {}
        queries: list[tuple[str, str]] = []
        for row in rows:
            ctx = row["gold_ctx"][0]
            text = _gold_text(ctx)
            # PubMedQA contexts have no title: use the opening words, marked as such.
            title = ctx.get("title") or "[untitled] " + " ".join(text.split()[:12])
            paper = Paper(
                title=title, abstract=text, sources=[Source(path=str(path), format="json")]
            )
            paper.id = canonical_id(None, None, title)
            papers.setdefault(paper.id, paper)
            queries.append((row["input"], paper.id))
        store = open_store(f"known-{name}")
        result = store.ingest(list(papers.values()))
        print(f"{name}: {store.count()} abstracts ({result.embedded} embedded)", file=sys.stderr)
        report[name] = {"queries": len(queries), "abstracts": store.count(), "modes": {}}
        rank = Ranker(f"known-{name}", store, expand)
        for mode in modes:
            rr, hit1, hit10 = 0.0, 0, 0
            for query, gold in queries:
                ranked = rank(query, 10, mode)
                if gold in ranked:
                    rank = ranked.index(gold) + 1
                    rr += 1 / rank
                    hit1 += rank == 1
                    hit10 += 1
            n = len(queries)
            report[name]["modes"][mode] = {
                "mrr@10": round(rr / n, 4),
                "recall@1": round(hit1 / n, 4),
                "recall@10": round(hit10 / n, 4),
            }
        if expand:
            report[name]["expansion_notes"] = len(rank.notes)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--qrels", type=Path, default=QRELS)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument(
        "--known-item", action="store_true", help="Run the SciFact/PubMedQA check too."
    )
    parser.add_argument("--limit", type=int, default=0, help="Known-item: first N rows per set.")
    parser.add_argument("--verbose", action="store_true", help="Per-query nDCG@10.")
    parser.add_argument("--out", type=Path, help="Also write the report as JSON here.")
    parser.add_argument(
        "--expand",
        action="store_true",
        help="Widen each query with the model (REVIEWER_MODEL, REVIEWER_API_BASE), as search does.",
    )
    args = parser.parse_args()

    modes = tuple(args.modes)
    report: dict[str, Any] = {"graded": graded_eval(args.qrels, modes, args.verbose, args.expand)}
    if args.known_item:
        report["known_item"] = known_item_eval(modes, args.limit, args.expand)

    graded = report["graded"]
    widened = " with the model's expansion" if args.expand else ""
    print(f"Graded retrieval on {graded['queries']} queries ({graded['qrels']}){widened}:")
    print(f"  {'mode':8} {'nDCG@10':>8} {'Recall@20':>10} {'ms/query':>9}")
    for mode, m in graded["modes"].items():
        line = f"  {mode:8} {m['ndcg@10']:8.3f} {m['recall@20']:10.3f} {m['mean_latency_ms']:9.1f}"
        if args.expand:
            line += f"  (widened {m['widened_queries']}/{graded['queries']})"
        print(line)
    for where, notes in graded.get("expansion_notes", {}).items():
        print(f"    note: {where}: " + " ".join(notes))
    if args.verbose:
        for qid, scores in graded["per_query_ndcg@10"].items():
            print(f"    {qid}: " + "  ".join(f"{m}={v:.3f}" for m, v in scores.items()))
    for name, r in report.get("known_item", {}).items():
        print(f"Known-item, {name} ({r['queries']} queries over {r['abstracts']} abstracts):")
        print(f"  {'mode':8} {'MRR@10':>7} {'R@1':>6} {'R@10':>6}")
        for mode, m in r["modes"].items():
            print(f"  {mode:8} {m['mrr@10']:7.3f} {m['recall@1']:6.3f} {m['recall@10']:6.3f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
