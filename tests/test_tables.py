"""Tables at the terminal's width (issue 14, item 4): search, list, logs and check run
through the CLI at 50, 80 and 120 columns on a small store. Every assertion reads the
printed text: no line wider than the terminal, ids and dates whole on their record's
line, a title on at most 2 lines (the start of the stored title, cut with …), one block
per record where the table cannot fit; `list --limit` and the pager."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

DEMO_ROWS = 12  # the first rows of a demo listing: real arXiv titles, one with a code link
LONG_TITLE = (
    "A Deliberately Long Title About Segmenting Every Organ In Whole-Body Computed "
    "Tomography With Foundation Models, Adapters, Prompts, Distillation And Many "
    "Other Words That No Terminal Table Could Show On Two Lines Of Eighty Columns"
)
EXTRA = [
    {
        "title": LONG_TITLE,
        "doi": "10.5555/long.title.2024",
        "authors": ["A. Tester"],
        "published": "2024-06-30",
        "abstract": "We segment organs in whole-body CT with a foundation model.",
        "code_urls": [
            "https://github.com/an-organisation-with-a-long-name/"
            "a-repository-with-an-even-longer-name-for-organ-segmentation"
        ],
    },
    {
        "title": "Short",
        "authors": ["B. Tester"],
        "published": "2023-01-15",
        "abstract": "A short title for a paper on foundation model segmentation.",
    },
]
WIDTHS = (50, 80, 120)


@pytest.fixture(scope="module")
def table_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tables")
    listing = sorted((ROOT / "reviewer" / "demo").glob("*.txt"))[0]
    lines = listing.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if line.startswith("| ---"))
    (root / "small.txt").write_text("".join(lines[: header + 1 + DEMO_ROWS]), encoding="utf-8")
    (root / "extra.json").write_text(json.dumps(EXTRA), encoding="utf-8")
    home = root / "home"
    env = {"REVIEWER_HOME": str(home)}
    run_cli("ingest", str(root / "small.txt"), str(root / "extra.json"), env=env, check=True)
    _log_calls(home)
    return home


@pytest.fixture
def table_home(table_home_template: Path, _isolated_home: Path) -> Path:
    shutil.copytree(table_home_template, _isolated_home)
    return _isolated_home


CALLS = [
    ("summarize", "arxiv:2509.06617", "ok", None),
    (
        "summarize",
        "arxiv:2509.06096",
        "invalid",
        "answer: fix or remove them, and use 'not reported' where the abstract is silent:\n"
        "- modality: does not occur in the abstract ('MRI')",
    ),
    ("compare", "arxiv:2508.16225", "error", "Connection refused by the model server"),
]
MODEL = "openai/qwen2.5-coder-1.5b-instruct"


def _log_calls(home: Path) -> None:
    from reviewer.llm.db import CallRecord, LLMDatabase

    db = LLMDatabase(home / "llm.sqlite")
    for n, (task, subject, status, error) in enumerate(CALLS):
        db.log_call(
            CallRecord(
                run_id="r1",
                task=task,
                subject=subject,
                prompt_id=f"{task}_paper",
                prompt_version=3,
                prompt_hash="h" * 64,
                model=MODEL,
                cache_key=f"k{n}",
                cache_hit=False,
                attempt=1,
                reask=n,
                status=status,
                error=error,
                input_tokens=1210,
                output_tokens=345,
                latency_ms=12345.6,
            )
        )
    db.close()


def display_width(line: str) -> int:
    """Terminal cells a line takes (wide East Asian characters count 2)."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in line
    )


def squash(text: str) -> str:
    return "".join(text.split())


def shown(*args: str, width: int) -> str:
    out = run_cli(*args, env={"COLUMNS": str(width)}, check=True).stdout
    wide = [line for line in out.splitlines() if display_width(line) > width]
    assert not wide, f"lines wider than {width}: {wide}"
    return out


def is_table(out: str) -> bool:
    return any(set(line.strip()) == {"─"} for line in out.splitlines())


