"""Comparison tables as Markdown (values, evidence listed below), CSV (a value and an
evidence column per aspect) and JSON.

Markdown is for reading, so its titles, values and evidence show TeX as readable text
(:func:`reviewer.render.tex.tex_to_text`, before the Markdown escaping of
:mod:`reviewer.render.safe`: no link, tag or control sequence from a paper survives, and a
title links only to an http(s) URL); CSV and JSON keep the text as stored.

Every format says how the table was filled: JSON in its top-level ``mode``, CSV in a
``mode`` column on every row (``extractive`` or ``model``), Markdown with a note above
and a line under an extractive table. CSV uses a column rather than a ``#`` comment
line so that a spreadsheet, ``csv.DictReader`` or pandas opens the file as it is (a
comment line would become the header row) and the label stays on each row when rows
are sorted, filtered or copied elsewhere."""

from __future__ import annotations

import csv
import io
import json

from reviewer.render.safe import md_link, md_text
from reviewer.render.tex import tex_to_text
from reviewer.tasks.compare import Cell, CompareTable

UNVERIFIED = "(unverified)"
EXTRACTIVE_LABEL = (
    "Extractive table: no model filled it. Each cell is the title's or abstract's own words "
    "found by cue words (a metric only with its value, a result only from a sentence that "
    "reports a measurement or a comparison); the evidence is the sentence that holds them. "
    '"not reported" means no cue was found, not that the paper is silent.'
)
EXTRACTIVE_LINE = "_Filled without a model (extractive, cue words); not model-written._"
MODE_COLUMN = "mode"


def _shown(cell: Cell) -> str:
    return UNVERIFIED if cell.status == "unverified" else cell.value


def to_csv(table: CompareTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # A compared column may itself be called "mode" (any name works with a model).
    mode = MODE_COLUMN if MODE_COLUMN not in table.columns else f"table_{MODE_COLUMN}"
    header = ["id", "title", mode]
    for column in table.columns:
        header += [column, f"{column}_evidence"]
    writer.writerow(header)
    for row in table.rows:
        values = [row.id, row.title, table.mode]
        for column in table.columns:
            cell = row.cells[column]
            values += [_shown(cell), cell.evidence]
        writer.writerow(values)
    return buffer.getvalue()


def _md(text: str) -> str:
    return md_text(tex_to_text(text)).replace("|", "\\|").replace("\n", " ")


def to_markdown(table: CompareTable) -> str:
    lines = []
    if table.topic:
        lines += [f"## Comparison: {_md(table.topic)}", ""]
    if table.mode == "extractive":
        lines += [f"> {EXTRACTIVE_LABEL}", ""]
    lines.append("| # | paper | " + " | ".join(_md(c) for c in table.columns) + " |")
    lines.append("|---|---|" + "---|" * len(table.columns))
    for n, row in enumerate(table.rows, start=1):
        label = tex_to_text(row.title).replace("\n", " ")
        title = md_link(label, row.url).replace("|", "\\|")
        cells = [_md(_shown(row.cells[c])) for c in table.columns]
        lines.append(f"| {n} | {title} | " + " | ".join(cells) + " |")
    if table.mode == "extractive":
        lines += ["", EXTRACTIVE_LINE]
    lines += ["", "### Evidence", ""]
    for n, row in enumerate(table.rows, start=1):
        quoted = [
            f"{_md(c)}: “{_md(row.cells[c].evidence)}”"
            if row.cells[c].source == "abstract"
            else f"{_md(c)}: {_md(row.cells[c].evidence)}"
            for c in table.columns
            if row.cells[c].status == "reported" and row.cells[c].evidence
        ]
        if quoted:
            lines.append(f"{n}. {_md(row.id)}: " + " · ".join(quoted))
    return "\n".join(lines).rstrip() + "\n"


def to_json(table: CompareTable) -> str:
    return json.dumps(table.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
