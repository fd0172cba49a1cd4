"""compare: one row per paper, one cell per column, each cell filled from that paper's
abstract with its evidence, "not reported" where the abstract is silent.

Cell rules, enforced in code (what fails after the re-asks is marked "unverified",
never printed as fact):
- a value other than "not reported" comes with evidence copied verbatim from the abstract;
- every number in the value occurs in its evidence (so in the abstract);
- most of the value's words occur in the evidence.

The ``code`` column never asks the model: it comes from the paper's code links, else a
URL in the abstract. Without a model, ``extractive_row`` fills the known columns from cue
words (``reviewer.tasks.cues``), labelled as extractive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from reviewer.grounding import (
    NOT_REPORTED,
    is_not_reported,
    normalize_ws,
    quote_in,
    split_sentences,
    unsupported_numbers,
    unsupported_share,
)
from reviewer.llm.client import LLMClient, Outcome, best_answer
from reviewer.prompts import load_prompt
from reviewer.tasks.draft_model import DISCOURSE_WORDS
from reviewer.tasks.verify import Verification, Verifier, cell_claim, paper_premise

TASK = "compare"
DEFAULT_COLUMNS = ("task", "modality", "datasets", "metrics", "results", "code")
COLUMN_HELP = {
    "task": "The task or question the paper addresses, in a few words.",
    "modality": "The imaging modality or data type (CT, MRI, X-ray, ultrasound, ...).",
    "datasets": "The datasets or cohorts used, by name.",
    "metrics": "The evaluation metrics named.",
    "results": "The main quantitative result, with its numbers as written.",
    "method": "The proposed method or approach, in a few words.",
    "anatomy": "The organ or body region studied.",
    "code": "Whether code is released, and where.",
}
_COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def column_help(column: str) -> str:
    """What the model is told a column holds."""
    return COLUMN_HELP.get(column, f"The paper's {column.replace('_', ' ')}.")


class CellDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: str = Field(
        max_length=200, description=f"The answer in a few words, or '{NOT_REPORTED}'."
    )
    evidence: str = Field(
        default="",
        max_length=400,
        description="The sentence or clause of the abstract that states it, copied word for "
        "word; empty when not reported.",
    )


class RowDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> RowDraft:
        context = info.context or {}
        abstract = context.get("abstract")
        if abstract is None:
            return self
        problems = [
            f"{column}: {p}"
            for column in context.get("columns", [])
            for p in cell_problems(getattr(self, column), abstract)
        ]
        if problems:
            raise ValueError(
                "These cells are not supported by the abstract; fix them, and write "
                f"'{NOT_REPORTED}' where the abstract is silent:\n- " + "\n- ".join(problems)
            )
        return self


def row_model(columns: Sequence[str]) -> type[RowDraft]:
    fields: dict[str, Any] = {c: (CellDraft, Field(description=column_help(c))) for c in columns}
    return create_model("Row", __base__=RowDraft, **fields)


def cell_problems(cell: CellDraft, abstract: str) -> list[str]:
    if is_not_reported(cell.value):
        return []
    if not cell.evidence.strip():
        return ["no evidence quoted from the abstract"]
    if not quote_in(cell.evidence, abstract):
        return ["evidence is not verbatim in the abstract"]
    bad = unsupported_numbers(cell.value, cell.evidence)
    if bad:
        return [f"numbers not in the evidence: {', '.join(bad)}"]
    if unsupported_share(cell.value, cell.evidence, ignore=DISCOURSE_WORDS) > 0.5:
        return ["most of its words are not in the evidence"]
    return []


class Cell(BaseModel):
    value: str
    evidence: str = ""
    status: Literal["reported", "not reported", "unverified"]
    source: Literal["abstract", "metadata", "none"] = "abstract"
    reason: str | None = Field(default=None, description="Why an unverified cell was dropped.")
    verdict: Literal["supported", "unsupported", "not judged"] | None = Field(
        default=None,
        description="The judge's verdict with --verify on a reported cell: an unsupported "
        "cell is emptied (status 'unverified'); 'not judged' when the judge stopped.",
    )


class Row(BaseModel):
    id: str
    title: str
    year: int | None
    url: str | None
    cells: dict[str, Cell]
    validation: Literal["passed", "pruned", "extractive", "failed"]
    notes: list[str] = Field(
        default_factory=list,
        description="What --verify's judge emptied in this row, and why.",
    )


class CompareTable(BaseModel):
    topic: str | None
    columns: list[str]
    mode: Literal["model", "extractive"]
    rows: list[Row]
    footer: dict[str, Any]
    verification: Verification | None = Field(
        default=None, description="What --verify's judge did (None without --verify)."
    )


def parse_columns(text: str) -> list[str]:
    columns = [c.strip().lower().replace("-", "_") for c in text.split(",") if c.strip()]
    bad = [c for c in columns if not _COLUMN_NAME.match(c)]
    if bad or not columns:
        from reviewer.errors import ReviewerError

        raise ReviewerError(
            f"bad --columns {text!r}: use comma-separated names such as "
            f"{','.join(DEFAULT_COLUMNS)}",
        )
    return list(dict.fromkeys(columns))


_URL = re.compile(r"https?://[^\s)\]}>,;]+")
# A URL in the abstract is a code link when it points at a code host, or when its
# sentence speaks of code (a dataset link is not code).
_CODE_HOST = re.compile(r"//(?:www\.)?(?:github\.com|gitlab\.|bitbucket\.org|codeberg\.org)")


def code_cell(paper: Any) -> Cell:
    if paper.code_urls:
        return Cell(
            value=paper.code_urls[0],
            evidence="code link in the paper's metadata",
            status="reported",
            source="metadata",
        )
    for sentence in split_sentences(paper.abstract):
        for match in _URL.finditer(sentence):
            url = match.group(0).rstrip(".")
            if _CODE_HOST.search(url) or re.search(r"\bcode\b", sentence, re.IGNORECASE):
                return Cell(value=url, evidence=sentence, status="reported")
    return Cell(value=NOT_REPORTED, status="not reported", source="none")


def _base_row(paper: Any, cells: dict[str, Cell], validation: Any) -> Row:
    from reviewer.render.bibtex import paper_url

    return Row(
        id=paper.id,
        title=paper.title,
        year=paper.known_year,
        url=paper_url(paper),
        cells=cells,
        validation=validation,
    )


def compare_row(
    client: LLMClient, paper: Any, columns: Sequence[str]
) -> tuple[Row, Outcome[Any] | None]:
    asked = [c for c in columns if c != "code"]
    cells: dict[str, Cell] = {}
    outcome: Outcome[Any] | None = None
    validation = "passed"
    if asked:
        rendered = load_prompt("compare_paper").render(
            title=paper.title,
            abstract=paper.abstract,
            columns=[{"name": c, "help": column_help(c)} for c in asked],
        )
        schema = row_model(asked)
        outcome = client.structured(
            rendered,
            schema,
            context={"abstract": paper.abstract, "columns": asked},
            task=TASK,
            subject=paper.id,
        )
        draft = outcome.value
        if draft is None:
            draft = best_answer(
                outcome.contents,
                schema,
                lambda d: sum(len(cell_problems(getattr(d, c), paper.abstract)) for c in asked),
            )
            validation = "pruned" if draft is not None else "failed"
        for column in asked:
            if draft is None:
                cells[column] = Cell(
                    value="",
                    status="unverified",
                    source="none",
                    reason="no answer fit the table's schema",
                )
                continue
            cell: CellDraft = getattr(draft, column)
            problems = cell_problems(cell, paper.abstract)
            if problems:
                cells[column] = Cell(
                    value="", status="unverified", source="none", reason="; ".join(problems)
                )
            elif is_not_reported(cell.value):
                cells[column] = Cell(value=NOT_REPORTED, status="not reported", source="none")
            else:
                cells[column] = Cell(
                    value=normalize_ws(cell.value),
                    evidence=normalize_ws(cell.evidence),
                    status="reported",
                )
    if "code" in columns:
        cells["code"] = code_cell(paper)
    return _base_row(paper, {c: cells[c] for c in columns}, validation), outcome


def extractive_row(paper: Any, columns: Sequence[str]) -> Row:
    """Cells from cue words (``reviewer.tasks.cues``): the value as the title or abstract
    writes it, the evidence the sentence that holds it (or "title: ..." when the title
    gave it); "not reported" where no cue was found, which in this table means the cue
    words found nothing, not that the paper is silent."""
    from reviewer.tasks import cues

    sentences = cues.read_sentences(split_sentences(paper.abstract))
    title = normalize_ws(paper.title)
    finders: dict[str, Callable[[], cues.Found | None]] = {
        "task": lambda: cues.task(title, sentences),
        "modality": lambda: cues.modality(title, paper.abstract, sentences),
        "datasets": lambda: cues.datasets(title, sentences),
        "metrics": lambda: cues.metrics(sentences),
        "results": lambda: cues.results(sentences),
    }
    cells: dict[str, Cell] = {}
    for column in columns:
        if column == "code":
            cells[column] = code_cell(paper)
            continue
        found = finders[column]()
        if found is None:
            cells[column] = Cell(value=NOT_REPORTED, status="not reported", source="none")
        elif found.from_title:
            cells[column] = Cell(
                value=found.value,
                evidence=f"title: {found.evidence}",
                status="reported",
                source="metadata",
            )
        else:
            cells[column] = Cell(value=found.value, evidence=found.evidence, status="reported")
    return _base_row(paper, cells, "extractive")


EXTRACTIVE_COLUMNS = frozenset({"task", "modality", "datasets", "metrics", "results", "code"})


def compare_rows(
    client: LLMClient | None,
    papers: Sequence[Any],
    columns: Sequence[str],
    concurrency: int = 1,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    if client is None:
        return [extractive_row(p, columns) for p in papers]

    def one(paper: Any) -> Row:
        row, _ = compare_row(client, paper, columns)
        if on_row:
            on_row(row)
        return row

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, papers))


def verify_rows(verifier: Verifier, rows: Sequence[Row], papers: Sequence[Any]) -> list[Row]:
    """The judge reads every reported cell whose value comes from the abstract (not a
    code link from the metadata) as "column: value" against its paper's title and
    abstract (``reviewer.tasks.verify``). A cell it does not support is emptied and
    marked "unverified", with the reason in the cell and in the row's notes."""
    by_id = {p.id: p for p in papers}
    asked = [
        (row, column)
        for row in rows
        for column, cell in row.cells.items()
        if cell.status == "reported" and cell.source == "abstract"
    ]
    verdicts = verifier.each(
        asked,
        lambda item: verifier.claim(
            cell_claim(item[1], item[0].cells[item[1]].value), paper_premise(by_id[item[0].id])
        ),
    )
    for (row, column), verdict in zip(asked, verdicts, strict=True):
        cell = row.cells[column]
        if verdict != "unsupported":
            row.cells[column] = cell.model_copy(update={"verdict": verdict})
            continue
        why = f"the judge ({verifier.name}) finds the abstract does not support {cell.value!r}"
        row.cells[column] = Cell(
            value="", status="unverified", source="none", reason=why, verdict="unsupported"
        )
        row.notes.append(f"{column}: emptied: {why}")
    return list(rows)