def blocks_of(out: str, records: list[dict]) -> dict[str, list[str]]:
    """Each record's lines: from the one line holding its id (whole, with its date) to
    the next record's."""
    lines = out.splitlines()
    starts = {}
    for record in records:
        at = [i for i, line in enumerate(lines) if record["id"] in line.split()]
        assert len(at) == 1, (record["id"], out)
        assert record["published"] in lines[at[0]].split(), (record["id"], lines[at[0]])
        starts[record["id"]] = at[0]
    order = [*sorted(starts.values()), len(lines)]
    return {rid: lines[start : order[order.index(start) + 1]] for rid, start in starts.items()}


def cell(out: str, block: list[str], header: str, fields: tuple[str, ...]) -> list[str]:
    """The non-empty lines of one column of a record: in a table, the text under the
    column's header; in a block, the ``header: value`` lines (``title``: the indented
    lines after the head line, up to the first field)."""
    if is_table(out):
        head = next(line for line in out.splitlines() if f" {header} " in f" {line} ")
        left = head.index(header)
        rest = head[left + len(header) :]
        right = left + len(header) + len(rest) - len(rest.lstrip()) if rest.strip() else None
        found = [line[left:right].strip() for line in block]
    elif header == "title":
        found = []
        for line in block[1:]:
            if not line.startswith("  ") or any(line.startswith(f"  {f}: ") for f in fields):
                break
            found.append(line.strip())
    else:
        found, inside = [], False
        for line in block[1:]:
            if line.startswith(f"  {header}: "):
                inside = True
                found.append(line[len(header) + 4 :].strip())
            elif inside and line.startswith(" " * (len(header) + 4)):
                found.append(line.strip())
            else:
                inside = False
    return [text for text in found if text]


def check_records(out: str, records: list[dict], fields: tuple[str, ...]) -> int:
    """Each record's id and date whole on one line; its title on at most 2 lines, the
    start of the stored title (cut with …). Returns how many titles were cut."""
    blocks = blocks_of(out, records)
    cut = 0
    for record in records:
        title_lines = cell(out, blocks[record["id"]], "title", fields)
        assert 1 <= len(title_lines) <= 2, (record["id"], blocks[record["id"]])
        text = " ".join(title_lines)
        if text.endswith("…"):
            cut += 1
            text = text[:-1]
        if "$" not in record["title"]:  # TeX is shown as text; compare the plain ones
            assert squash(record["title"]).startswith(squash(text)), (record["title"], text)
            if not title_lines[-1].endswith("…"):
                assert squash(text) == squash(record["title"])
    return cut


@pytest.mark.parametrize("width", WIDTHS)
def test_list_fits_every_width(table_home: Path, width: int) -> None:
    records = json.loads(run_cli("list", "--json", check=True).stdout)
    assert len(records) == DEMO_ROWS + len(EXTRA)
    out = shown("list", width=width)
    cut = check_records(out, records, ("code",))
    assert is_table(out) == (width >= 120)
    assert cut >= 1  # the long title is cut at every width
    long = next(r for r in records if r["title"] == LONG_TITLE)
    code = cell(out, blocks_of(out, records)[long["id"]], "code", ("code",))
    assert "".join(code) == EXTRA[0]["code_urls"][0]  # a code link is never cut


@pytest.mark.parametrize("width", WIDTHS)
def test_search_fits_every_width(table_home: Path, width: int) -> None:
    query = "foundation models segmentation"
    hits = json.loads(run_cli("search", query, "-k", "8", "--json", check=True).stdout)
    assert len(hits) == 8
    out = shown("search", query, "-k", "8", width=width)
    check_records(out, hits, ("sim terms",))
    if width != 80:  # at 80 it depends on the widest id (a DOI here: blocks)
        assert is_table(out) == (width >= 120)
    if not is_table(out):  # a block starts with the rank and the id
        heads = [line for line in out.splitlines() if line and not line.startswith(" ")]
        assert [h.split()[:2] for h in heads[1:]] == [[str(hit["rank"]), hit["id"]] for hit in hits]


