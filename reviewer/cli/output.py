"""One way to choose output on every listing command: a table for people,
--json / --jsonl / --csv for programs. Data goes to stdout; progress, counts
and warnings to stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

JSON_OPT = typer.Option(False, "--json", help="Print JSON on stdout.")
JSONL_OPT = typer.Option(False, "--jsonl", help="Print one JSON object per line.")
CSV_OPT = typer.Option(False, "--csv", help="Print CSV with a header row.")
SINCE_OPT = typer.Option(
    None, "--since", help="Only papers published on or after this date.", show_default=False
)
UNTIL_OPT = typer.Option(
    None, "--until", help="Only papers published on or before this date.", show_default=False
)


def write_output(path: Path, data: str | bytes) -> None:
    """Write an output file whole (UTF-8 for text); a failure is one line naming the file."""
    from reviewer.errors import ReviewerError
    from reviewer.fileio import write_atomic

    try:
        write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise ReviewerError(f"cannot write {path}: {exc.strerror or exc}") from None


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
) -> None:
    """rows: full records (for json/jsonl); columns: (key, header) shown in table/CSV."""
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
        from rich.table import Table

        table = Table(title=title, show_lines=False, expand=False)
        for _, header in columns:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*[_flat(row.get(key)) for key, _ in columns])
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
    (rich help would otherwise keep the source's line breaks)."""
    import inspect

    text = inspect.cleandoc(doc or "")
    return "\n\n".join(" ".join(par.split()) for par in text.split("\n\n"))
