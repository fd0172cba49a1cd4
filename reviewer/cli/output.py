"""One way to choose output on every listing command: a table for people,
--json / --jsonl / --csv for programs. Data goes to stdout; progress, counts
and warnings to stderr."""

from __future__ import annotations

import csv
import json
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import typer

from reviewer.fileio import write_output as write_output

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

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


@dataclass(frozen=True)
class Column:
    """One column of a listing: ``key`` in each row, ``header`` shown above it.

    A ``key`` column (ids, dates, numbers, short labels) is always shown whole on one
    line, as wide as its widest cell. A ``text`` column (titles, messages) wraps to the
    width left over, at most ``max_lines`` lines (the last cut with …; ``None``: no
    limit), and is never made narrower than ``min_width`` (or its content, if shorter):
    when the key columns and the text columns' minimums do not fit the terminal, the
    listing is printed as one block per record instead (see :func:`render_records`).
    ``ratio`` shares the width left over between text columns; ``readable`` shows the
    cell's TeX as text (DS$^2$Net as DS²Net). ``block`` says where the column goes in a
    record's block: on its ``head`` line, on a ``line`` of its own, or as a
    ``field: value`` line (empty values left out; short key fields share a line)."""

    key: str
    header: str
    kind: Literal["key", "text"] = "key"
    max_lines: int | None = 2
    min_width: int = 20
    ratio: int = 1
    readable: bool = False
    justify: Literal["left", "right"] = "left"
    block: Literal["head", "line", "field"] = "field"
    head_label: bool = False  # on the head line as ``header value`` (e.g. "line 12")


def emit_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    columns: Sequence[Column],
    title: str | None = None,
    pager: bool = False,
) -> None:
    """rows: full records (for json/jsonl); columns: what the table and the CSV show.
    The table is :func:`render_records` at the terminal's width; JSON, JSON Lines and
    CSV keep the stored text. With ``pager``, a table longer than the terminal goes
    through the user's pager (``PAGER``) when stdout and stdin are terminals."""
    if fmt == "json":
        emit_json(rows)
    elif fmt == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow([column.header for column in columns])
        for row in rows:
            writer.writerow([_flat(row.get(column.key)) for column in columns])
    elif rows:  # no empty table: the library's note on stderr says why there is nothing
        print_records(rows, columns, title=title, pager=pager)


def print_records(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    show_lines: bool = False,
    pager: bool = False,
) -> None:
    """Print :func:`render_records` on stdout at the terminal's width (``COLUMNS`` if
    set); with ``pager``, through the pager when it is longer than the terminal."""
    from rich.console import Console

    console = Console()
    shown = render_records(rows, columns, console.width, title=title, show_lines=show_lines)
    if pager and sys.stdout.isatty() and sys.stdin.isatty():
        with console.capture() as captured:
            console.print(shown)
        text = captured.get()
        if text.count("\n") > console.height:
            import click

            click.echo_via_pager(text, color=console.color_system is not None)
            return
        sys.stdout.write(text)
        return
    console.print(shown)


