"""Summaries that say something (issue 13, items 2 and 8): the answers observed to pass
before are replayed as the model's JSON answer through summarize's own path (the LLM
client with its re-asks, the best answer, the pruning) and must be refused with a named
problem; true answers about the same papers must still pass.

The answers are hand-written copies of what the models said (inputs to validation, not
cassettes); the abstracts are the demo corpus's (reviewer/demo). What is expected of
each answer was decided by reading the abstract, not by calling the checks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from jsonschema import Draft202012Validator

from reviewer.corpus.model import Paper
from reviewer.corpus.readers import read_file
from reviewer.errors import ConfigError
from reviewer.llm.client import LLMClient
from reviewer.llm.db import LLMDatabase
from reviewer.profiles import Profile, load_profile
from reviewer.settings import load_settings
from reviewer.tasks.summarize import summarize_one
from reviewer.tasks.summary_model import Metric, PaperSummary, draft_model, grounding_problems

GENERAL = load_profile("general")
P2SAM = "arxiv:2403.05433"  # "improves the performance by +8.0% ... mean Dice score"
VFM = "arxiv:2502.14584"  # a review: "Vision Foundation Models in Medical Image Analysis: ..."
FUSIONFM = "arxiv:2508.11721"  # states a limitation of its own: "... remains challenging."


@cache
def demo_papers() -> dict[str, Paper]:
    folder = resources.files("reviewer.demo")
    papers: dict[str, Paper] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".txt"):
            with resources.as_file(entry) as path:
                papers.update((p.id, p) for p in read_file(Path(path))[1])
    return papers


def paper(paper_id: str) -> Paper:
    return demo_papers()[paper_id]


def answer(**fields: Any) -> dict[str, Any]:
    """A general-profile answer: what is not given says 'not reported'."""
    data: dict[str, Any] = {
        "tldr": "not reported",
        "problem": "not reported",
        "contribution": "not reported",
        "method": "not reported",
        "task": "not reported",
        "datasets": [],
        "metrics": [],
        "findings": [],
        "limitations": [],
        "code_available": "not reported",
        "code_url": "not reported",
    }
    data.update(fields)
    return data


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """``replay(paper, answers)``: summarize ``paper`` with a model that gives
    ``answers`` in turn (the first, then one per re-ask); returns the summary, why it
    failed, the client's outcome and the messages each request carried."""
    from reviewer.llm.litellm_import import litellm

    monkeypatch.setenv("REVIEWER_MODEL", "openai/replayed-answers")
    monkeypatch.setenv("REVIEWER_API_BASE", "http://127.0.0.1:9/v1")
    original = litellm.completion
    queue: list[str] = []
    sent: list[list[dict[str, Any]]] = []

    def completion(**kwargs: Any) -> Any:
        sent.append(kwargs["messages"])
        # The client streams; litellm's mock streams the same answer in chunks.
        return original(
            model=kwargs["model"],
            messages=kwargs["messages"],
            mock_response=queue.pop(0),
            stream=kwargs.get("stream", False),
        )

    monkeypatch.setattr(litellm, "completion", completion)

    def run(
        target: Paper, answers: list[dict[str, Any]], profile: Profile = GENERAL
    ) -> tuple[PaperSummary | None, str | None, Any, list[list[dict[str, Any]]]]:
        monkeypatch.setenv("REVIEWER_LLM_REASKS", str(len(answers) - 1))
        queue[:] = [json.dumps(a) for a in answers]
        sent.clear()
        settings = load_settings()
        client = LLMClient(settings, LLMDatabase(settings.llm_db_path))
        summary, why, outcome = summarize_one(client, target, profile)
        assert not queue, "every answer was asked for"
        return summary, why, outcome, list(sent)

    yield run


def reasons(summary: PaperSummary) -> dict[str, str]:
    return {d.field: d.reason for d in summary.dropped}


# -- the observed answers, refused ------------------------------------------------------

