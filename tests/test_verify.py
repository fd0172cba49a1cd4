"""--verify: a judge reads what was written against the cited abstracts (issue 13, item 4).

The judge here is ``DictJudge``, a ``SupportJudge`` for tests: it answers yes or no from a
dict written by hand (which paper's title starts each premise, and the claim), so every
keep / drop / mark decision below follows from that dict and the rules in the docstring of
``reviewer.tasks.verify``, not from any model. The writing model of related-work, compare
and summarize is ``HandWrittenModel``: it answers each prompt with JSON written below,
validated as the real client validates; the answers are chosen to pass the grounding rules
so that the judge has something to read. A real model as judge is in
test_verify_cassettes.py.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import ingested_home, run_cli
from pydantic import ValidationError

from reviewer.errors import BudgetExceeded, ConfigError, LLMError
from reviewer.llm.client import Outcome
from reviewer.llm.cost import Budget
from reviewer.progress import CollectingReporter

GLAND_TITLE = "Gland Segmentation with Boundary Attention"
POLYP_TITLE = "Polyp Detection from Colonoscopy Video"
GLAND_ABSTRACT = (
    "We propose a boundary attention network for gland segmentation in histology images. "
    "On the GlaS benchmark it reaches a Dice score of 0.91, improving over the previous "
    "best by 2.3 points."
)
POLYP_ABSTRACT = (
    "We present a real-time polyp detector for colonoscopy video. It runs at 45 frames "
    "per second and detects 96% of polyps on the Kvasir dataset."
)
PAPERS = [
    {
        "title": GLAND_TITLE,
        "arxiv_id": "2401.00001",
        "authors": ["Ada Lovelace"],
        "published": "2024-01-02",
        "abstract": GLAND_ABSTRACT,
    },
    {
        "title": POLYP_TITLE,
        "doi": "10.1234/polyp.2023",
        "authors": ["Alan Turing"],
        "published": "2023-05-01",
        "abstract": POLYP_ABSTRACT,
    },
]
GLAND = "arxiv:2401.00001"
POLYP = "doi:10.1234/polyp.2023"
GLAND_ONLY = (GLAND_TITLE,)
POLYP_ONLY = (POLYP_TITLE,)
BOTH = (GLAND_TITLE, POLYP_TITLE)


class DictJudge:
    """A SupportJudge for tests: supported when ``answers`` says so for (the titles that
    start the premise's passages, the claim); anything it does not list is unsupported.
    Every question is recorded in ``asked``."""

    name = "dict"

    def __init__(self, answers: dict[tuple[tuple[str, ...], str], bool]) -> None:
        self.answers = answers
        self.asked: list[tuple[tuple[str, ...], str]] = []

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        titles = tuple(p.split("\n", 1)[0] for p in passages)
        self.asked.append((titles, claim))
        return self.answers.get((titles, claim), False)


class FailingJudge(DictJudge):
    """Answers ``DictJudge``'s way ``works`` times, then fails as a model server that went
    away does (``LLMError``), or as --max-cost does (``BudgetExceeded``)."""

    def __init__(self, answers: dict[Any, bool], works: int, error: Exception) -> None:
        super().__init__(answers)
        self.works = works
        self.error = error

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        if len(self.asked) >= self.works:
            self.asked.append(((), "failed"))
            raise self.error
        return super().supports(passages, claim)


@pytest.fixture(scope="module")
def small_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory, "verify", PAPERS)


@pytest.fixture
def small_home(small_home_template: Path, _isolated_home: Path) -> Path:
    shutil.copytree(small_home_template, _isolated_home)
    return _isolated_home


def _reviewer() -> Any:
    from reviewer import Reviewer

    return Reviewer(reporter=CollectingReporter())


# -- check -------------------------------------------------------------------------------

S_SUPPORTED = "A boundary attention network segments glands in histology images."
S_CITATION = "A real-time polyp detector runs on colonoscopy video."
S_TOGETHER = "Gland segmentation and polyp detection both use medical images."
S_UNSUPPORTED = "The polyp detector segments glands in histology images."
S_UNCITED = "Histology images are hard to read."
SENTENCES = [
    {"text": S_SUPPORTED, "citations": [GLAND]},
    {"text": S_CITATION, "citations": [GLAND, POLYP]},
    {"text": S_TOGETHER, "citations": [GLAND, POLYP]},
    {"text": S_UNSUPPORTED, "citations": [POLYP]},
    {"text": S_UNCITED, "citations": []},
]
ANSWERS = {
    (GLAND_ONLY, S_SUPPORTED): True,
    (POLYP_ONLY, S_CITATION): True,  # and GLAND_ONLY is not listed: it does not support it
    (BOTH, S_TOGETHER): True,  # neither alone, both together
}


def test_check_keeps_marks_and_reports_each_verdict(small_home: Path) -> None:
    rv = _reviewer()
    judge = DictJudge(ANSWERS)
    result = rv.check_sentences(SENTENCES, judge=judge)
    by_text = {s.text: s for s in result.sentences}
    assert [by_text[t["text"]].verdict for t in SENTENCES] == [
        "supported",
        "citation",
        "supported",
        "unsupported",
        None,  # no citation: nothing to judge it against
    ]
    citation = by_text[S_CITATION]
    assert not citation.ok and "judge-citation" in citation.kinds
    assert f"[{GLAND}] does not support it (judge dict)" in citation.problems
    unsupported = by_text[S_UNSUPPORTED]
    assert not unsupported.ok and "judge-unsupported" in unsupported.kinds
    assert len(unsupported.kinds) == len(unsupported.problems)
    for s in (by_text[S_SUPPORTED], by_text[S_TOGETHER]):
        assert not any(k.startswith("judge-") for k in s.kinds)
    # One question per sentence and cited paper, plus one with both abstracts for the
    # sentence neither supports alone; the uncited sentence is not asked about.
    assert judge.asked == [
        (GLAND_ONLY, S_SUPPORTED),
        (GLAND_ONLY, S_CITATION),
        (POLYP_ONLY, S_CITATION),
        (GLAND_ONLY, S_TOGETHER),
        (POLYP_ONLY, S_TOGETHER),
        (BOTH, S_TOGETHER),
        (POLYP_ONLY, S_UNSUPPORTED),
    ]
    v = result.verification
    assert v is not None and v.judge == "dict"
    assert (v.checked, v.unsupported, v.citation_problems, v.not_judged) == (4, 1, 1, 0)
    assert result.failed == sum(not s.ok for s in result.sentences)
    assert (
        "verified 4 sentences: 1 unsupported, 1 with a citation that does not support them "
        "(judge dict)" in rv.reporter.notes
    )
    assert result.model_dump(mode="json")["verification"]["unsupported"] == 1


def test_check_without_verify_asks_no_judge(small_home: Path) -> None:
    rv = _reviewer()
    judge = DictJudge(ANSWERS)
    off = rv.check_sentences(SENTENCES, judge=judge, verify=False)
    assert judge.asked == [] and off.verification is None
    assert all(s.verdict is None for s in off.sentences)
    # No judge given and none configured: verification is off by default.
    assert rv.check_sentences(SENTENCES).verification is None


def test_verify_without_a_judge_model_is_a_config_error(small_home: Path, tmp_path: Path) -> None:
    rv = _reviewer()
    with pytest.raises(ConfigError) as caught:
        rv.check_sentences(SENTENCES, verify=True)
    assert "REVIEWER_JUDGE_MODEL" in caught.value.message and caught.value.hint
    draft = tmp_path / "draft.md"
    draft.write_text(f"{S_SUPPORTED} [{GLAND}]\n", encoding="utf-8")
    result = run_cli("check", str(draft), "--verify")
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "REVIEWER_JUDGE_MODEL" in lines[0]
    assert len(lines) == 2 and lines[1].startswith("hint: ")
    for command in (
        ["related-work", "glands", "--extractive", "--verify"],
        ["compare", "--ids", GLAND, "--extractive", "--verify"],
    ):
        result = run_cli(*command)
        assert result.returncode == 3 and "REVIEWER_JUDGE_MODEL" in result.stderr, command


def test_a_judge_that_fails_keeps_what_it_judged(small_home: Path) -> None:
    rv = _reviewer()
    judge = FailingJudge(ANSWERS, works=3, error=LLMError("judge: connection refused"))
    result = rv.check_sentences(SENTENCES, judge=judge, concurrency=1)
    verdicts = [s.verdict for s in result.sentences]
    # Sentence 1 and 2 were judged (three questions); the third question failed.
    assert verdicts == ["supported", "citation", "not judged", "not judged", None]
    v = result.verification
    assert v is not None and v.stopped == "judge: connection refused"
    assert (v.checked, v.not_judged) == (2, 2)
    with pytest.raises(LLMError):
        v.raise_if_stopped()
    assert any(n.startswith("the judge stopped: ") for n in rv.reporter.notes)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_check_cli_with_its_judge_down_prints_the_report_then_exits_7(
    small_home: Path, tmp_path: Path
) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(f"{S_SUPPORTED} [{GLAND}]\n\n{S_UNSUPPORTED} [{POLYP}]\n", encoding="utf-8")
    env = {
        "REVIEWER_JUDGE_MODEL": "openai/judge",
        "REVIEWER_JUDGE_API_BASE": f"http://127.0.0.1:{_closed_port()}/v1",
        "REVIEWER_JUDGE_API_KEY": "sk-judge-secret-123456",
        "REVIEWER_LLM_RETRIES": "0",
    }
    result = run_cli("check", str(draft), "--json", env=env)  # on by default: judge set
    assert result.returncode == 7, result.stderr
    report = json.loads(result.stdout)
    assert [s["verdict"] for s in report["sentences"]] == ["not judged", "not judged"]
    assert report["verification"]["stopped"] and report["verification"]["not_judged"] == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "openai/judge" in errors[0]
    assert "Traceback" not in result.stderr and "sk-judge-secret" not in result.stderr
    logs = run_cli("logs", "--json", env=env)
    rows = json.loads(logs.stdout)
    # Each question in flight when the server was found down (REVIEWER_CONCURRENCY at a
    # time) is one logged attempt; none after.
    assert 1 <= len(rows) <= 2
    assert {(r["task"], r["status"], r["prompt_id"]) for r in rows} == {
        ("judge", "error", "judge_support")
    }
    assert "sk-judge-secret" not in logs.stdout


def test_max_cost_stops_the_judge_exit_8(small_home: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(f"{S_SUPPORTED} [{GLAND}]\n", encoding="utf-8")
    env = {
        "REVIEWER_JUDGE_MODEL": "openai/judge",
        "REVIEWER_JUDGE_API_BASE": f"http://127.0.0.1:{_closed_port()}/v1",
        # The price overrides are the writing model's: they price the judge when it is
        # the same model.
        "REVIEWER_MODEL": "openai/judge",
        "REVIEWER_INPUT_COST_PER_MTOK": "1000",
        "REVIEWER_OUTPUT_COST_PER_MTOK": "1000",
    }
    result = run_cli("check", str(draft), "--verify", "--max-cost", "0.0001", "--json", env=env)
    assert result.returncode == 8, result.stderr
    assert json.loads(result.stdout)["sentences"][0]["verdict"] == "not judged"
    assert "--max-cost" in result.stderr
    logs = run_cli("logs", "--json", env=env)
    assert json.loads(logs.stdout) == []  # refused before any request


# -- the writing commands, with answers written by hand ------------------------------------


class HandWrittenModel:
    """Stands in for ``LLMClient``: each prompt (by id) is answered with JSON that
    ``ANSWERS`` builds from the request's validation context, and validated against the
    response model and that context as the real client does. Not a model."""

    answers: ClassVar[dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {}

    def __init__(self, settings: Any, db: Any, budget: Budget | None = None, **_: Any) -> None:
        self.settings = settings
        self.model = settings.model
        self.db = db
        self.budget = budget or Budget(None)
        self.run_id = "handwritten"

    def structured(
        self, prompt: Any, response_model: Any, *, context: dict[str, Any], **_: Any
    ) -> Outcome[Any]:
        content = json.dumps(self.answers[prompt.id](context))
        try:
            value = response_model.model_validate_json(content, context=context)
        except ValidationError as exc:
            return Outcome(None, [content], [str(exc)], False, 1, 1)
        return Outcome(value, [content], [], False, 1, 0)


@pytest.fixture
def hand_written(monkeypatch: pytest.MonkeyPatch) -> type[HandWrittenModel]:
    monkeypatch.setenv("REVIEWER_MODEL", "openai/hand-written")
    monkeypatch.setenv("REVIEWER_API_BASE", "http://127.0.0.1:9/v1")  # never contacted
    monkeypatch.setattr("reviewer.llm.client.LLMClient", HandWrittenModel)
    monkeypatch.setattr(HandWrittenModel, "answers", {})
    return HandWrittenModel


def _key_of(sources: dict[str, str], title: str) -> str:
    return next(k for k, text in sources.items() if text.startswith(title))


W_KEPT = "A boundary attention network segments glands in histology images."
# Each citation carries words of its own (else the rules drop it: citation-adds-nothing).
W_MARKED = (
    "Boundary attention segments glands in histology images, and a real-time detector "
    "finds polyps in colonoscopy video."
)
W_DROPPED = "A real-time polyp detector runs on colonoscopy video."


def test_related_work_drops_unsupported_sentences_and_marks_citations(
    small_home: Path, hand_written: type[HandWrittenModel]
) -> None:
    def paragraph(context: dict[str, Any]) -> dict[str, Any]:
        gland = _key_of(context["sources"], GLAND_TITLE)
        polyp = _key_of(context["sources"], POLYP_TITLE)
        return {
            "sentences": [
                {"text": W_KEPT, "citations": [gland]},
                {"text": W_MARKED, "citations": [gland, polyp]},
                {"text": W_DROPPED, "citations": [polyp]},
            ]
        }

    hand_written.answers = {"write_theme_paragraph": paragraph}
    judge = DictJudge({(GLAND_ONLY, W_KEPT): True, (GLAND_ONLY, W_MARKED): True})
    rv = _reviewer()
    draft = rv.related_work("gland and polyp images", k=2, themes=1, expand=False, judge=judge)
    (section,) = draft.sections
    assert section.written_by == "model"
    assert [(s.text, s.verdict) for s in section.sentences] == [
        (W_KEPT, "supported"),
        (W_MARKED, "citation"),
    ]
    polyp_key = next(c.key for c in draft.considered if c.id == POLYP)
    assert section.sentences[1].problems == [
        f"judge-citation: [{polyp_key}] does not support it (judge dict)"
    ]
    (dropped,) = draft.dropped
    assert dropped.text == W_DROPPED and dropped.kinds == ["judge-unsupported"]
    assert draft.footer.sentences_dropped == 1 and draft.footer.sentences == 2
    assert any("judge-citation" in note for note in draft.notes)
    v = draft.verification
    assert v is not None and (v.checked, v.unsupported, v.citation_problems) == (3, 1, 1)
    assert "verified 3 sentences: 1 unsupported" in "\n".join(rv.reporter.notes)
    assert any(n.startswith("dropped from ") and W_DROPPED[:40] in n for n in rv.reporter.notes)
    # A theme whose every written sentence the judge rejects is quoted instead, and
    # quoted sentences (the abstracts' own words) are not asked about.
    strict = DictJudge({})
    draft = rv.related_work("gland and polyp images", k=2, themes=1, expand=False, judge=strict)
    (section,) = draft.sections
    assert section.written_by == "extractive" and "judge" in (section.note or "")
    assert all(s.quote and s.verdict is None for s in section.sentences)
    assert len(draft.dropped) == 3 and len(strict.asked) == 1 + 2 + 1 + 1


def test_compare_empties_cells_the_judge_does_not_support(
    small_home: Path, hand_written: type[HandWrittenModel]
) -> None:
    hand_written.answers = {
        "compare_paper": lambda context: {
            "task": {
                "value": "gland segmentation",
                "evidence": "We propose a boundary attention network for gland segmentation "
                "in histology images.",
            },
            "datasets": {
                "value": "GlaS",
                "evidence": "On the GlaS benchmark it reaches a Dice score of 0.91",
            },
        }
    }
    judge = DictJudge({(GLAND_ONLY, "task: gland segmentation"): True})
    rv = _reviewer()
    table = rv.compare(ids=[GLAND], columns="task,datasets,code", judge=judge)
    (row,) = table.rows
    assert row.cells["task"].value == "gland segmentation"
    assert row.cells["task"].verdict == "supported"
    datasets = row.cells["datasets"]
    assert (datasets.value, datasets.status, datasets.verdict) == ("", "unverified", "unsupported")
    assert row.notes == [f"datasets: emptied: {datasets.reason}"]
    assert row.cells["code"].verdict is None  # "not reported": nothing to judge
    assert judge.asked == [
        (GLAND_ONLY, "task: gland segmentation"),
        (GLAND_ONLY, "datasets: GlaS"),
    ]
    assert table.footer["cells_unverified"] == 1
    v = table.verification
    assert v is not None and (v.checked, v.unsupported) == (2, 1)
    assert "verified 2 cells: 1 unsupported (judge dict)" in rv.reporter.notes


SUM_TLDR = "A boundary attention network segments glands in histology images."
SUM_F1 = "It reaches a Dice score of 0.91 on GlaS."
SUM_F2 = "It improves over the previous best by 2.3 points."


def _summary_answer(context: dict[str, Any]) -> dict[str, Any]:
    return {
        "tldr": SUM_TLDR,
        "problem": "not reported",
        "contribution": "not reported",
        "method": "not reported",
        "task": "not reported",
        "findings": [
            {"finding": SUM_F1, "quote": "On the GlaS benchmark it reaches a Dice score of 0.91"},
            {"finding": SUM_F2, "quote": "improving over the previous best by 2.3 points"},
        ],
    }


def test_summarize_prunes_what_the_judge_does_not_support(
    small_home: Path, hand_written: type[HandWrittenModel]
) -> None:
    hand_written.answers = {"summarize_paper": _summary_answer}
    judge = DictJudge({(GLAND_ONLY, SUM_TLDR): True, (GLAND_ONLY, SUM_F1): True})
    rv = _reviewer()
    result = rv.summarize([GLAND], judge=judge)
    (summary,) = result.summaries
    assert summary.tldr == SUM_TLDR and summary.tldr_source == "model"
    data = summary.model_dump(mode="json")
    assert [f["finding"] for f in data["findings"]] == [SUM_F1]
    assert [(d.field, d.value) for d in summary.dropped] == [("findings[1]", SUM_F2)]
    assert "the judge (dict)" in summary.dropped[0].reason
    assert summary.validation == "pruned"
    assert rv.summaries([GLAND])[GLAND]["findings"] == data["findings"]  # stored pruned
    v = result.verification
    assert v is not None and (v.checked, v.unsupported) == (3, 1)
    assert "verified 3 TL;DRs and findings: 1 unsupported (judge dict)" in rv.reporter.notes

    # A TL;DR the judge rejects gives way to the abstract's first sentence; a field left
    # without a claim is a failed field.
    result = rv.summarize([GLAND], judge=DictJudge({}))
    (summary,) = result.summaries
    assert summary.tldr_source == "abstract" and summary.tldr.startswith("We propose")
    assert summary.model_dump()["findings"] == [] and "findings" in summary.failed_fields
    assert {d.field for d in summary.dropped} == {"tldr", "findings[0]", "findings[1]"}


def test_budget_stop_of_the_judge_is_kept_on_the_result(
    small_home: Path, hand_written: type[HandWrittenModel]
) -> None:
    hand_written.answers = {"summarize_paper": _summary_answer}
    stop = BudgetExceeded("the next model call could cost more than --max-cost")
    judge = FailingJudge({(GLAND_ONLY, SUM_TLDR): True}, works=1, error=stop)
    result = _reviewer().summarize([GLAND], judge=judge, concurrency=1)
    (summary,) = result.summaries
    # The TL;DR was judged; the findings were not, and stay (unjudged is not unsupported).
    assert summary.tldr_source == "model" and len(summary.model_dump()["findings"]) == 2
    v = result.verification
    assert v is not None and (v.checked, v.not_judged) == (1, 2)
    with pytest.raises(BudgetExceeded):
        v.raise_if_stopped()
