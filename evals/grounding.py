"""How often `reviewer check` accepts a claim, by kind of claim, on claims people wrote.

    .venv/bin/python evals/grounding.py            # builds its store once (about a minute)
    .venv/bin/python evals/grounding.py --show contradicted

The checks are run as a user runs them: the `reviewer` program as a subprocess, on
Markdown files citing `[@key]` with a `.bib` file, against a store of the cited
abstracts. Nothing here imports the functions that do the checking, so the numbers are
not true by construction.

Four classes, all from SciFact's human-written claims (`evals/data/scifact_claims.jsonl`,
ScholarQABench's copy; 137 claims labelled true, 71 false, each with its abstract):

- supported: a claim labelled true, citing its own abstract (should be accepted);
- contradicted: a claim labelled false (the abstract says otherwise), citing its own
  abstract (should be refused);
- wrong abstract: each claim citing another claim's abstract (the one 97 places on, with
  a different title) (should be refused);
- misattributed number: a sentence with a number, taken from abstract A and quoted,
  whose number is replaced by a number of abstract B (one that A lacks), citing both A
  and B: the number is in a cited abstract, but not in the one the sentence is about
  (should be refused).

Each class is one Markdown file (one claim per paragraph), so the claims of a file share
its bibliography, as sentences of one related-work section do.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "evals" / "data" / "scifact_claims.jsonl"
CACHE = ROOT / "evals" / ".cache" / "grounding"

# Independent of the project's own splitting and number rules on purpose.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_VALUE = re.compile(r"(?<![\w.,])\d+\.\d+(?![\w])|(?<![\w.,])\d+%")


def reviewer_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("reviewer")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "reviewer"]


def run(args: list[str], home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REVIEWER_HOME": str(home), "NO_COLOR": "1"}
    env.pop("REVIEWER_MODEL", None)
    done = subprocess.run(
        reviewer_cmd() + args, env=env, capture_output=True, text=True, check=False
    )
    if check and done.returncode not in (0, 1):
        raise SystemExit(f"reviewer {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def load_claims() -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str]]:
    """The claims, and the abstracts by key, and their titles by key."""
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    texts: dict[str, str] = {}
    titles: dict[str, str] = {}
    key_of: dict[str, str] = {}
    for row in rows:
        gold = row["gold_ctx"][0]
        if gold["title"] not in key_of:
            key = f"sf{len(key_of):03d}"
            key_of[gold["title"]] = key
            titles[key] = gold["title"]
            texts[key] = gold["text"]
        row["key"] = key_of[gold["title"]]
    return rows, texts, titles


def build_store(texts: dict[str, str], titles: dict[str, str]) -> Path:
    home = CACHE / "home"
    marker = CACHE / "built.json"
    if marker.exists() and json.loads(marker.read_text()) == len(texts):
        return home
    CACHE.mkdir(parents=True, exist_ok=True)
    papers = CACHE / "scifact_abstracts.jsonl"
    with papers.open("w", encoding="utf-8") as out:
        for key, text in texts.items():
            out.write(json.dumps({"title": titles[key], "abstract": text}) + "\n")
    print(f"building the store: {len(texts)} abstracts ...", file=sys.stderr)
    done = run(["ingest", str(papers)], home, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ingest failed:\n{done.stderr}")
    marker.write_text(json.dumps(len(texts)))
    return home


def bib_text(titles: dict[str, str]) -> str:
    entries = []
    for key, title in titles.items():
        safe = title.replace("{", "").replace("}", "")
        entries.append(f"@article{{{key},\n  title = {{{safe}}},\n  year = {{2020}}\n}}\n")
    return "\n".join(entries)


def sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def misattributions(texts: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Sentences of abstract A with a value (a decimal or a percentage) replaced by a
    value of abstract B that A lacks, quoted, citing A and B."""
    firsts: list[tuple[str, str]] = []
    for key, text in texts.items():
        for part in _SENTENCE_END.split(" ".join(text.split())):
            if _VALUE.search(part) and 8 <= len(part.split()) <= 40:
                firsts.append((key, part))
                break
    made = []
    for i, (key_a, part) in enumerate(firsts):
        key_b, _ = firsts[(i + 7) % len(firsts)]
        value = _VALUE.search(part)
        assert value is not None
        others = [v.group() for v in _VALUE.finditer(texts[key_b]) if v.group() not in texts[key_a]]
        if not others:
            continue
        changed = part[: value.start()] + others[0] + part[value.end() :]
        made.append((f"“{sentence(changed).rstrip('.')}.”", [key_a, key_b]))
    return made