VFM_TITLE = "Vision Foundation Models in Medical Image Analysis: Advances and Challenges"
TITLE_ANSWER = answer(  # SmolLM2-135M on arxiv:2502.14584, kept with tldr_source "model"
    tldr=f"The {VFM_TITLE}",
    problem=VFM_TITLE,
    method=VFM_TITLE,
    task=VFM_TITLE,
)


def test_the_title_restating_summary_is_refused_re_asked_and_pruned(
    replay: Callable[..., Any],
) -> None:
    assert paper(VFM).title == VFM_TITLE
    summary, why, outcome, sent = replay(paper(VFM), [TITLE_ANSWER] * 3)
    assert why is None and summary is not None
    # Refused three times: the first answer and both re-asks.
    assert outcome.rejected == 3 and len(sent) == 3
    # The re-ask tells the model what is wrong, field by field.
    reask = sent[1][-1]["content"]
    for field in ("tldr", "problem", "method", "task"):
        assert f"{field}: repeats the title" in reask
    # Pruned: the abstract's first sentence stands in for the TL;DR, the rest is empty.
    assert summary.validation == "pruned"
    assert summary.tldr_source == "abstract"
    assert summary.tldr.startswith("The rapid development of Vision Foundation Models")
    assert set(summary.failed_fields) >= {"problem", "method", "task"}
    for field in ("problem", "method", "task"):
        assert getattr(summary, field) == "not reported"
    assert {f: r.startswith("repeats the title") for f, r in reasons(summary).items()} == {
        "tldr": True,
        "problem": True,
        "method": True,
        "task": True,
    }


P2SAM_LIMITATION = {  # a strength ("can be extensively integrated") made a limitation
    "limitation": "The model requires extensive integration into different promptable "
    "segmentation models",
    "quote": "which can be extensively integrated into different promptable segmentation models",
}
GAIN_AS_SCORE = answer(  # Qwen 1.5B on arxiv:2403.05433
    tldr="P2SAM adapts promptable segmentation models to new patients from one-shot "
    "patient-specific data without fine-tuning.",
    metrics=[{"name": "Dice score", "value": "8.0%"}, {"name": "mIoU", "value": "6.4%"}],
    limitations=[P2SAM_LIMITATION],
)


def test_gains_filed_as_scores_and_a_strength_filed_as_a_limitation_are_refused(
    replay: Callable[..., Any],
) -> None:
    summary, _, outcome, sent = replay(paper(P2SAM), [GAIN_AS_SCORE] * 3)
    assert summary is not None and outcome.rejected == 3
    why = reasons(summary)
    assert set(why) == {"metrics[0]", "metrics[1]", "limitations[0]"}
    assert "8.0 only as a gain over a baseline" in why["metrics[0]"]
    assert "6.4 only as a gain over a baseline" in why["metrics[1]"]
    assert why["limitations[0]"].startswith("the quote does not state a limitation")
    assert summary.metrics == [] and summary.limitations == []
    assert set(summary.failed_fields) == {"metrics", "limitations"}
    # The TL;DR was a true sentence and stays the model's.
    assert summary.tldr_source == "model"
    assert "give its kind as 'gain'" in sent[1][-1]["content"]


def test_a_re_ask_that_files_the_gains_as_gains_passes_and_keeps_the_kind(
    replay: Callable[..., Any],
) -> None:
    fixed = {
        **GAIN_AS_SCORE,
        "metrics": [
            {"name": "mean Dice score", "value": "+8.0%", "kind": "gain"},
            {"name": "mIoU", "value": "6.4%", "kind": "gain"},
        ],
        "limitations": [],
    }
    summary, _, outcome, _ = replay(paper(P2SAM), [GAIN_AS_SCORE, fixed])
    assert summary is not None and outcome.rejected == 1
    assert summary.validation == "passed" and summary.dropped == []
    assert [(m.value, m.kind) for m in summary.metrics] == [("+8.0%", "gain"), ("6.4%", "gain")]
    stored = summary.model_dump(mode="json")
    assert [m["kind"] for m in stored["metrics"]] == ["gain", "gain"]


