"""Faithfulness of per-paper summaries: how much of what the model wrote was grounded
in the abstract before the validators pruned it, and what the summaries kept.

    REVIEWER_MODEL=openai/smollm2-135m REVIEWER_API_BASE=http://127.0.0.1:8080/v1 \\
        .venv/bin/python evals/faithfulness.py --papers 20

It summarizes a fixed sample of the seed papers (every k-th paper by id) through the
same path as `reviewer summarize` (cache, call log and validators included), then
reports from the raw answers (every answer the model gave) and from the final summaries:

- quotes verbatim: share of evidence quotes in the answers found verbatim in the abstract;
- numbers supported: share of numbers in the answers that occur in the abstract;
- answers rejected: answers the validators sent back (re-asks) or that failed the last time;
- fields filled: share of summary fields holding something after pruning (a field the
  abstract is silent on is correctly "not reported", so this is not expected to reach 1);
- calls, tokens and cost per paper (cost is 0 for a local model with no price set).

The final summaries must score 1.0 on quotes and numbers: the validators guarantee it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval import CACHE, ingest_files, open_store

from reviewer.profiles import load_profile

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "reviewer" / "demo").glob("*.txt"))


def sample(papers: list[Any], n: int) -> list[Any]:
    ordered = sorted(papers, key=lambda p: p.id)
    step = max(1, len(ordered) // n)
    return ordered[::step][:n]


def answer_stats(contents: list[str], abstract: str) -> dict[str, int]:
    """Grounding of what the model wrote, before any pruning."""
    from reviewer.grounding import numbers_in, quote_in, unsupported_numbers
    from reviewer.llm.client import strip_fences

    stats = {
        "quotes": 0,
        "quotes_verbatim": 0,
        "numbers": 0,
        "numbers_supported": 0,
        "answers": 0,
        "parseable": 0,
    }
    for content in contents:
        stats["answers"] += 1
        try:
            data = json.loads(strip_fences(content))
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        stats["parseable"] += 1
        for key in ("findings", "limitations"):
            for item in data.get(key) or []:
                if isinstance(item, dict) and isinstance(item.get("quote"), str):
                    stats["quotes"] += 1
                    stats["quotes_verbatim"] += int(quote_in(item["quote"], abstract))
        texts = [data.get(k) for k in ("tldr", "problem", "method", "task")]
        texts += [m.get("value") for m in data.get("metrics") or [] if isinstance(m, dict)]
        texts += [f.get("finding") for f in data.get("findings") or [] if isinstance(f, dict)]
        for text in texts:
            if isinstance(text, str):
                found = numbers_in(text)
                stats["numbers"] += len(found)
                stats["numbers_supported"] += len(found) - len(unsupported_numbers(text, abstract))
    return stats


# The seed corpus is medical imaging: summarized with that profile.
PROFILE = load_profile("medical-imaging")


def summary_stats(summary: Any, abstract: str) -> dict[str, int]:
    from reviewer.grounding import quote_in, unsupported_numbers

    s = summary
    FIELDS = PROFILE.field_names
    quotes = [x.quote for x in [*s.findings, *s.limitations]]
    texts = [
        s.problem,
        s.contribution,
        s.method,
        s.task,
        *(m.value for m in s.metrics),
        *(f.finding for f in s.findings),
    ]
    if s.tldr_source == "model":
        texts.append(s.tldr)
    return {
        "quotes": len(quotes),
        "quotes_verbatim": sum(quote_in(q, abstract) for q in quotes),
        "numbers_unsupported": sum(len(unsupported_numbers(t, abstract)) for t in texts),
        "fields": len(FIELDS),
        "fields_filled": len(FIELDS) - len(s.not_reported) - len(s.failed_fields),
        "tldr_from_model": int(s.tldr_source == "model"),
        "passed": int(s.validation == "passed"),
        "dropped": len(s.dropped),
    }


def share(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a (0)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()

    from reviewer.llm.client import LLMClient
    from reviewer.llm.db import LLMDatabase
    from reviewer.settings import load_settings
    from reviewer.tasks.summarize import summarize_one

    store = open_store("seeds")
    if store.count() == 0:
        ingest_files(store, SEEDS)
    papers = sample([sp.paper for sp in store.iter_all()], args.papers)
    settings = load_settings()
    settings.home = CACHE / "faithfulness-home"
    db = LLMDatabase(settings.llm_db_path)
    client = LLMClient(settings, db)

    from concurrent.futures import ThreadPoolExecutor

    raw: dict[str, int] = {}
    final: dict[str, int] = {}
    failed: list[str] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        results = list(pool.map(lambda p: (p, summarize_one(client, p, PROFILE)), papers))
    for paper, (summary, why, outcome) in results:
        for k, v in answer_stats(outcome.contents, paper.abstract).items():
            raw[k] = raw.get(k, 0) + v
        raw["rejected"] = raw.get("rejected", 0) + outcome.rejected
        if summary is None:
            failed.append(f"{paper.id}: {why}")
            continue
        for k, v in summary_stats(summary, paper.abstract).items():
            final[k] = final.get(k, 0) + v
    totals = db.totals(client.run_id)
    n = len(papers)
    report = {
        "model": client.model,
        "papers": n,
        "summarized": n - len(failed),
        "failed": failed,
        "answers": raw.get("answers", 0),
        "answers_parseable": raw.get("parseable", 0),
        "answers_rejected_by_validators": raw.get("rejected", 0),
        "raw_quotes_verbatim": share(raw.get("quotes_verbatim", 0), raw.get("quotes", 0)),
        "raw_numbers_supported": share(raw.get("numbers_supported", 0), raw.get("numbers", 0)),
        "final_quotes_verbatim": share(final.get("quotes_verbatim", 0), final.get("quotes", 0)),
        "final_numbers_unsupported": final.get("numbers_unsupported", 0),
        "final_fields_filled": share(final.get("fields_filled", 0), final.get("fields", 0)),
        "final_tldr_from_model": share(final.get("tldr_from_model", 0), n - len(failed)),
        "final_passed_without_pruning": share(final.get("passed", 0), n - len(failed)),
        "final_items_dropped": final.get("dropped", 0),
        "model_calls": totals["model_calls"],
        "cache_hits": totals["cache_hits"],
        "calls_per_paper": round(totals["model_calls"] / n, 2) if n else 0,
        "tokens_per_paper": round((totals["input_tokens"] + totals["output_tokens"]) / n)
        if n
        else 0,
        "cost_per_paper_usd": round(totals["cost_usd"] / n, 6) if n else 0,
        "cost_known": totals["priced"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            if key == "failed":
                value = len(value)
            print(f"{key:32} {value}")
        for line in failed:
            print(f"  failed: {line}")


if __name__ == "__main__":
    main()