@pytest.mark.parametrize("width", (*WIDTHS, 250))
def test_logs_fit_every_width(table_home: Path, width: int) -> None:
    out = shown("logs", width=width)
    lines = out.splitlines()
    for task, subject, status, error in CALLS:
        at = next(i for i, line in enumerate(lines) if subject in line.split())
        head = " ".join(lines[at : at + 2]).split()  # a narrow terminal wraps the head
        assert task in head and status in head
        if error:  # what was wrong, without the re-ask preamble, on at most 3 lines
            wanted = error.split("silent:")[-1].lstrip("\n- ")
            assert squash(wanted) in squash(out)
    assert "fix or remove" not in out
    # the model and the prompt whole on one line (not a few letters per cell line)
    assert sum(MODEL in line for line in lines) == len(CALLS)
    assert sum("summarize_paper@3" in line for line in lines) == 2
    assert is_table(out) == (width >= 250)


@pytest.mark.parametrize("width", WIDTHS)
def test_check_fits_every_width(table_home: Path, tmp_path: Path, width: int) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(
        "MedSeqFT fine-tunes foundation models for 3D medical image segmentation "
        "[arxiv:2509.06096].\n\nIt reaches a Dice score of 0.99 on every dataset "
        "[arxiv:2509.06096; arxiv:2509.06617].\n",
        encoding="utf-8",
    )
    result = run_cli("check", str(draft), env={"COLUMNS": str(width)})
    assert result.returncode == 1, result.stderr  # the second sentence has a problem
    assert all(display_width(line) <= width for line in result.stdout.splitlines())
    words = result.stdout.split()
    assert "arxiv:2509.06096" in words and "arxiv:2509.06617" in words


def test_list_limit_prints_that_many(table_home: Path) -> None:
    everything = json.loads(run_cli("list", "--json", check=True).stdout)
    first = json.loads(run_cli("list", "--json", "--limit", "3", check=True).stdout)
    assert [r["id"] for r in first] == [r["id"] for r in everything[:3]]
    for width in (50, 120):
        out = shown("list", "--limit", "3", width=width)
        shown_ids = [r["id"] for r in everything if r["id"] in out.split()]
        assert shown_ids == [r["id"] for r in first]


def _pager_script(tmp_path: Path) -> tuple[Path, Path]:
    paged = tmp_path / "paged.txt"
    script = tmp_path / "pager.sh"
    script.write_text(f'#!/bin/sh\ncat > "{paged}"\n', encoding="utf-8")
    script.chmod(0o755)
    return script, paged


def _run_on_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """`reviewer ARGS` with stdin and stdout on a pseudo-terminal; what it showed there."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "reviewer", *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=120)
    os.close(master)
    return process.returncode, seen.decode("utf-8", "replace")


def test_the_pager_only_on_a_terminal_and_only_when_the_list_is_longer(
    table_home: Path, tmp_path: Path
) -> None:
    script, paged = _pager_script(tmp_path)
    env = {"PAGER": str(script), "COLUMNS": "120", "LINES": "10", "TERM": "xterm"}
    ids = [r["id"] for r in json.loads(run_cli("list", "--json", check=True).stdout)]

    # not a terminal (a pipe): printed, never paged
    piped = run_cli("list", env=env, check=True)
    assert not paged.exists() and all(i in piped.stdout for i in ids)

    # on a terminal, longer than its 10 lines: through PAGER
    code, screen = _run_on_a_terminal("list", env=env)
    assert code == 0 and paged.exists()
    assert all(i in paged.read_text(encoding="utf-8") for i in ids)
    assert not any(i in screen for i in ids)
    paged.unlink()

    # --no-pager, --json, or a list that fits the screen: straight to the terminal
    for args in (("list", "--no-pager"), ("list", "--json"), ("list", "-n", "2")):
        code, screen = _run_on_a_terminal(*args, env=env)
        assert code == 0 and not paged.exists(), args
        assert ids[0] in screen, args
