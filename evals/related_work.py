"""Related-work drafts on graded topics: are the citations real, cited where needed,
supported, do they cover the papers a section on the topic should cite, and do the
model's own sentences survive without the kinds of sentence a section must not have?

    REVIEWER_MODEL=openai/qwen2.5-coder-1.5b-instruct REVIEWER_API_BASE=http://127.0.0.1:8080/v1 \\
        .venv/bin/python evals/related_work.py                     # the ten dev topics
    .venv/bin/python evals/related_work.py --topics 3 --k 8 --words 250 --verbose
    .venv/bin/python evals/related_work.py --extractive --topics 2  # no model: quoted drafts
    REVIEWER_MODEL=gpt-4o-mini OPENAI_API_KEY=... REVIEWER_JUDGE_MODEL=gpt-4o \\
        .venv/bin/python evals/related_work.py --json               # with a judge

Each topic of the qrels file (default ``evals/data/dev_qrels.json``; ``--topics N``: the
first N) is drafted through the same path as ``reviewer related-work`` (retrieval,
outline, paragraphs, validators, cache and call log; ``--k``, ``--themes`` and
``--words`` as the command, same defaults), then measured per topic and in total, on the
final draft and, where it says "raw", on every answer the model gave before the
validators pruned it.

What the draft is made of:

- themes: how many; written by the model (at least one model sentence kept) or fallen
  back to quotes (the section says ``written_by: extractive`` and, with a model, a note
  why); the share of themes with a model sentence kept (target >= 0.70);
- model sentences kept and dropped (the draft's ``dropped`` list), with the most common
  drop reasons (the JSON keeps only each reason's message, so reasons are grouped by
  the eval's own table of message patterns, ``REASON_LABELS``);
- words written (the eval's own count of word tokens) against the ``--words`` target;
- citations per kept model sentence (mean; target <= 3).

Kept sentences of a forbidden kind, found by the eval's own detectors (target 0 of each;
``--verbose`` prints the offenders). A quoted sentence (``quote: true``, the abstract's
own words) counts as inside quotation marks throughout.

- about-the-text: a sentence about the draft rather than the papers (``ABOUT_TEXT``:
  "The papers in this section...", "This section discusses...", "In this paragraph",
  "the works above/below", "as discussed above", "here we review");
- fragment: it starts with a lowercase word that is not a name (a name has a capital or
  a digit after its first letter: "nnU-Net", "eSAM", "3D") or with punctuation, or it
  holds two sentences (a ``.``, ``!`` or ``?`` followed by a capitalised word, except
  after abbreviations: "e.g.", "et al.", "vs.", "Fig.", initials);
- authors-voice: "we", "our" or "ours" outside quotation marks (``"..."``, ``“...”``);
- unquoted-copy: at least 10 consecutive words (lowercased word tokens) shared with the
  title and abstract of a paper the sentence cites, outside quotation marks (longest
  common run by ``difflib.SequenceMatcher`` over the token lists);
- misquote: a stretch of four words or more inside quotation marks that is not, word for
  word (lowercased word tokens), in the title or abstract of a paper the sentence cites;
- citation-pile: five or more citations on one sentence;
- looping theme title: a word repeated twice in a row in a theme's title ("model
  model"), counted per theme.

Grounding measures (as before):

- citation validity: share of citations that resolve to a paper retrieved for the topic
  and present in the store (must be 1.0 in the final draft);
- finding sentences cited: share of sentences stating a finding (a number, or a verb of
  contribution or result: ``FINDING``) that carry a citation;
- coverage: share of the topic's grade-2 papers the draft cites (and, for reference, the
  share that retrieval put in front of the writer);
- unsupported-number rate: share of numbers (``NUMBER``: digits not glued to letters, so
  "SAM2" and "3D" are names, not values) whose value is not among the numbers of any
  abstract the sentence cites;
- with a judge (``REVIEWER_JUDGE_MODEL``, plus ``REVIEWER_JUDGE_API_BASE`` /
  ``REVIEWER_JUDGE_API_KEY`` for an OpenAI-compatible server), ALCE citation recall and
  precision, sentence by sentence (reviewer.tasks.judge).

Every measure above is computed here, by small implementations of its own (number
regex, inline ``[key]`` marker splitting, finding regex, detectors): nothing imports the
functions of ``reviewer`` that check grounding or sentence rules, so the numbers are not
true by construction. Drafting itself goes through ``Reviewer.related_work``, the thing
under test.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval import CACHE, QRELS, ingest_files, open_store, resolve_judgements

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "reviewer" / "demo").glob("*.txt"))

# The command's defaults (reviewer related-work -k / --words / --themes).
DEFAULT_K, DEFAULT_WORDS, DEFAULT_THEMES = 12, 400, 4
TARGET_THEME_SHARE, TARGET_CITES = 0.70, 3.0
COPY_RUN, PILE = 10, 5
FORBIDDEN = (
    "about_text",
    "fragment",
    "authors_voice",
    "unquoted_copy",
    "misquote",
    "citation_pile",
)

# -- the eval's own text measures ------------------------------------------------------

# A number: digits (1,234 thousands, 0.91 decimals) not glued to a letter on either side.
NUMBER = re.compile(r"(?<![A-Za-z0-9.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![A-Za-z0-9])"
                    r"|(?<![A-Za-z0-9.,])\d+(?:\.\d+)?(?![A-Za-z0-9])")  # fmt: skip
# A sentence that says what a work does or found: a verb of contribution or result.
FINDING = re.compile(
    r"\b(?:propos|introduc|present|develop|achiev|attain|obtain|reach|outperform|surpass|"
    r"exceed|beat|improv|enhanc|boost|reduc|lower|increas|rais|show|demonstrat|report|"
    r"reveal|find|found|confirm|prov|yield|evaluat|validat|benchmark|adapt|fine-?tun|"
    r"extend|leverag|appl|employ|use[ds]?\b|using|train|combin|integrat)\w*",
    re.IGNORECASE,
)
MARKER = re.compile(r"\[([^\[\]]+)\]")
QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»")
WORD = re.compile(r"[0-9A-Za-z\u00c0-\u024f][0-9A-Za-z\u00c0-\u024f'’\-]*")
TOKEN = re.compile(r"[0-9a-z\u00e0-\u024f]+")
ABOUT_TEXT = re.compile(
    r"\b(?:this|the present|the following|the above)\s+(?:section|paragraph|review|survey|"
    r"overview|theme|subsection|chapter|part|text|summary)\s+(?:\w+\s+){0,2}?"
    r"(?:discuss|cover|present|review|describ|summari[sz]|focus|explor|highlight|examin|"
    r"outlin|introduc|address|consider|look|is about|will)\w*"
    r"|\b(?:in|within|throughout)\s+this\s+(?:section|paragraph|review|survey|theme|"
    r"subsection|overview)\b"
    r"|\b(?:papers?|works?|studies|articles?|approaches|methods)\s+(?:in|of|under|within)\s+"
    r"(?:this|the present)\s+(?:section|paragraph|theme|review|survey|category|group)\b"
    r"|\b(?:the|these)\s+(?:papers?|works?|studies|articles?)\s+(?:discussed|reviewed|"
    r"listed|presented|cited|mentioned|covered|considered)\s+(?:here|above|below|so far)\b"
    r"|\bas\s+(?:discussed|mentioned|noted|described|shown|seen)\s+(?:above|below|earlier|"
    r"before|previously)\b"
    r"|\bhere,?\s+we\s+(?:review|discuss|summari[sz]e|describe|present|survey)\b",
    re.IGNORECASE,
)
VOICE = re.compile(r"\b(?:we|our|ours)\b", re.IGNORECASE)
# A sentence end inside an item: ., ! or ? (and any closing quote or bracket), a space,
# then a capital letter or digit; not after the abbreviations below or an initial.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“(]?[A-Z0-9])")
ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|et al|etc|vs|cf|Fig|Figs|Eq|Eqs|Sec|Tab|No|approx|resp|Dr|Mr|Ms|"
    r"Prof|St|al|viz|ca)|\b[A-Z]|\.\.)\.[\"'”’)\]]*$"
)
LOOP = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def number_values(text: str) -> list[tuple[str, float]]:
    """Each number of text with its value (1,234 -> 1234.0)."""
    return [(m.group(), float(m.group().replace(",", ""))) for m in NUMBER.finditer(nfkc(text))]


def unsupported(text: str, source: str) -> list[str]:
    """The numbers of text whose value is not the value of any number in source."""
    known = {value for _, value in number_values(source)}
    return [token for token, value in number_values(text) if value not in known]


def split_markers(text: str) -> tuple[str, list[str]]:
    """Inline ``[key]`` / ``[key1; key2]`` markers taken out of a sentence."""
    keys = [
        key.strip().lstrip("@").strip()
        for group in MARKER.findall(text)
        for key in re.split(r"[;,]", group)
        if key.strip().lstrip("@").strip()
    ]
    cleaned = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", text))
    return " ".join(cleaned.split()), keys


def states_finding(text: str) -> bool:
    return bool(number_values(text)) or bool(FINDING.search(text))


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def strip_fences(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()


def unquoted_parts(text: str, quote: bool) -> list[str]:
    """The stretches of a sentence outside quotation marks (none for a quoted sentence)."""
    return [] if quote else QUOTED.split(text)


def is_fragment(text: str) -> bool:
    stripped = text.lstrip("\"“'‘([ ")
    if not stripped:
        return True
    first = stripped.split()[0]
    if not first[0].isalnum():
        return True  # ", which ...", "; and ..."
    if first[0].islower() and not any(c.isupper() or c.isdigit() for c in first[1:]):
        return True
    for match in SENTENCE_END.finditer(text):
        if not ABBREVIATION.search(text[: match.start()]):
            return True
    return False


def copied_run(text: str, quote: bool, cited_sources: list[str]) -> int:
    """The longest run of consecutive words shared with one cited source, outside quotes."""
    best = 0
    sources = [TOKEN.findall(nfkc(s).lower()) for s in cited_sources]
    for part in unquoted_parts(text, quote):
        words = TOKEN.findall(nfkc(part).lower())
        if len(words) < COPY_RUN:
            continue
        for source in sources:
            matcher = difflib.SequenceMatcher(None, words, source, autojunk=False)
            best = max(best, matcher.find_longest_match(0, len(words), 0, len(source)).size)
    return best


def misquoted(text: str, quote: bool, cited_sources: list[str]) -> bool:
    """A quotation of four words or more that no cited source holds word for word."""
    sources = [" " + " ".join(TOKEN.findall(nfkc(s).lower())) + " " for s in cited_sources]
    stretches = [text] if quote else QUOTED.findall(text)
    for stretch in stretches:
        words = TOKEN.findall(nfkc(stretch).lower())
        if len(words) >= 4 and not any(f" {' '.join(words)} " in s for s in sources):
            return True
    return False


def forbidden_kinds(
    text: str, citations: list[str], quote: bool, sources: dict[str, str]
) -> list[str]:
    """Which forbidden kinds one kept sentence is, by the eval's own detectors."""
    kinds = []
    if ABOUT_TEXT.search(text):
        kinds.append("about_text")
    if is_fragment(text):
        kinds.append("fragment")
    if any(VOICE.search(part) for part in unquoted_parts(text, quote)):
        kinds.append("authors_voice")
    cited = [sources[c] for c in citations if c in sources]
    if copied_run(text, quote, cited) >= COPY_RUN:
        kinds.append("unquoted_copy")
    if misquoted(text, quote, cited):
        kinds.append("misquote")
    if len(set(citations)) >= PILE:
        kinds.append("citation_pile")
    return kinds


