"""Citation support judged sentence by sentence, in the manner of ALCE (Gao et al.,
"Enabling Large Language Models to Generate Text with Citations", 2023).

- citation recall: the share of sentences whose cited passages, joined, entail them
  (a sentence without citations counts as unsupported);
- citation precision: the share of citations that are not irrelevant; a citation is
  irrelevant when its passage alone does not entail the sentence and the other cited
  passages still do without it. Citations of a sentence its passages do not entail all
  count as imprecise.

The judge sits behind ``SupportJudge``, so an NLI model (ALCE used TRUE, a T5-11B NLI
model) or an LLM can serve. ``LLMJudge`` asks any model the project can reach through
the same client as every other task (cached, logged, budgeted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from reviewer.llm.client import LLMClient
from reviewer.prompts import load_prompt


class SupportJudge(Protocol):
    name: str

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        """True when the passages, read together (the premise), entail the claim."""
        ...


class Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    supported: bool = Field(description="True only if the premise entails the whole claim.")


class LLMJudge:
    """A model answering entailment questions through LLMClient (cached and logged)."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client
        self.name = f"llm:{client.model}"

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        # Passages come apart so that the prompt fences each abstract on its own.
        rendered = load_prompt("judge_support").render(passages=list(passages), claim=claim)
        outcome = self.client.structured(
            rendered, Verdict, context={}, task="judge", subject=claim[:200]
        )
        return bool(outcome.value is not None and outcome.value.supported)


@dataclass
class SupportScores:
    sentences: int = 0
    supported: int = 0  # recall numerator
    citations: int = 0
    precise: int = 0  # precision numerator

    @property
    def recall(self) -> float | None:
        return self.supported / self.sentences if self.sentences else None

    @property
    def precision(self) -> float | None:
        return self.precise / self.citations if self.citations else None

    def add(self, other: SupportScores) -> None:
        self.sentences += other.sentences
        self.supported += other.supported
        self.citations += other.citations
        self.precise += other.precise


def alce_scores(claims: Sequence[tuple[str, Sequence[str]]], judge: SupportJudge) -> SupportScores:
    """``claims``: (sentence, the passages it cites)."""
    scores = SupportScores()
    for claim, passages in claims:
        scores.sentences += 1
        scores.citations += len(passages)
        if not passages or not judge.supports(passages, claim):
            continue
        scores.supported += 1
        if len(passages) == 1:
            scores.precise += 1
            continue
        for i, passage in enumerate(passages):
            if judge.supports([passage], claim):
                scores.precise += 1
                continue
            rest = [p for j, p in enumerate(passages) if j != i]
            if not judge.supports(rest, claim):
                scores.precise += 1  # needed: the others do not carry the claim without it
    return scores