def test_a_true_summary_of_the_review_passes(replay: Callable[..., Any]) -> None:
    good = answer(
        tldr="This paper reviews how vision foundation models such as ViT and SAM are "
        "adapted to medical image segmentation and proposes future directions.",
        problem="Adapting large vision foundation models to medical image analysis faces "
        "domain differences, the need for efficient adaptation and small-scale datasets.",
        contribution="A review of adapter-based improvements, knowledge distillation and "
        "multi-scale contextual feature modeling, with future directions.",
        method="not reported",
        task="review of research on medical image segmentation",
        limitations=[],
    )
    summary, _, outcome, _ = replay(paper(VFM), [good])
    assert summary is not None and outcome.rejected == 0
    assert summary.validation == "passed" and summary.tldr_source == "model"


def test_a_limitation_the_authors_state_passes(replay: Callable[..., Any]) -> None:
    good = answer(
        tldr="FusionFM evaluates single and fused ophthalmic foundation models and finds "
        "that DINORET and RetiZero perform best.",
        metrics=[],
        limitations=[
            {
                "limitation": "Predicting hypertension in an external cohort is still hard.",
                "quote": "predicting systemic diseases, especially hypertension in external "
                "cohort remains challenging",
            }
        ],
    )
    summary, _, outcome, _ = replay(paper(FUSIONFM), [good])
    assert summary is not None and outcome.rejected == 0
    assert summary.validation == "passed" and len(summary.limitations) == 1


# -- each rule on its own ---------------------------------------------------------------

Draft = draft_model(GENERAL)


def problems_of(target: Paper, **fields: Any) -> dict[str, str]:
    draft = Draft.model_validate(answer(**fields))
    found = grounding_problems(draft, target.abstract, [], target.title)
    return {p.field: p.reason for p in found}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # The title with only its subtitle's last word dropped (6 of its 7 content words).
        (
            {"method": "Vision Foundation Models in Medical Image Analysis: Advances"},
            {"method": "repeats the title"},
        ),
        # Another field's words, in another case and with an article: the later is refused.
        (
            {
                "problem": "Adapting VFMs to medical image segmentation.",
                "method": "adapting the VFMs to Medical Image Segmentation",
            },
            {"method": "repeats the problem field"},
        ),
        # A noun phrase is not a sentence.
        (
            {"tldr": "Adaptation of vision foundation models to medical image segmentation."},
            {"tldr": "is not a sentence"},
        ),
        # A sentence made only of the title's words says nothing beyond it.
        (
            {"tldr": "This paper analyzes vision foundation models in medical images."},
            {"tldr": "says nothing beyond the title's words"},
        ),
        # Shares some of the title's words and adds its own: passes.
        ({"task": "medical image segmentation review"}, {}),
        ({"tldr": "This paper reviews the adaptation of VFMs to medical image segmentation."}, {}),
    ],
)
def test_free_text_rules(fields: dict[str, Any], expected: dict[str, str]) -> None:
    found = problems_of(paper(VFM), **fields)
    assert set(found) == set(expected)
    for field, start in expected.items():
        assert found[field].startswith(start), found[field]


# Hand-written: 3.1 occurs once as a value and once as a gain; 0.8921 only as a value;
# 4.2 after "improves ... by"; 2.5 before "points higher"; 12 as a plain count.
ABSTRACT = (
    "We propose LesionNet. It reaches a Dice score of 0.8921 and an error of 3.1% on 12 "
    "scans, improves the mean Dice score by 4.2% over nnU-Net, and the HD95 drops by 3.1% "
    "relative to it. Its mIoU is 2.5 points higher than SAM."
)
LESION = Paper(id="arxiv:2501.00001", title="LesionNet", abstract=ABSTRACT)