# Drop reasons come back as messages only; grouped by these patterns (first match).
REASON_LABELS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.IGNORECASE))
    for label, pattern in (
        ("about the text", r"about the text"),
        ("fragment", r"mid-sentence|more than one sentence|fragment"),
        ("authors' voice", r"authors' voice|we/our"),
        ("unquoted copy", r"without quotation marks|copies \d+ words"),
        ("misquote", r"in quotation marks, but"),
        ("cut off", r"cut off"),
        ("says nothing", r"says nothing"),
        ("repetitive", r"repeats"),
        ("unknown citation", r"not one of the papers given|unknown citation"),
        ("uncited finding", r"cites no paper"),
        ("number not in cited abstract", r"numbers? not in"),
        ("number tied to the wrong paper", r"is in \[.*\], but what the sentence ties"),
        ("name not in cited abstract", r"which no cited abstract mentions"),
        ("uncited source of a name", r"which it does not cite"),
        ("unstated comparison", r"compares .* which no cited abstract"),
        ("reversed comparison", r"reversed comparison"),
        ("direction conflict", r"direction conflict"),
        ("negation conflict", r"negation conflict"),
        ("overstated", r"matching sentences of the abstract do not"),
        ("citation adds nothing", r"adds? nothing|for nothing"),
        ("sweeping claim", r"no single abstract can"),
        ("key used as a name", r"by its citation key"),
        ("words not in cited abstracts", r"words are not in the cited"),
    )
)


