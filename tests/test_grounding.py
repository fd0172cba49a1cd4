"""The grounding rules and the pruning of a summary draft, on real seed abstracts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reviewer.corpus.model import Paper
from reviewer.grounding import (
    first_sentence,
    is_not_reported,
    is_repetitive,
    name_in,
    quote_in,
    unsupported_numbers,
    unsupported_share,
)
from reviewer.profiles import load_profile
from reviewer.tasks.summary_model import (
    Finding,
    Limitation,
    Metric,
    build_summary,
    draft_model,
    grounding_problems,
)

# The seed abstracts are medical imaging: their profile has modality and anatomy.
SummaryDraft = draft_model(load_profile("medical-imaging"))

ABSTRACT = (
    "Accurate segmentation of lung tumors on CT is hard. We propose Lung-DDPM, a diffusion\n"
    "model trained on the LIDC-IDRI dataset. It reaches a Dice score of 0.8921 and an FID of\n"
    "0.0047, outperforming 3 baselines by 1,024 samples. However, our evaluation is limited to\n"
    "a single center. Code is available at https://github.com/Manem-Lab/Lung-DDPM."
)


def paper(**overrides: object) -> Paper:
    data = {"id": "arxiv:2502.15204", "title": "Lung-DDPM", "abstract": ABSTRACT}
    data.update(overrides)
    return Paper(**data)  # type: ignore[arg-type]


def test_quotes_must_be_verbatim_after_whitespace_normalization() -> None:
    assert quote_in("We propose Lung-DDPM, a diffusion model trained", ABSTRACT)
    assert quote_in('"a diffusion  model trained on the LIDC-IDRI dataset."', ABSTRACT)
    assert not quote_in("We propose Lung DDPM, a diffusion model", ABSTRACT)  # hyphen dropped
    assert not quote_in("a diffusion model trained on the LUNA16 dataset", ABSTRACT)
    assert not quote_in("CT", ABSTRACT)  # too short to be evidence


def test_numbers_must_occur_in_the_source() -> None:
    assert unsupported_numbers("Dice 0.8921, FID 0.0047, 3 baselines", ABSTRACT) == []
    assert unsupported_numbers("1024 samples", ABSTRACT) == []  # 1,024 is 1024
    assert unsupported_numbers("Dice 0.89", ABSTRACT) == ["0.89"]  # rounding is not the abstract
    assert unsupported_numbers("Dice 0.892100", ABSTRACT) == []  # the same number
    assert unsupported_numbers("95% accuracy", ABSTRACT) == ["95"]


def test_names_match_ignoring_case_spacing_and_punctuation() -> None:
    assert name_in("LIDC IDRI", ABSTRACT)
    assert name_in("lidc-idri", ABSTRACT)
    assert name_in("Dice score", ABSTRACT)
    assert not name_in("LUNA16", ABSTRACT)
    assert not name_in("MRI", ABSTRACT)
    assert name_in("CT", ABSTRACT) and not name_in("CT", "a CTA scan")


def test_free_text_must_mostly_use_the_papers_words() -> None:
    assert unsupported_share("The report is a summary of the document.", ABSTRACT) == 1.0
    paraphrase = "Lung-DDPM, a diffusion model, segments lung tumors on CT scans."
    assert unsupported_share(paraphrase, ABSTRACT) < 0.5  # segments ~ segmentation
    assert unsupported_share("It is what it is.", ABSTRACT) == 0.0  # nothing to check
    # A hyphenated chain is checked part by part, not waved through by its first letters.
    assert unsupported_share("Medical-Report-Summary-Document", ABSTRACT) == 1.0
    assert is_repetitive("Medical-Image-Segmentation-Medical-Image-Image-Image-Image-Image")
    assert not is_repetitive(ABSTRACT)


def test_not_reported_spellings() -> None:
    for value in ("", "N/A", "none", "Not reported.", "unknown", "not mentioned"):
        assert is_not_reported(value)
    assert not is_not_reported("CT")


def good_draft(**overrides: object) -> SummaryDraft:
    data: dict[str, object] = {
        "tldr": "Lung-DDPM generates lung CT data with a Dice score of 0.8921.",
        "problem": "Accurate segmentation of lung tumors on CT.",
        "contribution": "Lung-DDPM, a diffusion model.",
        "method": "A diffusion model.",
        "task": "segmentation",
        "modality": "CT",
        "anatomy": "lung",
        "datasets": ["LIDC-IDRI"],
        "metrics": [Metric(name="Dice", value="0.8921", dataset="LIDC-IDRI")],
        "findings": [Finding(finding="Beats 3 baselines.", quote="outperforming 3 baselines")],
        "limitations": [
            Limitation(
                limitation="Single center.", quote="our evaluation is limited to a single center"
            )
        ],
        "code_available": "yes",
        "code_url": "https://github.com/Manem-Lab/Lung-DDPM",
    }
    data.update(overrides)
    return SummaryDraft(**data)  # type: ignore[arg-type]


def test_a_grounded_draft_passes_validation_with_the_abstract_as_context() -> None:
    draft = good_draft()
    assert grounding_problems(draft, ABSTRACT) == []
    SummaryDraft.model_validate(draft.model_dump(), context={"abstract": ABSTRACT})


@pytest.mark.parametrize(
    ("override", "field", "reason"),
    [
        ({"tldr": "Dice of 0.95."}, "tldr", "numbers not in the abstract: 0.95"),
        ({"modality": "MRI"}, "modality", "does not occur"),
        (
            {"problem": "The report is a summary of the document."},
            "problem",
            "most of its words are not in the title or abstract",
        ),
        (
            {"method": "Lung-DDPM-diffusion-model-lung-lung-lung-lung-lung-lung-lung-lung"},
            "method",
            "repeats the same few words",
        ),
        ({"tldr": "Lung-DDPM."}, "tldr", "repeats the title"),
        ({"datasets": ["LIDC-IDRI", "lidc-idri"]}, "datasets[1]", "repeats an earlier name"),
        ({"datasets": ["LIDC-IDRI", "LUNA16"]}, "datasets[1]", "name not in the abstract"),
        ({"metrics": [Metric(name="Dice", value="0.91")]}, "metrics[0]", "value is not a number"),
        ({"metrics": [Metric(name="AUC", value="0.8921")]}, "metrics[0]", "metric name"),
        ({"metrics": [Metric(name="Dice", value="high")]}, "metrics[0]", "value is not a number"),
        (
            {"findings": [Finding(finding="x", quote="It beats every baseline by far")]},
            "findings[0]",
            "quote is not verbatim",
        ),
        (
            {"findings": [Finding(finding="Beats 7 baselines", quote="outperforming 3 baselines")]},
            "findings[0]",
            "numbers not in the abstract: 7",
        ),
        ({"code_url": "https://github.com/other/repo"}, "code_url", "URL not in"),
    ],
)
def test_each_grounding_rule_rejects_and_the_validator_reports_it(
    override: dict[str, object], field: str, reason: str
) -> None:
    draft = good_draft(**override)
    problems = grounding_problems(draft, ABSTRACT, title="Lung-DDPM")
    assert [(p.field, reason in p.reason) for p in problems] == [(field, True)]
    context = {"abstract": ABSTRACT, "title": "Lung-DDPM"}
    with pytest.raises(ValidationError) as info:
        SummaryDraft.model_validate(draft.model_dump(), context=context)
    assert field in str(info.value) and "not supported by the abstract" in str(info.value)


def test_build_summary_drops_what_fails_and_marks_not_reported() -> None:
    draft = good_draft(
        tldr="Reaches 99% accuracy.",
        modality="MRI",
        anatomy="not mentioned",
        datasets=["LIDC-IDRI", "LUNA16"],
        metrics=[Metric(name="Dice", value="0.8921"), Metric(name="AUC", value="0.97")],
        limitations=[],
    )
    summary = build_summary(draft, paper=paper(), passed=False, model="m", prompt="p@1")
    assert summary.validation == "pruned"
    assert summary.tldr == first_sentence(ABSTRACT) and summary.tldr_source == "abstract"
    assert summary.modality == "not reported" and summary.anatomy == "not reported"
    assert summary.datasets == ["LIDC-IDRI"]
    assert [m.name for m in summary.metrics] == ["Dice"]
    assert {d.field for d in summary.dropped} == {"tldr", "modality", "datasets[1]", "metrics[1]"}
    assert set(summary.not_reported) == {"anatomy", "limitations"}
    assert summary.profile == load_profile("medical-imaging").label
    assert summary.failed_fields == ["modality"]  # emptied by validation, not by the abstract
    assert summary.code.available == "yes" and summary.code.source == "abstract"


def test_code_links_from_metadata_win_and_unfounded_code_claims_are_dropped() -> None:
    with_link = paper(code_urls=["https://github.com/Manem-Lab/Lung-DDPM"])
    summary = build_summary(
        good_draft(code_url="not reported"), paper=with_link, passed=True, model="m", prompt="p@1"
    )
    assert summary.code.source == "metadata" and summary.validation == "passed"
    silent = paper(abstract="We segment lungs on CT scans with a new network trained on 40 scans.")
    draft = SummaryDraft(
        tldr="A network segments lungs on CT scans.",
        problem="x",
        contribution="not reported",
        method="y",
        task="segmentation",
        modality="CT",
        anatomy="not reported",
        code_available="yes",
    )
    summary = build_summary(draft, paper=silent, passed=False, model="m", prompt="p@1")
    assert summary.code.available == "not reported" and summary.failed_fields == ["code"]
    assert [d.field for d in summary.dropped] == ["code_available"]


def test_a_truncated_abstract_is_carried_into_the_summary() -> None:
    summary = build_summary(
        good_draft(), paper=paper(abstract_truncated=True), passed=True, model="m", prompt="p@1"
    )
    assert summary.abstract_truncated is True


def test_first_sentence() -> None:
    assert first_sentence(ABSTRACT) == "Accurate segmentation of lung tumors on CT is hard."
    assert first_sentence("No full stop here") == "No full stop here"
    assert first_sentence("word " * 200).endswith("…")
