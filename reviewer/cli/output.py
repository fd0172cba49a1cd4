"""One way to choose output on every listing command: a table for people,
--json / --jsonl / --csv for programs. Data goes to stdout; progress, counts
and warnings to stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

import typer

from reviewer.fileio import write_output as write_output

JSON_OPT = typer.Option(False, "--json", help="Print JSON on stdout.")
JSONL_OPT = typer.Option(False, "--jsonl", help="Print one JSON object per line.")
CSV_OPT = typer.Option(False, "--csv", help="Print CSV with a header row.")
SINCE_OPT = typer.Option(
    None, "--since", help="Only papers published on or after this date.", show_default=False
)
UNTIL_OPT = typer.Option(
    None, "--until", help="Only papers published on or before this date.", show_default=False
)


def choice(value: str, choices: tuple[str, ...], option: str) -> str:
    """``value`` if it is one of ``choices``, else a usage error naming ``option``."""
    if value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=option)
    return value


def pick_format(as_json: bool, as_jsonl: bool = False, as_csv: bool = False) -> str:
    chosen = [name for name, on in (("json", as_json), ("jsonl", as_jsonl), ("csv", as_csv)) if on]
    if len(chosen) > 1:
        raise typer.BadParameter(f"choose one of --{', --'.join(chosen)}")
    return chosen[0] if chosen else "table"


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def emit_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
    readable: Sequence[str] = ("title",),
) -> None:
    """rows: full records (for json/jsonl); columns: (key, header) shown in table/CSV.
        The table shows the ``readable`` columns' TeX as text (DS$^2$Net as DS²Net); JSON,
        JSON Lines and CSV keep the stored text. Table cells are never read as rich markup and
    carry no terminal control sequence."""
    if fmt == "json":
        emit_json(rows)
    elif fmt == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow([header for _, header in columns])
        for row in rows:
            writer.writerow([_flat(row.get(key)) for key, _ in columns])
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        from reviewer.render.safe import strip_controls
        from reviewer.render.tex import tex_to_text

        table = Table(title=escape(title) if title else None, show_lines=False, expand=False)
        for _, header in columns:
            table.add_column(header, overflow="fold")
        for row in rows:
            cells = [_flat(row.get(key)) for key, _ in columns]
            shown = [
                tex_to_text(cell) if key in readable else cell
                for cell, (key, _) in zip(cells, columns, strict=True)
            ]
            table.add_row(*[escape(strip_controls(cell)) for cell in shown])
        Console().print(table)


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def info(message: str) -> None:
    """A line for people, on stderr."""
    sys.stderr.write(message + "\n")


def reflow(doc: str | None) -> str:
    """A docstring as --help text: paragraphs kept, line breaks inside them joined
    (rich help would otherwise keep the source's line breaks). An indented paragraph is
    an example and keeps its lines (its brackets escaped from rich markup)."""
    import inspect

    text = inspect.cleandoc(doc or "")

    def one(par: str) -> str:
        lines = par.split("\n")
        if all(line.startswith("    ") for line in lines if line.strip()):
            return "\n".join(line.replace("[", "\\[") for line in lines)
        return " ".join(par.split())

    return "\n\n".join(one(par) for par in text.split("\n\n"))


CONCURRENCY_OPT = typer.Option(
    None,
    "--concurrency",
    "-j",
    min=1,
    max=64,
    help="Model calls in flight at once (default REVIEWER_CONCURRENCY, 4).",
    show_default=False,
)
MAX_COST_OPT = typer.Option(
    None,
    "--max-cost",
    min=0.0,
    help="Stop before a model call could take this run's cost past USD.",
    show_default=False,
)
REFRESH_OPT = typer.Option(
    False,
    "--refresh",
    help="Ask the model again instead of answering from the cache, and replace the cached "
    "answers (a failed answer is otherwise replayed as the same failure).",
)
PROFILE_OPT = typer.Option(
    None,
    "--profile",
    help="Summary profile: general, medical-imaging, one of yours (a NAME.toml in the "
    "profiles folder of REVIEWER_HOME) or a TOML file's path; `reviewer profiles` lists "
    "them. Default: REVIEWER_PROFILE, else general.",
    show_default=False,
)
EXTRACTIVE_OPT = typer.Option(
    False,
    "--extractive",
    help="Without a model: quote sentences from the abstracts instead of writing "
    "(clearly labelled; every sentence cited).",
)

VERIFY_OPT = typer.Option(
    None,
    "--verify/--no-verify",
    help="Ask the judge model (REVIEWER_JUDGE_MODEL) whether the cited abstracts support "
    "what was written, and drop or mark what they do not. It costs one judge call per "
    "sentence and cited paper (per cell, TL;DR or finding for compare and summarize), "
    "cached and counted against --max-cost. Default: on when REVIEWER_JUDGE_MODEL is set.",
    show_default=False,
)


def raise_if_judge_stopped(result: Any) -> None:
    """After the output: the judge's failure (exit 7) or budget stop (exit 8), if any."""
    verification = getattr(result, "verification", None)
    if verification is not None:
        verification.raise_if_stopped()


class ConsoleReporter:
    """The library's notes as lines on stderr, and its counted work as a progress bar
    when stderr is a terminal (notes then print above the bar)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def note(self, message: str) -> None:
        if self._bar is not None:
            self._bar.console.print(message, markup=False, highlight=False)
        else:
            info(message)

    def start(self, total: int, label: str) -> None:
        if total <= 0 or not sys.stderr.isatty() or self._bar is not None:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task(label, total=total)
        self._bar.start()

    def advance(self, done: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, done)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def open_reviewer() -> Any:
    """The API object every command calls, reporting to this terminal."""
    from reviewer.api import Reviewer

    return Reviewer(reporter=ConsoleReporter())