def reason_label(reason: str) -> str:
    for label, pattern in REASON_LABELS:
        if pattern.search(reason):
            return label
    return "other: " + " ".join(reason.split()[:5])


# -- measuring -------------------------------------------------------------------------


def raw_sentence_stats(contents: list[str], sources: dict[str, str]) -> dict[str, int]:
    """Grounding of every answer the model gave for one paragraph, before pruning."""
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
            found = number_values(text)
            stats["numbers"] += len(found)
            cited_text = "\n".join(sources[c] for c in valid)
            stats["numbers_supported"] += len(found) - len(unsupported(text, cited_text))
    return stats


COUNTS = (
    "sentences", "model_sentences", "quoted_sentences", "findings", "findings_cited",
    "citations", "citations_valid", "model_citations", "numbers", "numbers_supported",
    "words", "model_words", "themes", "themes_model", "themes_fallback", "dropped",
    "looping_titles", *FORBIDDEN, *(f"quoted_{k}" for k in FORBIDDEN),
)  # fmt: skip


def final_stats(
    draft: Any, store: Any, sources: dict[str, str], grade2: set[str]
) -> tuple[dict[str, int], dict[str, Any]]:
    """Counts of the final draft, and the details behind them (offenders, reasons)."""
    considered = {c.key: c.id for c in draft.considered}
    in_store = {s.paper.id for s in store.get_many(list(considered.values()))}
    stats = dict.fromkeys(COUNTS, 0)
    offenders: list[dict[str, Any]] = []
    fallbacks: list[dict[str, str]] = []
    for section in draft.sections:
        stats["themes"] += 1
        if LOOP.search(section.theme):
            stats["looping_titles"] += 1
            offenders.append({"kind": "looping_title", "theme": section.theme, "text": ""})
        model_kept = 0
        for sentence in section.sentences:
            text, cites = sentence.text, list(sentence.citations)
            n_words = word_count(text)
            stats["sentences"] += 1
            stats["words"] += n_words
            stats["citations"] += len(cites)
            stats["citations_valid"] += sum(
                1 for c in cites if c in considered and considered[c] in in_store
            )
            if sentence.quote:
                stats["quoted_sentences"] += 1
            else:
                model_kept += 1
                stats["model_sentences"] += 1
                stats["model_words"] += n_words
                stats["model_citations"] += len(cites)
            if states_finding(text):
                stats["findings"] += 1
                stats["findings_cited"] += int(bool(cites))
            found = number_values(text)
            cited_text = "\n".join(sources[c] for c in cites if c in sources)
            stats["numbers"] += len(found)
            stats["numbers_supported"] += len(found) - len(unsupported(text, cited_text))
            for kind in forbidden_kinds(text, cites, sentence.quote, sources):
                stats[f"quoted_{kind}" if sentence.quote else kind] += 1
                offenders.append(
                    {"kind": kind, "theme": section.theme, "quote": sentence.quote,
                     "citations": cites, "text": text}
                )  # fmt: skip
        if model_kept:
            stats["themes_model"] += 1
        if section.written_by == "extractive" and section.note:
            stats["themes_fallback"] += 1
            fallbacks.append({"theme": section.theme, "note": section.note})
    stats["dropped"] = len(draft.dropped)
    reasons = Counter(
        label for d in draft.dropped for label in {reason_label(r) for r in d.reasons}
    )
    cited_ids = {r.id for r in draft.references}
    stats["grade2"] = len(grade2)
    stats["grade2_cited"] = len(grade2 & cited_ids)
    stats["grade2_retrieved"] = len(grade2 & set(considered.values()))
    details = {
        "offenders": offenders,
        "fallbacks": fallbacks,
        "drop_reasons": reasons,
        "dropped": [
            {"theme": d.theme, "text": d.text, "reasons": d.reasons} for d in draft.dropped
        ],
    }
    return stats, details


