"""A query widened by the model, for search and related-work: up to three other phrasings
of it (prompt ``expand_query``), and for search also the abstract a paper on it would
have (prompt ``hypothetical_abstract``; HyDE, Gao et al. 2022), whose vector joins the
dense ranking. A search in the user's own words then also finds papers written in the
field's terms.

Both steps are optional, so together they get at most ``budget`` seconds
(REVIEWER_EXPAND_BUDGET): the phrasings are asked first, the hypothetical abstract gets
what is left, and a step that runs out of time is skipped with a note. Answers are
checked (enough words, not looping, not the query again); what fails is left out. The
model client caches each request, so the same query costs nothing the second time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from reviewer.errors import ReviewerError
from reviewer.grounding import content_words, is_repetitive, normalize_ws
from reviewer.llm.client import LLMClient, Outcome, TimeBudgetExceeded, best_answer
from reviewer.prompts import load_prompt
from reviewer.tasks.draft_model import QueryVariants, query_problems

# Characters: the prompt asks for 80 to 150 words (about 1,000 characters).
HYPOTHETICAL = 2000
# Content words (four letters or more, no stopwords) a usable hypothetical abstract holds
# at least; 80 words of an abstract hold about 40.
HYPOTHETICAL_MIN_WORDS = 20


def hypothetical_problems(text: str, query: str) -> list[str]:
    """Why a hypothetical abstract cannot be searched with (empty when it can)."""
    words = content_words(text)
    if len(words) < HYPOTHETICAL_MIN_WORDS:
        return [f"too short: {len(words)} content words; write 80 to 150 words"]
    if is_repetitive(text):
        return ["repeats the same few words"]
    if normalize_ws(text).lower() == normalize_ws(query).lower():
        return ["repeats the search instead of writing an abstract"]
    return []


class HypotheticalAbstract(BaseModel):
    """The abstract a paper on the search's topic would have."""

    model_config = ConfigDict(extra="ignore")

    abstract: Annotated[str, Field(max_length=HYPOTHETICAL)] = Field(
        description="80 to 150 words, as the paper's authors would write its abstract."
    )

    @model_validator(mode="after")
    def _usable(self, info: ValidationInfo) -> HypotheticalAbstract:
        query = (info.context or {}).get("query")
        if query is None:
            return self
        problems = hypothetical_problems(self.abstract, query)
        if problems:
            raise ValueError("This abstract cannot be used: " + "; ".join(problems))
        return self


@dataclass
class Expansion:
    """What the model added to a query, and what happened on the way."""

    queries: list[str] = field(default_factory=list)  # other phrasings, checked
    hypothetical: str | None = None  # the hypothetical abstract, checked
    notes: list[str] = field(default_factory=list)  # one line per step skipped or failed
    outcomes: list[tuple[str, Outcome[Any]]] = field(default_factory=list)
    noun: str = "query"  # what the notes call the query


def _ask_phrasings(
    client: LLMClient,
    query: str,
    task: str,
    budget: float | None,
    time_left: float | None,
    hypothetical: bool,
    result: Expansion,
) -> bool:
    """Ask for the other phrasings into ``result``, within ``time_left`` seconds of the
    expansion's ``budget``; False when the time ran out (the expansion ends there)."""
    only = f"searched the {result.noun} only"
    rendered = load_prompt("expand_query").render(topic=query)
    try:
        variants = client.structured(
            rendered,
            QueryVariants,
            context={"topic": query},
            task=task,
            subject="queries",
            time_budget=time_left,
        )
    except TimeBudgetExceeded:
        result.notes.append(
            f"query variants skipped: the model took longer than {budget:g} s; {only}"
        )
        return False
    result.outcomes.append(("queries", variants))
    answer = variants.value or best_answer(
        variants.contents, QueryVariants, lambda a: len(query_problems(a.queries, query))
    )
    if answer is None:
        left_out = "left out" if hypothetical else only
        result.notes.append(f"the model's query variants were unreadable; {left_out}")
    else:
        bad = {i for i, _ in query_problems(answer.queries, query)}
        result.queries = [normalize_ws(q) for i, q in enumerate(answer.queries) if i not in bad]
    return True


def expand(
    client: LLMClient,
    query: str,
    *,
    task: str,
    budget: float | None = None,
    hypothetical: bool = True,
    phrasings: bool = True,
    noun: str = "query",
    errors_as_notes: bool = False,
) -> Expansion:
    """Other phrasings of ``query`` (unless not ``phrasings``) and (with ``hypothetical``)
    a hypothetical abstract, within ``budget`` seconds for both. ``task`` names the command
    in the call log; ``noun`` is what the notes call the query ("topic" for related-work).
    ``errors_as_notes``: a failed request (transport, configuration, spending limit)
    becomes a note and ends the expansion, instead of raising."""
    result = Expansion(noun=noun)
    deadline = None if budget is None else time.monotonic() + budget
    only = f"searched the {noun} only"

    def left() -> float | None:
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    try:
        if phrasings and not _ask_phrasings(
            client, query, task, budget, left(), hypothetical, result
        ):
            return result
        if not hypothetical:
            return result
        remaining = left()
        if remaining is not None and remaining <= 0:
            result.notes.append(
                f"hypothetical abstract skipped: the {budget:g} s for query expansion are spent"
            )
            return result
        rendered = load_prompt("hypothetical_abstract").render(query=query)
        try:
            written = client.structured(
                rendered,
                HypotheticalAbstract,
                context={"query": query},
                task=task,
                subject="hypothetical abstract",
                time_budget=remaining,
            )
        except TimeBudgetExceeded:
            result.notes.append(
                f"hypothetical abstract skipped: the model took longer than the {budget:g} s "
                "for query expansion"
            )
            return result
        result.outcomes.append(("hypothetical", written))
        found = written.value or best_answer(
            written.contents,
            HypotheticalAbstract,
            lambda a: len(hypothetical_problems(a.abstract, query)),
        )
        if found is None or hypothetical_problems(found.abstract, query):
            result.notes.append("the model's hypothetical abstract was unusable; left out")
        else:
            result.hypothetical = normalize_ws(found.abstract)
    except ReviewerError as exc:
        if not errors_as_notes:
            raise
        why = " ".join(exc.message.split())
        step = "hypothetical abstract" if result.outcomes else "query expansion"
        result.notes.append(f"{step} failed: {why}; " + ("left out" if result.queries else only))
    return result
