"""--verify: a judge asked whether the cited abstracts support what was written.

The judge is any ``SupportJudge`` (``reviewer.tasks.judge``): ``LLMJudge`` asks the model
``REVIEWER_JUDGE_MODEL`` names through the same client as every task (cached, logged as
task ``judge``, under the run's --max-cost), or an NLI model behind the same protocol.
The literal rules (``reviewer.claims``, ``reviewer.grounding``) run first; the judge
reads meaning they cannot (a paraphrase that says something else, a finding the paper
does not report).

- A sentence (``reviewer check``, related-work) is judged against each cited paper on its
  own, the premise being that paper's title and abstract. Supported by at least one: kept;
  each citation whose paper does not support it while another's does is reported
  (``judge-citation``: "[key] does not support it", ALCE's irrelevant citation). Supported
  by none alone: a sentence citing two or more papers is asked once more with their
  abstracts together (a sentence comparing two papers needs both); still not supported,
  or citing one paper that does not support it: ``judge-unsupported``.
- A claim about one paper (a summary's TL;DR or finding, a comparison table's cell) is
  judged against that paper's title and abstract.

A judge that fails (the server down: ``LLMError``; --max-cost reached: ``BudgetExceeded``)
stops the verification, not the command: what was judged stays judged (and cached, so a
rerun pays only for the rest), the rest is "not judged", and the error is kept on the
``Verification`` to be raised once the result has been shown (exit 7 or 8).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, PrivateAttr

from reviewer.claims import Problem
from reviewer.errors import BudgetExceeded, LLMError, ReviewerError
from reviewer.tasks.judge import SupportJudge

JUDGE_CITATION = "judge-citation"
JUDGE_UNSUPPORTED = "judge-unsupported"

SentenceVerdictName = Literal["supported", "citation", "unsupported", "not judged"]
ClaimVerdictName = Literal["supported", "unsupported", "not judged"]

T = TypeVar("T")
R = TypeVar("R")


class Verification(BaseModel):
    """What --verify did in one run: how many sentences (or cells, or summary claims) the
    judge read, how many it found unsupported, and what its calls cost."""

    judge: str = Field(description="The judge: llm:<model> for a model, else its name.")
    checked: int = Field(
        default=0, description="Sentences, cells or claims the judge gave a verdict on."
    )
    unsupported: int = Field(
        default=0, description="Of those, the ones no cited abstract supports."
    )
    citation_problems: int = Field(
        default=0,
        description="Supported sentences with a citation whose abstract does not support them.",
    )
    not_judged: int = Field(
        default=0, description="Left without a verdict because the judge stopped (see 'stopped')."
    )
    judge_calls: dict[str, Any] | None = Field(
        default=None, description="The judge's model calls, tokens and cost (a model judge only)."
    )
    stopped: str | None = Field(default=None, description="Why the judge stopped early, if it did.")

    _error: ReviewerError | None = PrivateAttr(default=None)

    @property
    def stopped_error(self) -> ReviewerError | None:
        return self._error

    def raise_if_stopped(self) -> None:
        if self._error is not None:
            raise self._error

    def footer(self, noun: str, plural: str | None = None) -> str:
        """'verified 4 sentences: 1 unsupported (judge MODEL: 5 calls, $0.0012)'."""
        named = noun if self.checked == 1 else plural or f"{noun}s"
        line = f"verified {self.checked} {named}: "
        line += f"{self.unsupported} unsupported"
        if self.citation_problems:
            line += f", {self.citation_problems} with a citation that does not support them"
        if self.not_judged:
            line += f", {self.not_judged} not judged (the judge stopped)"
        name = self.judge.removeprefix("llm:")
        calls = self.judge_calls
        if calls is None:
            return f"{line} (judge {name})"
        cost = f"${calls['cost_usd']:.4f}" if calls["priced"] else "cost unknown"
        hits = f", {calls['cache_hits']} from the cache" if calls["cache_hits"] else ""
        return f"{line} (judge {name}: {calls['model_calls']} calls{hits}, {cost})"


@dataclass
class SentenceVerdict:
    """The judge's verdict on one sentence; ``problems`` carry kinds ``judge-citation``
    or ``judge-unsupported`` (``reviewer.claims.Problem``)."""

    verdict: SentenceVerdictName
    problems: list[Problem] = field(default_factory=list)
    not_supporting: list[str] = field(default_factory=list)  # citations, as given

    @property
    def unsupported(self) -> bool:
        return self.verdict == "unsupported"


class Verifier:
    """Asks one judge, counts its verdicts in ``report``, and stops at its first failure."""

    def __init__(self, judge: SupportJudge, concurrency: int = 1) -> None:
        self.judge = judge
        self.concurrency = max(1, concurrency)
        self.report = Verification(judge=judge.name)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.judge.name.removeprefix("llm:")

    def _ask(self, premises: Sequence[str], claim: str) -> bool | None:
        """The judge's answer; None once it has failed (the failure is kept)."""
        if self.report.stopped is not None:
            return None
        try:
            return bool(self.judge.supports(list(premises), claim))
        except (BudgetExceeded, LLMError) as exc:
            with self._lock:
                if self.report.stopped is None:
                    self.report.stopped = exc.message
                    self.report._error = exc
            return None

    def _count(self, verdict: str) -> None:
        with self._lock:
            if verdict == "not judged":
                self.report.not_judged += 1
                return
            self.report.checked += 1
            if verdict == "unsupported":
                self.report.unsupported += 1
            elif verdict == "citation":
                self.report.citation_problems += 1

    def sentence(self, text: str, cited: Sequence[tuple[str, str]]) -> SentenceVerdict:
        """``cited``: (the citation as written, that paper's title and abstract), one per
        paper. A sentence citing no paper has nothing to be judged against: not judged,
        and not counted (the rules already report a finding without a citation)."""
        if not cited:
            return SentenceVerdict("not judged")
        alone: list[bool] = []
        for _, premise in cited:
            answer = self._ask([premise], text)
            if answer is None:
                self._count("not judged")
                return SentenceVerdict("not judged")
            alone.append(answer)
        if any(alone):
            bad = [ref for (ref, _), ok in zip(cited, alone, strict=True) if not ok]
            verdict = SentenceVerdict(
                "citation" if bad else "supported",
                [
                    Problem(JUDGE_CITATION, f"[{ref}] does not support it (judge {self.name})")
                    for ref in bad
                ],
                bad,
            )
        elif len(cited) > 1:
            together = self._ask([premise for _, premise in cited], text)
            if together is None:
                self._count("not judged")
                return SentenceVerdict("not judged")
            verdict = (
                SentenceVerdict("supported")
                if together
                else SentenceVerdict(
                    "unsupported",
                    [
                        Problem(
                            JUDGE_UNSUPPORTED,
                            f"none of its cited abstracts supports it, alone or together "
                            f"(judge {self.name})",
                        )
                    ],
                    [ref for ref, _ in cited],
                )
            )
        else:
            verdict = SentenceVerdict(
                "unsupported",
                [
                    Problem(
                        JUDGE_UNSUPPORTED,
                        f"[{cited[0][0]}] does not support it (judge {self.name})",
                    )
                ],
                [cited[0][0]],
            )
        self._count(verdict.verdict)
        return verdict

    def claim(self, text: str, premise: str) -> ClaimVerdictName:
        """A claim about one paper (``premise``: its title and abstract)."""
        answer = self._ask([premise], text)
        verdict: ClaimVerdictName = (
            "not judged" if answer is None else "supported" if answer else "unsupported"
        )
        self._count(verdict)
        return verdict

    def each(self, items: Sequence[T], judge_one: Callable[[T], R]) -> list[R]:
        """``judge_one`` over ``items`` in order, ``concurrency`` at a time."""
        if self.concurrency == 1 or len(items) < 2:
            return [judge_one(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(judge_one, items))


def paper_premise(paper: Any) -> str:
    """What a claim about ``paper`` is judged against: its title and abstract."""
    return f"{paper.title}\n{paper.abstract}"


def cell_claim(column: str, value: str) -> str:
    """A table cell or summary field as the judge reads it: 'field: value'."""
    return f"{column.replace('_', ' ')}: {value}"