def share(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def measures(final: dict[str, Any], raw: dict[str, int], words_target: int) -> dict[str, Any]:
    """The reported numbers, from the counts of the final draft(s) and the raw answers."""
    return {
        "themes": final["themes"],
        "themes_model": final["themes_model"],
        "themes_fallback": final["themes_fallback"],
        "theme_share_model": share(final["themes_model"], final["themes"]),
        "model_sentences_kept": final["model_sentences"],
        "model_sentences_dropped": final["dropped"],
        "quoted_sentences": final["quoted_sentences"],
        "words": final["words"],
        "words_by_model": final["model_words"],
        "words_target": words_target,
        "words_vs_target": share(final["words"], words_target),
        "citations_per_model_sentence": share(final["model_citations"], final["model_sentences"]),
        "citations_per_sentence": share(final["citations"], final["sentences"]),
        "forbidden": {k: final[k] for k in FORBIDDEN} | {"looping_title": final["looping_titles"]},
        "forbidden_in_quotes": {k: final[f"quoted_{k}"] for k in FORBIDDEN},
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


def targets(m: dict[str, Any]) -> dict[str, bool | None]:
    """The acceptance targets: model sentences kept in >= 70% of the themes, at most 3
    citations per kept model sentence on average, no forbidden sentence or title."""
    theme_share, cites = m["theme_share_model"], m["citations_per_model_sentence"]
    return {
        "theme_share_model>=0.70": None
        if theme_share is None
        else theme_share >= TARGET_THEME_SHARE,
        "citations_per_model_sentence<=3": None if cites is None else cites <= TARGET_CITES,
        "no_forbidden": not any(m["forbidden"].values()),
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


def add_counts(total: dict[str, int], counts: dict[str, int]) -> None:
    for key, value in counts.items():
        total[key] = total.get(key, 0) + value


def top_reasons(reasons: Counter[str], n: int = 5) -> list[list[Any]]:
    return [[label, count] for label, count in reasons.most_common(n)]


COLUMNS = (
    ("qid", "qid"),
    ("themes", "themes"),
    ("model", "themes_model"),
    ("fallbk", "themes_fallback"),
    ("share", "theme_share_model"),
    ("kept", "model_sentences_kept"),
    ("dropped", "model_sentences_dropped"),
    ("quoted", "quoted_sentences"),
    ("words", "words"),
    ("target", "words_target"),
    ("cit/snt", "citations_per_model_sentence"),
    ("forbid", "forbidden_total"),
    ("valid", "citation_validity"),
    ("find_cit", "findings_cited"),
    ("cover2", "coverage_grade2"),
    ("unsup_num", "unsupported_number_rate"),
    ("secs", "seconds"),
)


def print_table(report: dict[str, Any], verbose: bool) -> None:
    for key, value in report.items():
        if key in ("per_topic", "offenders", "fallbacks", "dropped_sentences"):
            continue
        print(f"{key:30} {value}")
    print()
    print(" ".join(f"{head:>9}" for head, _ in COLUMNS))
    for row in report["per_topic"]:
        print(" ".join(f"{row[key]!s:>9}" for _, key in COLUMNS))
    print()
    for row in report["per_topic"]:
        reasons = "; ".join(f"{label} {n}" for label, n in row["top_drop_reasons"]) or "-"
        print(f"{row['qid']}: drop reasons: {reasons}")
    if not verbose:
        return
    for row in report["per_topic"]:
        for fb in row["fallbacks"]:
            print(f"\n{row['qid']} fell back to quotes: {fb['theme']!r}: {fb['note']}")
        for off in row["offenders"]:
            where = "title" if not off["text"] else "quoted" if off.get("quote") else "model"
            print(f"\n{row['qid']} [{off['kind']}, {where}] theme {off['theme']!r}")
            if off["text"]:
                print(f"    {off['text']}  {off.get('citations', '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qrels", type=Path, default=QRELS)
    parser.add_argument(
        "-k", "--k", type=int, default=DEFAULT_K, help="papers per topic (as the CLI)"
    )
    parser.add_argument("--themes", type=int, default=DEFAULT_THEMES)
    parser.add_argument(
        "--words", type=int, default=DEFAULT_WORDS, help="target length (as the CLI)"
    )
    parser.add_argument("--no-expand", action="store_true", help="no model-written query variants")
    parser.add_argument("--extractive", action="store_true", help="no model: quoted drafts")
    parser.add_argument("--topics", type=int, default=0, help="only the first N topics")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--verbose", action="store_true", help="print forbidden sentences and fallbacks"
    )
    parser.add_argument(
        "--save", type=Path, default=None, help="write each draft to DIR/<qid>.json"
    )
    args = parser.parse_args()
    if args.k < 1 or args.words < 1 or args.themes < 1 or args.topics < 0:
        parser.error("--k, --words and --themes must be positive, --topics at least 0")

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
    reasons_total: Counter[str] = Counter()
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
            add_counts(raw, raw_sentence_stats(outcome.contents, sources))
        final, details = final_stats(draft, store, sources, grade2)
        m = measures(final, raw, args.words)
        row: dict[str, Any] = {
            "qid": q["qid"],
            "topic": q["query"],
            **m,
            "forbidden_total": sum(m["forbidden"].values()),
            "top_drop_reasons": top_reasons(details["drop_reasons"]),
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
        print(f"{q['qid']}: {json.dumps(row)}", file=sys.stderr)
        row |= {
            "fallbacks": details["fallbacks"],
            "offenders": details["offenders"],
            "dropped_sentences": details["dropped"],
        }
        per_topic.append(row)
        add_counts(raw_total, raw)
        add_counts(final_total, final)
        reasons_total.update(details["drop_reasons"])

    f, r = final_total, raw_total
    total = measures(f, r, args.words * len(per_topic)) if per_topic else {}
    report: dict[str, Any] = {
        "model": model or "extractive (no model)",
        "judge": judge.name if judge else None,
        "topics": len(per_topic),
        "k": args.k,
        "words_per_topic": args.words,
        **total,
        "targets_met": targets(total) if per_topic else {},
        "top_drop_reasons": top_reasons(reasons_total),
        "numbers_in_final": f.get("numbers", 0),
        "raw_answers": r.get("answers", 0),
        "raw_answers_parseable": r.get("parseable", 0),
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
    print_table(report, args.verbose)


if __name__ == "__main__":
    main()
