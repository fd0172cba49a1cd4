"""The per-paper summary: what the model is asked to fill (``SummaryDraft``), the
grounding rules it must pass, and what is stored and exported (``PaperSummary``).

Every string the model writes has a ``max_length``: small local models given a
JSON grammar otherwise ramble until the token limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)

from reviewer.claims import is_instruction, sweeping_claim
from reviewer.grounding import (
    NOT_REPORTED,
    content_words,
    first_sentence,
    has_verb,
    is_not_reported,
    is_repetitive,
    name_in,
    normalize_phrase,
    normalize_ws,
    number_roles,
    numbers_in,
    quote_in,
    states_limitation,
    unsupported_numbers,
    unsupported_share,
)
from reviewer.profiles import Profile, load_profile

SHORT = 100
TEXT = 300


MetricKind = Literal["score", "gain"]


class Metric(BaseModel):
    name: str = Field(
        max_length=SHORT, description="Metric name as written in the abstract, e.g. Dice."
    )
    value: str = Field(
        max_length=60, description="The reported value exactly as written, e.g. 0.912 or 85.3%."
    )
    kind: MetricKind = Field(
        default="score",
        description="'score' for a value of the metric (Dice 0.912); 'gain' for an "
        "improvement over a baseline (+8.0% Dice, improves Dice by 3 points).",
    )
    dataset: str = Field(
        default=NOT_REPORTED,
        max_length=SHORT,
        description=f"Dataset the value was measured on, or '{NOT_REPORTED}'.",
    )


@cache
def _quote_items(claim_key: str) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        claim_key.title().replace("_", ""),
        **{  # type: ignore[call-overload]
            claim_key: (
                str,
                Field(max_length=TEXT, description=f"The {claim_key}, in your own words."),
            ),
            "quote": (
                str,
                Field(
                    max_length=TEXT,
                    description="A sentence or clause copied word for word from the abstract.",
                ),
            ),
        },
    )
    return model


Finding = _quote_items("finding")
Limitation = _quote_items("limitation")

CodeAnswer = Literal["yes", "no", "not reported"]


class SummaryDraft(BaseModel):
    """What the model fills in: the TL;DR here, the rest from the profile
    (``draft_model``). Validated against the abstract (the validation context) so that
    ungrounded answers go back to the model as errors."""

    model_config = ConfigDict(extra="ignore")
    profile: ClassVar[Profile | None] = None

    tldr: str = Field(max_length=300, description="One sentence: what the paper does and finds.")

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


def _not_reported_hint(description: str) -> str:
    return f"{description} '{NOT_REPORTED}' if the abstract does not say."


@lru_cache(maxsize=32)
def draft_model(profile: Profile) -> type[SummaryDraft]:
    """The model's answer schema for ``profile``: the TL;DR, then each field by its kind
    (a link field ``x`` is asked as ``x_available`` and ``x_url``)."""
    fields: dict[str, Any] = {}
    for f in profile.fields:
        if f.kind in ("text", "name"):
            size = TEXT if f.kind == "text" else SHORT
            fields[f.name] = (
                str,
                Field(max_length=size, description=_not_reported_hint(f.description)),
            )
        elif f.kind == "names":
            fields[f.name] = (
                list[Annotated[str, Field(max_length=SHORT)]],
                Field(default_factory=list, max_length=f.limit, description=f.description),
            )
        elif f.kind == "metrics":
            fields[f.name] = (
                list[Metric],
                Field(default_factory=list, max_length=f.limit, description=f.description),
            )
        elif f.kind == "quotes":
            fields[f.name] = (
                list[_quote_items(f.claim_key)],  # type: ignore[misc]
                Field(default_factory=list, max_length=f.limit, description=f.description),
            )
        else:  # link
            fields[f"{f.name}_available"] = (
                CodeAnswer,
                Field(default="not reported", description=f.description),
            )
            fields[f"{f.name}_url"] = (str, Field(default=NOT_REPORTED, max_length=200))
    model = create_model("SummaryDraft", __base__=SummaryDraft, **fields)
    model.profile = profile
    return model


def profile_of(draft: SummaryDraft) -> Profile:
    return type(draft).profile or load_profile(None)


class Dropped(BaseModel):
    field: str
    value: str
    reason: str


def grounding_problems(
    draft: SummaryDraft, abstract: str, code_urls: list[str] | None = None, title: str = ""
) -> list[Dropped]:
    """Every answer in the draft that the abstract does not support, by the rule of each
    field's kind in the draft's profile."""
    profile = profile_of(draft)
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

    said: dict[str, str] = {}  # free-text answers so far, as phrases -> their field

    def text_rule(field: str, value: str) -> None:
        if is_not_reported(value):
            return
        before = len(problems)
        numbers(field, value)
        if len(problems) > before:
            return
        phrase = normalize_phrase(value)
        reason = None
        if unsupported_share(value, source) > 0.5:
            reason = "most of its words are not in the title or abstract"
        elif is_repetitive(value):
            reason = "repeats the same few words"
        elif is_instruction(value):
            reason = "is an instruction, not a statement about the paper"
        elif (sweeping := sweeping_claim(value)) is not None:
            reason = f"claims something of {sweeping!r}, which one abstract cannot establish"
        elif restates_title(value, title):
            reason = "repeats the title instead of summarizing"
        elif phrase in said:
            reason = f"repeats the {said[phrase]} field; say what this field asks"
        elif field == "tldr" and title and adds_nothing_to_title(value, title):
            reason = "says nothing beyond the title's words; say what the paper does or finds"
        elif field == "tldr" and not has_verb(value):
            reason = (
                "is not a sentence (no verb such as proposes, shows, improves, is); "
                "say what the paper does or finds"
            )
        said.setdefault(phrase, field)
        if reason:
            problems.append(Dropped(field=field, value=value, reason=reason))

    text_rule("tldr", draft.tldr)
    for spec in profile.fields:
        name = spec.name
        if spec.kind == "text":
            text_rule(name, getattr(draft, name))
        elif spec.kind == "name":
            value = getattr(draft, name)
            if not is_not_reported(value) and not name_in(value, abstract):
                problems.append(
                    Dropped(field=name, value=value, reason="does not occur in the abstract")
                )
        elif spec.kind == "names":
            seen: set[str] = set()
            for i, item in enumerate(getattr(draft, name)):
                key = normalize_ws(item).lower()
                if key in seen:
                    reason = "repeats an earlier name"
                elif not name_in(item, abstract):
                    reason = "name not in the abstract"
                else:
                    reason = ""
                seen.add(key)
                if reason:
                    problems.append(Dropped(field=f"{name}[{i}]", value=item, reason=reason))
        elif spec.kind == "metrics":
            for i, metric in enumerate(getattr(draft, name)):
                label = f"{metric.name} = {metric.value}"
                reason = ""
                if not name_in(metric.name, abstract):
                    reason = "metric name not in the abstract"
                elif not any(c.isdigit() for c in metric.value) or unsupported_numbers(
                    metric.value, abstract
                ):
                    reason = "value is not a number in the abstract"
                elif not is_not_reported(metric.dataset) and not name_in(metric.dataset, abstract):
                    reason = "dataset name not in the abstract"
                else:
                    reason = _metric_kind_problem(metric, abstract)
                if reason:
                    problems.append(Dropped(field=f"{name}[{i}]", value=label, reason=reason))
        elif spec.kind == "quotes":
            for i, item in enumerate(getattr(draft, name)):
                where, text, quote = f"{name}[{i}]", getattr(item, spec.claim_key), item.quote
                if not quote_in(quote, abstract):
                    problems.append(
                        Dropped(
                            field=where, value=quote, reason="quote is not verbatim in the abstract"
                        )
                    )
                elif unsupported_numbers(text, abstract):
                    numbers(where, text)
                elif spec.states == "limitation" and not states_limitation(quote):
                    problems.append(
                        Dropped(
                            field=where,
                            value=quote,
                            reason="the quote does not state a limitation (no word such as "
                            "limited, however, only, cannot, requires, not, without, future "
                            "work); quote where the authors state one, or give none",
                        )
                    )
        else:  # link
            url = getattr(draft, f"{name}_url")
            known = list(code_urls or []) if name == "code" else []
            if not is_not_reported(url) and url not in known and url not in abstract:
                problems.append(
                    Dropped(
                        field=f"{name}_url", value=url, reason="URL not in the abstract or metadata"
                    )
                )
            answer = getattr(draft, f"{name}_available")
            if answer in ("yes", "no") and is_not_reported(url) and not known:
                cues = _LINK_CUES if name == "code" else (name.replace("_", " "),)
                if not any(w in abstract.lower() for w in cues):
                    problems.append(
                        Dropped(
                            field=f"{name}_available",
                            value=answer,
                            reason=f"the abstract says nothing about {name.replace('_', ' ')}",
                        )
                    )
    return problems


_LINK_CUES = ("code", "github", "available", "release")


def restates_title(value: str, title: str) -> bool:
    """True when ``value`` is the title: the same phrase up to case, punctuation,
    articles and spacing, or the title with a word or two added or dropped (its content
    words are all the title's and cover at least 80% of them)."""
    if not title.strip():
        return False
    if normalize_phrase(value) == normalize_phrase(title):
        return True
    words, title_words = set(content_words(value)), set(content_words(title))
    return bool(words) and words <= title_words and len(words) >= 0.8 * len(title_words)


def adds_nothing_to_title(value: str, title: str) -> bool:
    """True when every content word of ``value`` is a word of the title (compared by
    their first five letters, so "segments" is "segmentation"): a TL;DR built from the
    title's words alone, or from none, does not say what the paper does or finds."""
    stems = {w[:5] for w in content_words(title)}
    return all(w[:5] in stems for w in content_words(value))


def _metric_kind_problem(metric: Metric, abstract: str) -> str:
    """Why ``metric``'s kind contradicts how the abstract gives its number, or ''.
    Each occurrence of the number counts: a score must occur at least once as a plain
    value, a gain at least once as a difference ("+8.0%", "improves ... by 8.0%")."""
    value = normalize_ws(metric.value)
    numbers = numbers_in(value)
    if not numbers:
        return ""
    if metric.kind == "score":
        if value.startswith("+"):
            return f"{value} is written as a gain over a baseline; give its kind as 'gain'"
        for number in numbers:
            roles = number_roles(number, abstract)
            if roles and "value" not in roles:
                return (
                    f"the abstract gives {number} only as a gain over a baseline, not as "
                    "a score; give its kind as 'gain'"
                )
        return ""
    roles = number_roles(numbers[0], abstract)
    if roles and "gain" not in roles:
        return (
            f"the abstract gives {numbers[0]} as a value, not as a gain over a baseline; "
            "give its kind as 'score'"
        )
    return ""


class CodeAvailability(BaseModel):
    available: CodeAnswer
    urls: list[str] = Field(default_factory=list)
    source: Literal["metadata", "abstract", "none"]


class PaperSummary(BaseModel):
    """A grounded summary of one paper, as stored, printed and exported. The profile's
    fields sit beside these keys (``summary_model(profile)`` types them); a link field
    is stored as a ``CodeAvailability``."""

    model_config = ConfigDict(extra="allow")

    paper_id: str
    title: str
    tldr: str
    tldr_source: Literal["model", "abstract"] = Field(
        description="'abstract' when the model's TL;DR failed validation and the abstract's "
        "first sentence stands in for it."
    )
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
    profile: str = Field(description="The summary profile, name@fingerprint of its fields.")
    abstract_hash: str


class _TypedSummary(PaperSummary):
    model_config = ConfigDict(extra="forbid")


@lru_cache(maxsize=32)
def summary_model(profile: Profile) -> type[PaperSummary]:
    """``PaperSummary`` with ``profile``'s fields typed (and no others): what is stored
    and what the wiki's JSON Schema describes."""
    fields: dict[str, Any] = {}
    for f in profile.fields:
        description = f"{f.description} ({f.kind})"
        if f.kind in ("text", "name"):
            fields[f.name] = (str, Field(description=description))
        elif f.kind == "names":
            fields[f.name] = (list[str], Field(description=description))
        elif f.kind == "metrics":
            fields[f.name] = (list[Metric], Field(description=description))
        elif f.kind == "quotes":
            fields[f.name] = (list[_quote_items(f.claim_key)], Field(description=description))  # type: ignore[misc]
        else:
            fields[f.name] = (CodeAvailability, Field(description=description))
    model = create_model("PaperSummary", __base__=_TypedSummary, **fields)
    return model


def build_summary(
    draft: SummaryDraft,
    *,
    paper: Any,
    passed: bool,
    model: str,
    prompt: str,
) -> PaperSummary:
    """Drop every ungrounded answer from the draft and assemble the stored summary."""
    profile = profile_of(draft)
    abstract: str = paper.abstract
    problems = grounding_problems(draft, abstract, list(paper.code_urls), paper.title)
    bad_fields = {p.field for p in problems}
    bad_bases = {f.split("[", 1)[0] for f in bad_fields}
    data = draft.model_dump()
    values: dict[str, Any] = {}
    empty: list[str] = []
    for f in profile.fields:
        if f.kind in ("text", "name"):
            value = data[f.name]
            if f.name in bad_fields or is_not_reported(value):
                value = NOT_REPORTED
            values[f.name] = value
            if value == NOT_REPORTED:
                empty.append(f.name)
        elif f.kind == "link":
            values[f.name] = _link(draft, f.name, paper, bad_fields)
            if values[f.name].available == "not reported":
                empty.append(f.name)
            if bad_bases & {f"{f.name}_url", f"{f.name}_available"}:
                bad_bases.add(f.name)
        else:
            items = [x for i, x in enumerate(data[f.name]) if f"{f.name}[{i}]" not in bad_fields]
            values[f.name] = items
            if not items:
                empty.append(f.name)
    tldr_source: Literal["model", "abstract"] = "model"
    tldr = data["tldr"]
    if "tldr" in bad_fields or is_not_reported(tldr):
        tldr = first_sentence(abstract)
        tldr_source = "abstract"
    return summary_model(profile).model_validate(
        {
            "paper_id": paper.id,
            "title": paper.title,
            "tldr": tldr,
            "tldr_source": tldr_source,
            **values,
            "not_reported": [f for f in empty if f not in bad_bases],
            "failed_fields": [f for f in empty if f in bad_bases],
            "abstract_truncated": bool(paper.abstract_truncated),
            "validation": "passed" if passed and not problems else "pruned",
            "dropped": problems,
            "model": model,
            "prompt": prompt,
            "profile": profile.label,
            "abstract_hash": paper.text_hash(),
        }
    )


def _link(draft: SummaryDraft, name: str, paper: Any, bad_fields: set[str]) -> CodeAvailability:
    urls = list(paper.code_urls) if name == "code" else []
    if urls:
        return CodeAvailability(available="yes", urls=urls, source="metadata")
    url = getattr(draft, f"{name}_url")
    if f"{name}_url" not in bad_fields and not is_not_reported(url):
        return CodeAvailability(available="yes", urls=[url], source="abstract")
    answer = getattr(draft, f"{name}_available")
    if f"{name}_available" not in bad_fields and answer != "not reported":
        return CodeAvailability(available=answer, source="abstract")
    return CodeAvailability(available="not reported", source="none")


class SummaryKey(BaseModel):
    """What makes a stored summary current besides the paper's text: the profile
    (``name@fingerprint``), the model and the prompt (``id@version``). ``None`` checks
    nothing for that part."""

    profile: str | None = None
    model: str | None = None
    prompt: str | None = None


def lacking_summary(
    papers: Iterable[Any],
    stored: Mapping[str, Any],
    *,
    include_pruned: bool = False,
    key: SummaryKey | None = None,
) -> list[Any]:
    """The papers with an abstract whose stored summary is missing or not current; with
    ``include_pruned``, also those whose current summary was pruned (some answers failed
    validation), which a refresh may get right (without one, the cache replays the same
    failure)."""
    lacking = []
    for paper in papers:
        if not paper.abstract.strip():
            continue
        summary = current_summary(paper, stored.get(paper.id), key)
        if summary is None or (include_pruned and summary.validation != "passed"):
            lacking.append(paper)
    return lacking


def current_summary(
    paper: Any, stored: Mapping[str, Any] | None, key: SummaryKey | None = None
) -> PaperSummary | None:
    """The stored summary if it was made from the paper's current title and abstract
    (and, as far as ``key`` says, with the same profile, model and prompt)."""
    if not stored:
        return None
    try:
        summary = PaperSummary.model_validate(stored)
    except ValidationError:
        return None  # written by an older, incompatible version: not current
    if summary.paper_id != paper.id or summary.abstract_hash != paper.text_hash():
        return None
    key = key or SummaryKey()
    for part in ("profile", "model", "prompt"):
        wanted = getattr(key, part)
        if wanted is not None and getattr(summary, part) != wanted:
            return None
    return summary
