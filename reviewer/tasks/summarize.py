"""summarize: paper -> prompt -> validated, grounded PaperSummary (stored for reuse).

What fails validation after the re-asks is dropped from the summary and listed
in its ``dropped`` field; a paper whose every answer was unreadable gets no
summary and is reported as failed. A request replayed from the cache is treated
exactly as when it was asked: a cached failure is pruned again (``validation:
"pruned"``) and counts its rejected answers again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from reviewer.errors import BudgetExceeded
from reviewer.llm.client import LLMClient, best_answer
from reviewer.profiles import Profile, load_profile
from reviewer.prompts import RenderedPrompt, load_prompt
from reviewer.render.safe import http_url
from reviewer.tasks.summary_model import (
    Dropped,
    PaperSummary,
    build_summary,
    draft_model,
    grounding_problems,
)
from reviewer.tasks.verify import Verifier, paper_premise

PROMPT_ID = "summarize_paper"


@dataclass
class SummarizeReport:
    summaries: list[PaperSummary] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (paper id, why)
    rejected_answers: int = 0  # including those of failures replayed from the cache
    answers: int = 0
    cache_hits: int = 0
    cached_failures: int = 0  # cache hits whose every answer had failed validation
    stopped: BudgetExceeded | None = None


def render_summary_prompt(paper: Any, profile: Profile) -> RenderedPrompt:
    """The summary prompt for ``paper``, naming ``profile``'s fields and subject."""
    names = [f.name for f in profile.of_kind("name", "names", "metrics")]
    return load_prompt(PROMPT_ID).render(
        title=paper.title,
        abstract=paper.abstract,
        truncated=bool(paper.abstract_truncated),
        # Metadata from a feed is untrusted too: only http(s) links reach the model.
        code_urls=[u for u in map(http_url, paper.code_urls) if u],
        subject=profile.description,
        fields=[{"name": f.name, "description": f.description} for f in profile.fields],
        name_fields=[*(n.replace("_", " ") for n in names), "method and model names"],
        quote_fields=[f.name for f in profile.of_kind("quotes")],
        metric_fields=[f.name for f in profile.of_kind("metrics")],
    )


def summarize_one(
    client: LLMClient, paper: Any, profile: Profile | None = None
) -> tuple[PaperSummary | None, str | None, Any]:
    profile = profile or load_profile(None)
    schema = draft_model(profile)
    prompt = load_prompt(PROMPT_ID)
    rendered = render_summary_prompt(paper, profile)
    outcome = client.structured(
        rendered,
        schema,
        context={
            "abstract": paper.abstract,
            "code_urls": list(paper.code_urls),
            "title": paper.title,
        },
        task="summarize",
        subject=paper.id,
    )
    draft = outcome.value
    passed = draft is not None
    if draft is None:
        # Every answer failed validation: of those that at least fit the schema, keep
        # the one with the fewest grounding problems (the latest on a tie), then drop
        # what is unsupported (build_summary re-checks every field).
        draft = best_answer(
            outcome.contents,
            schema,
            lambda d: len(
                grounding_problems(d, paper.abstract, list(paper.code_urls), paper.title)
            ),
        )
    if draft is None:
        why = "; ".join(outcome.errors[:3]) or "no readable answer"
        return None, f"no answer matched the summary schema after the re-asks ({why})", outcome
    summary = build_summary(
        draft,
        paper=paper,
        passed=passed,
        model=client.model,
        prompt=f"{prompt.id}@{prompt.version}",
    )
    client.db.put_summary(summary.model_dump(mode="json"))
    return summary, None, outcome


def summarize_papers(
    client: LLMClient,
    papers: Sequence[Any],
    concurrency: int,
    on_done: Callable[[Any, PaperSummary | None, str | None], None] | None = None,
    profile: Profile | None = None,
) -> SummarizeReport:
    """Summarize papers with at most ``concurrency`` requests in flight. A budget stop
    lets the requests already running finish, then stops submitting."""
    report = SummarizeReport()
    by_id: dict[str, PaperSummary] = {}
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        pending: dict[Any, Any] = {}
        queue = list(papers)
        while queue or pending:
            while queue and len(pending) < max(1, concurrency) and report.stopped is None:
                paper = queue.pop(0)
                pending[pool.submit(summarize_one, client, paper, profile)] = paper
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                paper = pending.pop(future)
                exc = future.exception()
                if isinstance(exc, BudgetExceeded):
                    report.stopped = exc
                    continue
                if exc is not None:
                    for other in pending:
                        other.cancel()
                    raise exc
                summary, why, outcome = future.result()
                report.answers += outcome.answers
                report.rejected_answers += outcome.rejected
                report.cache_hits += int(outcome.cache_hit)
                report.cached_failures += int(outcome.cache_hit and outcome.failed)
                if summary is not None:
                    by_id[paper.id] = summary
                else:
                    report.failed.append((paper.id, why or "failed"))
                if on_done:
                    on_done(paper, summary, why)
            if report.stopped is not None:
                queue.clear()
    report.summaries = [by_id[p.id] for p in papers if p.id in by_id]
    return report


def verify_summary(
    verifier: Verifier, summary: PaperSummary, paper: Any, profile: Profile
) -> PaperSummary:
    """The judge reads the model's TL;DR and each claim of the profile's quotes fields
    (general: findings and limitations) against the paper's title and abstract
    (``reviewer.tasks.verify``). What it does not support is pruned as an ungrounded
    answer is: the TL;DR gives way to the abstract's first sentence, a claim is removed
    (a field left empty is a failed field), each listed in ``dropped``."""
    from reviewer.grounding import first_sentence

    data = summary.model_dump(mode="json")
    asked: list[tuple[str, str, str]] = []  # (field, path, claim)
    if summary.tldr_source == "model":
        asked.append(("tldr", "tldr", summary.tldr))
    for spec in profile.of_kind("quotes"):
        for i, item in enumerate(data.get(spec.name) or []):
            asked.append((spec.name, f"{spec.name}[{i}]", str(item[spec.claim_key])))
    premise = paper_premise(paper)
    verdicts = [verifier.claim(claim, premise) for _, _, claim in asked]
    bad = {
        path: claim
        for (_, path, claim), v in zip(asked, verdicts, strict=True)
        if v == "unsupported"
    }
    if not bad:
        return summary
    reason = f"the judge ({verifier.name}) finds the abstract does not support it"
    dropped = [
        *data["dropped"],
        *(Dropped(field=p, value=c, reason=reason).model_dump() for p, c in bad.items()),
    ]
    failed = list(summary.failed_fields)
    if "tldr" in bad:
        data |= {"tldr": first_sentence(paper.abstract), "tldr_source": "abstract"}
    for spec in profile.of_kind("quotes"):
        items = data.get(spec.name) or []
        kept = [x for i, x in enumerate(items) if f"{spec.name}[{i}]" not in bad]
        if items and not kept and spec.name not in failed:
            failed.append(spec.name)
        data[spec.name] = kept
    data |= {"dropped": dropped, "failed_fields": failed, "validation": "pruned"}
    return type(summary).model_validate(data)
