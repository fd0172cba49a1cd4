"""The per-paper summary: what the model is asked to fill (``SummaryDraft``), the
grounding rules it must pass, and what is stored and exported (``PaperSummary``).

Every string the model writes has a ``max_length``: small local models given a
JSON grammar otherwise ramble until the token limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from reviewer.grounding import (
    NOT_REPORTED,
    first_sentence,
    is_not_reported,
    is_repetitive,
    name_in,
    normalize_ws,
    quote_in,
    unsupported_numbers,
    unsupported_share,
)

SHORT = 100
TEXT = 300


class Metric(BaseModel):
    name: str = Field(
        max_length=SHORT, description="Metric name as written in the abstract, e.g. Dice."
    )
    value: str = Field(
        max_length=60, description="The reported value exactly as written, e.g. 0.912 or 85.3%."
    )
    dataset: str = Field(
        default=NOT_REPORTED,
        max_length=SHORT,
        description=f"Dataset the value was measured on, or '{NOT_REPORTED}'.",
    )


class Finding(BaseModel):
    finding: str = Field(max_length=TEXT, description="One key finding in your own words.")
    quote: str = Field(
        max_length=TEXT, description="A sentence or clause copied word for word from the abstract."
    )


class Limitation(BaseModel):
    limitation: str = Field(max_length=TEXT, description="A limitation the authors state.")
    quote: str = Field(
        max_length=TEXT, description="The abstract's words stating it, copied word for word."
    )


CodeAnswer = Literal["yes", "no", "not reported"]


class SummaryDraft(BaseModel):
    """What the model fills in. Validated against the abstract (the validation
    context) so that ungrounded answers go back to the model as errors."""

    model_config = ConfigDict(extra="ignore")

    tldr: str = Field(max_length=300, description="One sentence: what the paper does and finds.")
    problem: str = Field(max_length=TEXT, description="The problem addressed.")
    method: str = Field(max_length=TEXT, description="The proposed method or approach.")
    task: str = Field(
        max_length=SHORT, description="e.g. segmentation, classification, report generation."
    )
    modality: str = Field(
        max_length=SHORT,
        description=f"Imaging modality named in the abstract (CT, MRI, ...) or '{NOT_REPORTED}'.",
    )
    anatomy: str = Field(
        max_length=SHORT,
        description=f"Organ or body region named in the abstract, or '{NOT_REPORTED}'.",
    )
    datasets: list[Annotated[str, Field(max_length=SHORT)]] = Field(
        default_factory=list, max_length=6, description="Dataset names exactly as written."
    )
    metrics: list[Metric] = Field(default_factory=list, max_length=6)
    findings: list[Finding] = Field(default_factory=list, max_length=3)
    limitations: list[Limitation] = Field(default_factory=list, max_length=2)
    code_available: CodeAnswer = Field(
        default="not reported", description="Does the abstract say code is released?"
    )
    code_url: str = Field(default=NOT_REPORTED, max_length=200)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> SummaryDraft:
        context = info.context or {}
        abstract = context.get("abstract")
        if abstract is None:
            return self
        problems = grounding_problems(
            self, abstract, context.get("code_urls", []), context.get("title", "")
        )
        if problems:
            lines = [f"{p.field}: {p.reason} ({p.value[:80]!r})" for p in problems]
            raise ValueError(
                "These answers are not supported by the abstract; fix or remove them, and use "
                f"'{NOT_REPORTED}' where the abstract is silent:\n- " + "\n- ".join(lines)
            )
        return self


class Dropped(BaseModel):
    field: str
    value: str
    reason: str


def grounding_problems(
    draft: SummaryDraft, abstract: str, code_urls: list[str] | None = None, title: str = ""
) -> list[Dropped]:
    """Every answer in the draft that the abstract does not support."""
    problems: list[Dropped] = []
    # Free text is checked against the title too: a TL;DR may name the method.
    source = f"{title}\n{abstract}"

    def numbers(field: str, text: str) -> None:
        bad = unsupported_numbers(text, abstract)
        if bad:
            problems.append(
                Dropped(
                    field=field, value=text, reason=f"numbers not in the abstract: {', '.join(bad)}"
                )
            )

    for field in ("tldr", "problem", "method", "task"):
        value = getattr(draft, field)
        if is_not_reported(value):
            continue
        numbers(field, value)
        if field in {p.field for p in problems}:
            continue
        reason = None
        if unsupported_share(value, source) > 0.5:
            reason = "most of its words are not in the title or abstract"
        elif is_repetitive(value):
            reason = "repeats the same few words"
        elif field == "tldr" and normalize_ws(value).lower().rstrip(".") == normalize_ws(
            title
        ).lower().rstrip("."):
            reason = "repeats the title instead of summarizing"
        if reason:
            problems.append(Dropped(field=field, value=value, reason=reason))
    for field in ("modality", "anatomy"):
        value = getattr(draft, field)
        if not is_not_reported(value) and not name_in(value, abstract):
            problems.append(
                Dropped(field=field, value=value, reason="does not occur in the abstract")
            )
    seen: set[str] = set()
    for i, name in enumerate(draft.datasets):
        if normalize_ws(name).lower() in seen:
            problems.append(
                Dropped(field=f"datasets[{i}]", value=name, reason="repeats an earlier dataset")
            )
            continue
        seen.add(normalize_ws(name).lower())
        if not name_in(name, abstract):
            problems.append(
                Dropped(
                    field=f"datasets[{i}]", value=name, reason="dataset name not in the abstract"
                )
            )
    for i, metric in enumerate(draft.metrics):
        label = f"{metric.name} = {metric.value}"
        if not name_in(metric.name, abstract):
            problems.append(
                Dropped(
                    field=f"metrics[{i}]", value=label, reason="metric name not in the abstract"
                )
            )
        elif not any(c.isdigit() for c in metric.value) or unsupported_numbers(
            metric.value, abstract
        ):
            problems.append(
                Dropped(
                    field=f"metrics[{i}]",
                    value=label,
                    reason="value is not a number in the abstract",
                )
            )
        elif not is_not_reported(metric.dataset) and not name_in(metric.dataset, abstract):
            problems.append(
                Dropped(
                    field=f"metrics[{i}]", value=label, reason="dataset name not in the abstract"
                )
            )
    quoted: list[tuple[str, str, str]] = [
        (f"findings[{i}]", f.finding, f.quote) for i, f in enumerate(draft.findings)
    ] + [(f"limitations[{i}]", x.limitation, x.quote) for i, x in enumerate(draft.limitations)]
    for where, text, quote in quoted:
        if not quote_in(quote, abstract):
            problems.append(
                Dropped(field=where, value=quote, reason="quote is not verbatim in the abstract")
            )
        elif unsupported_numbers(text, abstract):
            numbers(where, text)
    url = draft.code_url
    if not is_not_reported(url) and url not in (code_urls or []) and url not in abstract:
        problems.append(
            Dropped(field="code_url", value=url, reason="URL not in the abstract or metadata")
        )
    says_nothing_of_code = not any(
        w in abstract.lower() for w in ("code", "github", "available", "release")
    )
    claims_code = draft.code_available in ("yes", "no")
    if claims_code and is_not_reported(url) and not code_urls and says_nothing_of_code:
        problems.append(
            Dropped(
                field="code_available",
                value=draft.code_available,
                reason="the abstract says nothing about code",
            )
        )
    return problems


class CodeAvailability(BaseModel):
    available: CodeAnswer
    urls: list[str] = Field(default_factory=list)
    source: Literal["metadata", "abstract", "none"]


class PaperSummary(BaseModel):
    """A grounded summary of one paper, as stored, printed and exported."""

    paper_id: str
    title: str
    tldr: str
    tldr_source: Literal["model", "abstract"] = Field(
        description="'abstract' when the model's TL;DR failed validation and the abstract's "
        "first sentence stands in for it."
    )
    problem: str
    method: str
    task: str
    modality: str
    anatomy: str
    datasets: list[str]
    metrics: list[Metric]
    findings: list[Finding]
    limitations: list[Limitation]
    code: CodeAvailability
    not_reported: list[str] = Field(
        description="Fields the abstract does not report (the model said so, or gave nothing)."
    )
    failed_fields: list[str] = Field(
        default_factory=list,
        description="Fields left empty because every answer for them failed validation: the "
        "abstract may still report them. Their rejected answers are in 'dropped'.",
    )
    abstract_truncated: bool = Field(
        description="True when only a truncated abstract was available; "
        "the summary covers that part."
    )
    validation: Literal["passed", "pruned"] = Field(
        description="'passed': the answer met every grounding rule; 'pruned': after the re-asks "
        "some answers still failed and were dropped (listed in 'dropped')."
    )
    dropped: list[Dropped] = Field(default_factory=list)
    model: str
    prompt: str = Field(description="prompt id@version")
    abstract_hash: str


LIST_FIELDS = ("datasets", "metrics", "findings", "limitations")
TEXT_FIELDS = ("problem", "method", "task", "modality", "anatomy")
# Every field a summary may list in not_reported or failed_fields.
REPORTABLE_FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, "code")


def build_summary(
    draft: SummaryDraft,
    *,
    paper: Any,
    passed: bool,
    model: str,
    prompt: str,
) -> PaperSummary:
    """Drop every ungrounded answer from the draft and assemble the stored summary."""
    abstract: str = paper.abstract
    problems = grounding_problems(draft, abstract, list(paper.code_urls), paper.title)
    bad_fields = {p.field for p in problems}
    data = draft.model_dump()
    for field in TEXT_FIELDS:
        if field in bad_fields or is_not_reported(data[field]):
            data[field] = NOT_REPORTED
    for field in LIST_FIELDS:
        data[field] = [
            item for i, item in enumerate(data[field]) if f"{field}[{i}]" not in bad_fields
        ]
    tldr_source: Literal["model", "abstract"] = "model"
    if "tldr" in bad_fields or is_not_reported(data["tldr"]):
        data["tldr"] = first_sentence(abstract)
        tldr_source = "abstract"
    urls = list(paper.code_urls)
    if urls:
        code = CodeAvailability(available="yes", urls=urls, source="metadata")
    elif "code_url" not in bad_fields and not is_not_reported(draft.code_url):
        code = CodeAvailability(available="yes", urls=[draft.code_url], source="abstract")
    elif "code_available" not in bad_fields and draft.code_available != "not reported":
        code = CodeAvailability(available=draft.code_available, source="abstract")
    else:
        code = CodeAvailability(available="not reported", source="none")
    bad_bases = {f.split("[", 1)[0] for f in bad_fields}
    if bad_bases & {"code_url", "code_available"}:
        bad_bases.add("code")
    empty = [f for f in TEXT_FIELDS if data[f] == NOT_REPORTED]
    empty += [f for f in LIST_FIELDS if not data[f]]
    if code.available == "not reported":
        empty.append("code")
    not_reported = [f for f in empty if f not in bad_bases]
    failed_fields = [f for f in empty if f in bad_bases]
    return PaperSummary(
        paper_id=paper.id,
        title=paper.title,
        tldr=data["tldr"],
        tldr_source=tldr_source,
        problem=data["problem"],
        method=data["method"],
        task=data["task"],
        modality=data["modality"],
        anatomy=data["anatomy"],
        datasets=data["datasets"],
        metrics=[Metric(**m) for m in data["metrics"]],
        findings=[Finding(**f) for f in data["findings"]],
        limitations=[Limitation(**x) for x in data["limitations"]],
        code=code,
        not_reported=not_reported,
        failed_fields=failed_fields,
        abstract_truncated=bool(paper.abstract_truncated),
        validation="passed" if passed and not problems else "pruned",
        dropped=problems,
        model=model,
        prompt=prompt,
        abstract_hash=paper.text_hash(),
    )


def lacking_summary(
    papers: Iterable[Any], stored: Mapping[str, Any], *, include_pruned: bool = False
) -> list[Any]:
    """The papers with an abstract whose stored summary is missing or not current; with
    ``include_pruned``, also those whose current summary was pruned (some answers failed
    validation), which a refresh may get right (without one, the cache replays the same
    failure)."""
    lacking = []
    for paper in papers:
        if not paper.abstract.strip():
            continue
        summary = current_summary(paper, stored.get(paper.id))
        if summary is None or (include_pruned and summary.validation != "passed"):
            lacking.append(paper)
    return lacking


def current_summary(paper: Any, stored: Mapping[str, Any] | None) -> PaperSummary | None:
    """The stored summary if it was made from the paper's current title and abstract."""
    if not stored:
        return None
    try:
        summary = PaperSummary.model_validate(stored)
    except ValidationError:
        return None  # written by an older, incompatible version: not current
    if summary.paper_id != paper.id or summary.abstract_hash != paper.text_hash():
        return None
    return summary
