"""Related-work drafts on graded topics: are the citations real, cited where needed,
supported, and do they cover the papers a section on the topic should cite?

    REVIEWER_MODEL=openai/smollm2-135m REVIEWER_API_BASE=http://127.0.0.1:8080/v1 \\
        .venv/bin/python evals/related_work.py                     # the ten dev topics
    .venv/bin/python evals/related_work.py --extractive             # no model: quoted drafts
    REVIEWER_MODEL=gpt-4o-mini OPENAI_API_KEY=... REVIEWER_JUDGE_MODEL=gpt-4o \\
        .venv/bin/python evals/related_work.py --json               # with a judge

Each topic of the qrels file (default ``evals/data/dev_qrels.json``) is drafted
through the same path as ``reviewer related-work`` (retrieval, outline, paragraphs,
validators, cache and call log), then measured, on the final draft and, where it says
"raw", on every answer the model gave before the validators pruned it:

- citation validity: share of citations that resolve to a paper retrieved for the topic
  and present in the store (must be 1.0 in the final draft);
- finding sentences cited: share of sentences stating a finding that carry a citation;
- coverage: share of the topic's grade-2 papers the draft cites (and, for reference, the
  share that retrieval put in front of the writer);
- unsupported-number rate: share of numbers not found in any abstract the sentence cites;
- with a judge (``REVIEWER_JUDGE_MODEL``, plus ``REVIEWER_JUDGE_API_BASE`` /
  ``REVIEWER_JUDGE_API_KEY`` for an OpenAI-compatible server), ALCE citation recall and
  precision, sentence by sentence (reviewer.tasks.judge).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval import CACHE, QRELS, ingest_files, open_store, resolve_judgements

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "reviewer" / "demo").glob("*.txt"))


def raw_sentence_stats(contents: list[str], sources: dict[str, str]) -> dict[str, int]:
    """Grounding of every answer the model gave for one paragraph, before pruning."""
    from reviewer.grounding import numbers_in, unsupported_numbers
    from reviewer.llm.client import strip_fences
    from reviewer.tasks.draft_model import split_markers, states_finding

    stats = dict.fromkeys(
        ("answers", "parseable", "sentences", "findings", "findings_cited", "citations",
         "citations_valid", "numbers", "numbers_supported"), 0
    )  # fmt: skip
    for content in contents:
        stats["answers"] += 1
        try:
            data = json.loads(strip_fences(content))
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("sentences"), list):
            continue
        stats["parseable"] += 1
        for item in data["sentences"]:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                continue
            text, inline = split_markers(item["text"])
            cites = [c for c in item.get("citations") or [] if isinstance(c, str)] + inline
            stats["sentences"] += 1
            stats["citations"] += len(cites)
            valid = [c for c in cites if c in sources]
            stats["citations_valid"] += len(valid)
            if states_finding(text):
                stats["findings"] += 1
                stats["findings_cited"] += int(bool(cites))
            found = numbers_in(text)
            stats["numbers"] += len(found)
            cited_text = "\n".join(sources[c] for c in valid)
            stats["numbers_supported"] += len(found) - len(unsupported_numbers(text, cited_text))
    return stats


def final_stats(
    draft: Any, store: Any, sources: dict[str, str], grade2: set[str]
) -> dict[str, Any]:
    from reviewer.grounding import numbers_in, unsupported_numbers
    from reviewer.tasks.draft_model import states_finding

    considered = {c.key: c.id for c in draft.considered}
    in_store = {s.paper.id for s in store.get_many(list(considered.values()))}
    stats = dict.fromkeys(
        ("sentences", "model_sentences", "findings", "findings_cited", "citations",
         "citations_valid", "numbers", "numbers_supported"), 0
    )  # fmt: skip
    for section in draft.sections:
        for sentence in section.sentences:
            stats["sentences"] += 1
            stats["model_sentences"] += int(not sentence.quote)
            stats["citations"] += len(sentence.citations)
            stats["citations_valid"] += sum(
                1 for c in sentence.citations if c in considered and considered[c] in in_store
            )
            if states_finding(sentence.text):
                stats["findings"] += 1
                stats["findings_cited"] += int(bool(sentence.citations))
            found = numbers_in(sentence.text)
            cited_text = "\n".join(sources[c] for c in sentence.citations if c in sources)
            stats["numbers"] += len(found)
            stats["numbers_supported"] += len(found) - len(
                unsupported_numbers(sentence.text, cited_text)
            )
    cited_ids = {r.id for r in draft.references}
    stats["grade2"] = len(grade2)
    stats["grade2_cited"] = len(grade2 & cited_ids)
    stats["grade2_retrieved"] = len(grade2 & set(considered.values()))
    stats["sections_by_model"] = sum(s.written_by == "model" for s in draft.sections)
    stats["sections"] = len(draft.sections)
    stats["dropped"] = len(draft.dropped)
    return stats


def share(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def measures(final: dict[str, Any], raw: dict[str, int]) -> dict[str, float | None]:
    """The reported shares, from the counts of the final draft(s) and the raw answers."""
    return {
        "citation_validity": share(final["citations_valid"], final["citations"]),
        "findings_cited": share(final["findings_cited"], final["findings"]),
        "coverage_grade2": share(final["grade2_cited"], final["grade2"]),
        "retrieved_grade2": share(final["grade2_retrieved"], final["grade2"]),
        "unsupported_number_rate": share(
            final["numbers"] - final["numbers_supported"], final["numbers"]
        ),
        "raw_citation_validity": share(raw.get("citations_valid", 0), raw.get("citations", 0)),
        "raw_findings_cited": share(raw.get("findings_cited", 0), raw.get("findings", 0)),
        "raw_unsupported_number_rate": share(
            raw.get("numbers", 0) - raw.get("numbers_supported", 0), raw.get("numbers", 0)
        ),
    }


def make_judge(rv: Any) -> Any:
    """The library's judge (REVIEWER_JUDGE_MODEL, REVIEWER_JUDGE_API_BASE,
    REVIEWER_JUDGE_API_KEY: ``Reviewer.support_judge``), or None when none is set."""
    if not rv.settings.judge_model:
        return None
    return rv.support_judge()


def draft_topic(
    rv: Any, topic: str, k: int, themes: int, words: int, expand: bool, extractive: bool
) -> tuple[Any, Any, list[Any]]:
    """The draft ``reviewer related-work`` writes (the same API call), with every raw
    answer and the papers considered."""
    from reviewer.tasks import related_work as rw

    trace = rw.Trace()
    draft = rv.related_work(
        topic,
        k=k,
        themes=themes,
        words=words,
        expand=expand,
        extractive=extractive,
        concurrency=2,
        trace=trace,
    )
    return draft, trace, trace.candidates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qrels", type=Path, default=QRELS)
    parser.add_argument("-k", type=int, default=12, help="papers per topic (as the CLI)")
    parser.add_argument("--themes", type=int, default=4)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--no-expand", action="store_true", help="no model-written query variants")
    parser.add_argument("--extractive", action="store_true", help="no model: quoted drafts")
    parser.add_argument("--topics", type=int, default=0, help="only the first N topics")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--save", type=Path, default=None, help="write each draft to DIR/<qid>.json"
    )
    args = parser.parse_args()

    from reviewer.api import Reviewer
    from reviewer.tasks.judge import SupportScores, alce_scores

    store = open_store("seeds")
    if store.count() == 0:
        ingest_files(store, SEEDS)
    # The store above, and the call log and cache of this eval's own home.
    rv = Reviewer(home=CACHE / "seeds")
    settings = rv.settings
    model = None if args.extractive else settings.model
    if model is None and not args.extractive:
        sys.exit("error: set REVIEWER_MODEL (or pass --extractive)")
    judge = make_judge(rv)
    qrels = json.loads(args.qrels.read_text(encoding="utf-8"))["queries"]
    if args.topics:
        qrels = qrels[: args.topics]

    per_topic: list[dict[str, Any]] = []
    raw_total: dict[str, int] = {}
    final_total: dict[str, int] = {}
    support_total = SupportScores()
    started = time.perf_counter()
    for q in qrels:
        t0 = time.perf_counter()
        grades, _ = resolve_judgements(store, q["judgements"])
        grade2 = {pid for pid, g in grades.items() if g == 2}
        draft, trace, candidates = draft_topic(
            rv, q["query"], args.k, args.themes, args.words, not args.no_expand, args.extractive
        )
        sources = {c.key: c.source for c in candidates}
        if args.save is not None:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{q['qid']}.json").write_text(draft.model_dump_json(indent=2))
        raw: dict[str, int] = {}
        for name, outcome in trace.outcomes:
            if name in ("queries", "outline"):
                continue
            for key, value in raw_sentence_stats(outcome.contents, sources).items():
                raw[key] = raw.get(key, 0) + value
        final = final_stats(draft, store, sources, grade2)
        row: dict[str, Any] = {
            "qid": q["qid"],
            "topic": q["query"],
            **measures(final, raw),
            "sentences": final["sentences"],
            "sentences_by_model": final["model_sentences"],
            "sections_by_model": f"{final['sections_by_model']}/{final['sections']}",
            "dropped": final["dropped"],
            "model_calls": draft.footer.model_calls,
            "tokens": draft.footer.input_tokens + draft.footer.output_tokens,
            "seconds": round(time.perf_counter() - t0, 1),
        }
        if judge is not None:
            claims = [
                (s.text, [sources[c] for c in s.citations if c in sources])
                for sec in draft.sections
                for s in sec.sentences
            ]
            scores = alce_scores(claims, judge)
            support_total.add(scores)
            row["alce_citation_recall"] = scores.recall
            row["alce_citation_precision"] = scores.precision
        per_topic.append(row)
        for key, value in raw.items():
            raw_total[key] = raw_total.get(key, 0) + value
        for key, value in final.items():
            final_total[key] = final_total.get(key, 0) + value
        print(f"{q['qid']}: {json.dumps(row)}", file=sys.stderr)

    f, r = final_total, raw_total
    report: dict[str, Any] = {
        "model": model or "extractive (no model)",
        "judge": judge.name if judge else None,
        "topics": len(per_topic),
        "k": args.k,
        **measures(f, r),
        "numbers_in_final": f["numbers"],
        "raw_answers": r.get("answers", 0),
        "raw_answers_parseable": r.get("parseable", 0),
        "sentences": f["sentences"],
        "sentences_by_model": f["model_sentences"],
        "sentences_dropped": f["dropped"],
        "sections_by_model": f"{f['sections_by_model']}/{f['sections']}",
        "alce_citation_recall": support_total.recall if judge else None,
        "alce_citation_precision": support_total.precision if judge else None,
        "model_calls": sum(t["model_calls"] for t in per_topic),
        "tokens": sum(t["tokens"] for t in per_topic),
        "seconds": round(time.perf_counter() - started, 1),
        "per_topic": per_topic,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        if key != "per_topic":
            print(f"{key:28} {value}")
    print()
    columns = ("qid", "citation_validity", "findings_cited", "coverage_grade2", "retrieved_grade2",
               "unsupported_number_rate", "sentences_by_model", "dropped", "seconds")  # fmt: skip
    print(" ".join(f"{c[:14]:>14}" for c in columns))
    for row in per_topic:
        print(" ".join(f"{row[c]!s:>14}" for c in columns))


if __name__ == "__main__":
    main()