def render_records(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    width: int,
    *,
    title: str | None = None,
    show_lines: bool = False,
) -> RenderableType:
    """Rows as a table that fits ``width`` terminal cells, or, when it cannot (its key
    columns whole plus each text column at its minimum width are wider), as one block
    per record: the ``head`` columns on one line, then indented lines. No line is wider
    than ``width``. Cells are paper text: they are never read as rich markup and carry
    no terminal control sequence."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    cells = [[_cell(row.get(column.key), column) for column in columns] for row in rows]
    widths = _fit(columns, cells, width)
    if widths is None:
        return _blocks(columns, cells, width, title)
    table = Table(
        title=Text(title) if title else None,
        box=box.HORIZONTALS,  # a rule under the header (and between rows with show_lines)
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        show_lines=show_lines,
        expand=False,
        title_justify="left",
    )
    for column, size in zip(columns, widths, strict=True):
        table.add_column(
            column.header, width=size, no_wrap=True, justify=column.justify, overflow="ellipsis"
        )
    for row in cells:
        table.add_row(
            *[
                _clip(cell, size, column.max_lines) if column.kind == "text" else Text(cell)
                for cell, column, size in zip(row, columns, widths, strict=True)
            ]
        )
    return table


# Two cells between columns (the blank separator and one of padding), none at the edges.
def _overhead(n: int) -> int:
    return 2 * max(n - 1, 0)


def _fit(columns: Sequence[Column], cells: list[list[str]], width: int) -> list[int] | None:
    """Each column's width in a table at most ``width`` wide, or None if it cannot fit:
    key columns as wide as their widest cell, text columns at least their minimum and
    at most their widest line, the rest shared by ratio."""
    from rich.cells import cell_len

    natural = [
        max(
            [cell_len(column.header)]
            + [cell_len(line) for row in cells for line in row[i].splitlines()]
        )
        for i, column in enumerate(columns)
    ]
    sizes = [
        natural[i] if column.kind == "key" else min(column.min_width, natural[i])
        for i, column in enumerate(columns)
    ]
    spare = width - _overhead(len(columns)) - sum(sizes)
    if spare < 0:
        return None
    growing = [i for i, c in enumerate(columns) if c.kind == "text" and sizes[i] < natural[i]]
    while spare > 0 and growing:
        total = sum(columns[i].ratio for i in growing)
        given = 0
        for i in growing:
            share = max(1, spare * columns[i].ratio // total)
            add = min(share, natural[i] - sizes[i], spare - given)
            sizes[i] += add
            given += add
        spare -= given
        growing = [i for i in growing if sizes[i] < natural[i]]
        if given == 0:
            break
    return sizes


def _cell(value: Any, column: Column) -> str:
    from reviewer.render.safe import strip_controls
    from reviewer.render.tex import tex_to_text

    text = _flat(value)
    return strip_controls(tex_to_text(text) if column.readable else text)


def _clip(text: str, width: int, max_lines: int | None) -> Text:
    """``text`` wrapped to ``width`` cells (words kept whole where they fit), at most
    ``max_lines`` lines, the last ending in … (after a whole word where it can) when
    more was left."""
    from rich.cells import cell_len, set_cell_size
    from rich.console import Console
    from rich.text import Text

    width = max(width, 1)
    wrapped = Text(text).wrap(Console(width=width), width, overflow="fold")
    lines = [line.plain.rstrip() for line in wrapped]
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        if cell_len(last) + 1 > width:
            cut = last.rsplit(" ", 1)[0] if " " in last.strip() else ""
            last = cut if cut and cell_len(cut) + 1 <= width else set_cell_size(last, width - 1)
        lines[-1] = last.rstrip() + "…"
    return Text("\n".join(lines))


def _blocks(
    columns: Sequence[Column], cells: list[list[str]], width: int, title: str | None
) -> RenderableType:
    """One block per record: the head columns on a line, then each ``line`` column on
    its own indented line and each other column as ``header: value``."""
    from rich.cells import cell_len
    from rich.console import Group

    parts: list[Text] = []
    if title:
        parts.append(_clip(title, width, None))
    for row in cells:
        head = "  ".join(
            f"{column.header} {cell}" if column.head_label else cell
            for cell, column in zip(row, columns, strict=True)
            if column.block == "head" and cell
        )
        if head:
            parts.append(_clip(head, width, None))
        packed = ""  # short fields share a line while it fits
        for cell, column in zip(row, columns, strict=True):
            if column.block == "head" or not cell:
                continue
            item = f"{column.header}: {cell}"
            if column.block == "field" and column.kind == "key" and "\n" not in cell:
                if packed and 2 + cell_len(packed) + 2 + cell_len(item) > width:
                    parts.append(_indent(_clip(packed, width - 4, None), "  ", "    "))
                    packed = ""
                packed = f"{packed}  {item}" if packed else item
                continue
            if packed:
                parts.append(_indent(_clip(packed, width - 4, None), "  ", "    "))
                packed = ""
            limit = column.max_lines if column.kind == "text" else None
            if column.block == "line":
                parts.append(_indent(_clip(cell, width - 2, limit), "  ", "  "))
                continue
            label = f"  {column.header}: "
            if len(label) <= width // 3:  # the value beside its label, lines aligned
                body = _clip(cell, width - len(label), limit)
                parts.append(_indent(body, label, " " * len(label)))
            else:  # the label on a line of its own
                parts.append(_clip(label.rstrip(), width, None))
                parts.append(_indent(_clip(cell, width - 4, limit), "    ", "    "))
        if packed:
            parts.append(_indent(_clip(packed, width - 4, None), "  ", "    "))
    return Group(*parts)


def _indent(body: Text, first: str, rest: str) -> Text:
    from rich.text import Text

    lines = body.split("\n")
    return Text("\n").join(Text(first if n == 0 else rest) + line for n, line in enumerate(lines))


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
    when stderr is a terminal (notes then print above the bar). A model's answer while
    it streams in: on a terminal, one line that updates (in the bar's label when there is
    a bar); otherwise a plain line every ``interval`` seconds, for logs."""

    def __init__(self, interval: float = 15.0) -> None:
        self._bar: Any = None
        self._task: Any = None
        self._label = ""
        self._status: Any = None  # the one updating line of a streaming answer (terminal)
        self._interval = interval
        self._since: float | None = None  # when the last plain progress line was due
        self._lock = threading.Lock()
        # Asked once: while rich draws, sys.stderr is its proxy, which is no terminal.
        self._terminal = sys.stderr.isatty()

    def note(self, message: str) -> None:
        shown = self._bar or self._status
        if shown is not None:
            shown.console.print(message, markup=False, highlight=False)
        else:
            info(message)

    def start(self, total: int, label: str) -> None:
        if total <= 0 or not self._terminal or self._bar is not None:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._stop_status()
        self._label = label
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

    def tokens(self, label: str, count: int, rate: float, done: bool = False) -> None:
        from reviewer.render.safe import strip_controls

        speed = f"{count} tokens, {rate:.1f} tok/s" if count else "waiting for the first token"
        line = strip_controls(f"{label}: {speed}")
        with self._lock:
            if not self._terminal:
                now = time.monotonic()
                if self._since is None:
                    self._since = now
                elif count and not done and now - self._since >= self._interval:
                    info(line)
                    self._since = now
            elif self._bar is not None:
                from rich.markup import escape

                shown = self._label if done else f"{self._label} · {speed}"
                self._bar.update(self._task, description=escape(shown))
            elif done:
                self._stop_status()
            elif self._status is not None:
                self._status.update(self._task, description=line)
            else:
                from rich.console import Console
                from rich.progress import Progress, TextColumn

                self._status = Progress(
                    TextColumn("{task.description}", markup=False),
                    console=Console(stderr=True),
                    transient=True,
                )
                self._task = self._status.add_task(line, total=None)
                self._status.start()

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def open_reviewer() -> Any:
    """The API object every command calls, reporting to this terminal."""
    from reviewer.api import Reviewer

    return Reviewer(reporter=ConsoleReporter())