def check(home: Path, bib: Path, items: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    """Each item's verdict from `reviewer check --json` on one Markdown file."""
    lines: list[str] = []
    where: list[int] = []
    for text, keys in items:
        where.append(len(lines) + 1)
        cites = "; ".join(f"@{k}" for k in keys)
        body = text[:-1] if text.endswith(".") else text
        lines += [f"{body} [{cites}].", ""]
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as doc:
        doc.write("\n".join(lines))
    try:
        done = run(["check", doc.name, "--bib", str(bib), "--json"], home)
    finally:
        os.unlink(doc.name)
    report = json.loads(done.stdout)
    by_line = {s.get("line"): s for s in report["sentences"]}
    verdicts = []
    for (text, _), line in zip(items, where, strict=True):
        found = by_line.get(line)
        if found is None:
            verdicts.append({"text": text, "ok": False, "kinds": ["not-parsed"], "problems": []})
        else:
            verdicts.append(found)
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--show",
        choices=["supported", "contradicted", "wrong", "misattributed"],
        help="print the claims of one class with their verdicts",
    )
    args = parser.parse_args()
    rows, texts, titles = load_claims()
    home = build_store(texts, titles)
    bib = CACHE / "refs.bib"
    bib.write_text(bib_text(titles), encoding="utf-8")

    classes: dict[str, list[tuple[str, list[str]]]] = {
        "supported": [(sentence(r["input"]), [r["key"]]) for r in rows if r["answer"] == "true"],
        "contradicted": [
            (sentence(r["input"]), [r["key"]]) for r in rows if r["answer"] == "false"
        ],
        "wrong": [],
        "misattributed": misattributions(texts),
    }
    for i, row in enumerate(rows):
        j = (i + 97) % len(rows)
        while rows[j]["key"] == row["key"]:
            j = (j + 1) % len(rows)
        classes["wrong"].append((sentence(row["input"]), [rows[j]["key"]]))

    targets = {
        "supported": ">= 0.88",
        "contradicted": "<= 0.45",
        "wrong": "<= 0.02",
        "misattributed": "<= 0.05",
    }
    print(f"{'class':<15} {'claims':>6} {'accepted':>8} {'share':>6}  target   problems found")
    for name, items in classes.items():
        # SciFact repeats some claims; a text that says the same thing twice is refused
        # for that alone, so each class keeps one copy of each.
        seen: set[str] = set()
        items = [it for it in items if not (it[0] in seen or seen.add(it[0]))]  # type: ignore[func-returns-value]
        verdicts = check(home, bib, items)
        accepted = sum(bool(v["ok"]) for v in verdicts)
        kinds: dict[str, int] = {}
        for v in verdicts:
            for kind in set(v.get("kinds") or []):
                kinds[kind] = kinds.get(kind, 0) + 1
        top = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda x: -x[1])[:4])
        share = accepted / len(items) if items else 0.0
        print(f"{name:<15} {len(items):>6} {accepted:>8} {share:>6.3f}  {targets[name]:<8} {top}")
        if args.show == name:
            for v in verdicts:
                mark = "ok " if v["ok"] else "REF"
                print(f"  {mark} {v['text'][:110]}")
                for p in v.get("problems") or []:
                    print(f"        - {p[:150]}")


if __name__ == "__main__":
    main()