@pytest.mark.parametrize(
    ("metric", "refused"),
    [
        (Metric(name="Dice score", value="0.8921"), False),
        (Metric(name="Dice score", value="0.8921", kind="gain"), True),
        (Metric(name="mean Dice score", value="4.2%"), True),
        (Metric(name="mean Dice score", value="4.2%", kind="gain"), False),
        (Metric(name="mean Dice score", value="+4.2%"), True),  # written as a gain
        (Metric(name="error", value="3.1%"), False),  # a value at its first occurrence
        (Metric(name="HD95", value="3.1%", kind="gain"), False),  # a gain at its second
        (Metric(name="mIoU", value="2.5"), True),
        (Metric(name="mIoU", value="2.5", kind="gain"), False),
    ],
)
def test_metric_kinds_follow_how_the_abstract_gives_each_number(
    metric: Metric, refused: bool
) -> None:
    found = problems_of(LESION, metrics=[metric.model_dump()])
    assert ("metrics[0]" in found) is refused, found


def test_a_summary_stored_before_metric_kinds_reads_its_metrics_as_scores() -> None:
    assert Metric.model_validate({"name": "Dice", "value": "0.9"}).kind == "score"


def test_states_is_a_profile_attribute_of_quotes_fields_only(tmp_path: Path) -> None:
    assert next(f for f in GENERAL.fields if f.name == "limitations").states == "limitation"
    shown = run_cli("profiles", "general", check=True).stdout
    assert "limitations (quotes, states a limitation):" in shown
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'extends = "general"\n[[fields]]\nname = "caveat"\nkind = "text"\n'
        'description = "x"\nstates = "limitation"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_profile(bad)
    assert "fields[0]" in str(info.value) and "quotes field only" in str(info.value)
    # A user's quotes field may ask for limitations too, and the check follows it.
    own = tmp_path / "own.toml"
    own.write_text(
        'name = "own"\n[[fields]]\nname = "caveats"\nkind = "quotes"\nclaim_key = "caveat"\n'
        'states = "limitation"\ndescription = "Caveats the authors state."\n'
    )
    profile = load_profile(own)
    draft = draft_model(profile).model_validate(
        {"tldr": "not reported", "caveats": [{"caveat": "x", "quote": P2SAM_LIMITATION["quote"]}]}
    )
    found = grounding_problems(draft, paper(P2SAM).abstract, [], paper(P2SAM).title)
    assert [p.field for p in found] == ["caveats[0]"]


def test_the_wiki_schema_describes_the_metric_kind_as_optional() -> None:
    """An optional field with a default: a version 2 consumer's metric still validates,
    so the wiki format stays version 2."""
    from reviewer.render.wiki import json_schemas

    schema = json_schemas(GENERAL)["paper.schema.json"]
    metric = schema["$defs"]["Metric"]
    assert metric["properties"]["kind"]["enum"] == ["score", "gain"]
    assert "kind" not in metric.get("required", [])
    validator = Draft202012Validator({**metric, "$defs": schema["$defs"]})
    validator.validate({"name": "Dice", "value": "0.9", "dataset": "not reported"})
    assert not validator.is_valid({"name": "Dice", "value": "0.9", "kind": "year"})


def test_summarize_prints_a_gain_as_a_gain(capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer.cli.llm import _print_summaries

    stored = {
        "paper_id": P2SAM,
        "title": "P2SAM",
        "tldr": "P2SAM adapts SAM to new patients.",
        "tldr_source": "model",
        "not_reported": [],
        "failed_fields": [],
        "abstract_truncated": False,
        "validation": "passed",
        "dropped": [],
        "model": "m",
        "prompt": "p@1",
        "profile": "general@x",
        "abstract_hash": "h",
        "metrics": [
            {"name": "mean Dice score", "value": "8.0%", "kind": "gain", "dataset": "not reported"},
            {"name": "[b]mIoU[/b]", "value": "71.2", "kind": "score", "dataset": "PerSeg"},
        ],
    }
    _print_summaries([stored])
    out = capsys.readouterr().out
    assert "metrics: mean Dice score +8.0% (gain over a baseline)" in out
    assert "metrics: [b]mIoU[/b] 71.2 (PerSeg)" in out  # a score as it was; markup escaped
