"""Related-work drafts: the grounding validators, pruning, the outline, and rendering.

The answers below are written by hand to break the rules (citing a paper that was not
retrieved, inventing a number, citing nothing, being cut off); they exercise the error
paths only. What a real model answers is in test_related_work_cassettes.py and the
live end-to-end test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from reviewer.corpus.model import Paper
from reviewer.errors import InputError
from reviewer.grounding import quote_in
from reviewer.llm.client import Outcome
from reviewer.render import draft as render
from reviewer.render.bibtex import bib_file, citation_keys, latex_escape
from reviewer.tasks import related_work as rw
from reviewer.tasks.draft_model import (
    OutlineDraft,
    outline_model,
    outline_problems,
    paragraph_model,
    query_problems,
    sentence_problems,
    split_markers,
    states_finding,
)
from reviewer.tasks.themes import Theme

SAM3D = Paper(
    id="arxiv:2309.03493",
    title="SAM3D: Segment Anything Model in Volumetric Medical Images",
    abstract=(
        "Motivated by the Segment Anything Model (SAM), we introduce SAM3D, an adaptation "
        "for 3D volumetric medical image analysis. Unlike SAM-based methods that convert the "
        "volume into 2D slices, SAM3D processes the entire 3D volume. It reaches a Dice of "
        "0.89 on the BTCV dataset with 1.6M parameters."
    ),
    authors=["Nhat-Tan Bui", "Dinh-Hieu Hoang"],
    published=date(2023, 9, 7),
    arxiv_id="2309.03493",
    primary_category="eess.IV",
    abs_url="https://arxiv.org/abs/2309.03493",
)
P2SAM = Paper(
    id="arxiv:2403.05433",
    title="Part-aware Prompted Segment Anything Model for Adaptive Segmentation",
    abstract=(
        "We propose a data-efficient segmentation algorithm, Part-aware Prompted Segment "
        "Anything Model. Without any model fine-tuning, it adapts to new patients from "
        "one-shot data with a part-aware prompt mechanism. It improves the mean Dice score "
        "by 8.0% on patient-adaptive segmentation."
    ),
    published=date(2024, 3, 8),
    arxiv_id="2403.05433",
    doi="10.1000/p2sam_2024",
)
TOPIC = "adapting the Segment Anything Model to medical image segmentation"


def _candidates() -> list[rw.Candidate]:
    return rw.make_candidates([(SAM3D, "retrieved, rank 1"), (P2SAM, "retrieved, rank 2")], {})


def _sources() -> dict[str, str]:
    return {c.key: c.source for c in _candidates()}


# -- keys -----------------------------------------------------------------------------


def test_keys_come_from_the_record_and_are_unique() -> None:
    keys = citation_keys([SAM3D, P2SAM])
    assert keys == {SAM3D.id: "bui2023sam3d", P2SAM.id: "partawareprompted2024"}
    twin = SAM3D.model_copy(update={"id": "arxiv:9999.00001"})
    keys = citation_keys([SAM3D, twin])
    assert keys[twin.id] != keys[SAM3D.id]
    assert {k[: len("bui2023sam3d-")] for k in keys.values()} == {"bui2023sam3d-"}
    bib = Paper(id="x", title="T", bibtex_key="Smith:2020")
    assert citation_keys([bib]) == {"x": "Smith:2020"}


# -- sentence rules ---------------------------------------------------------------------


def test_a_grounded_comparison_passes() -> None:
    s = _sources()
    text = (
        "Where other SAM-based methods cut the volume into 2D slices, SAM3D takes in the "
        "entire 3D volume and reaches a Dice of 0.89."
    )
    assert sentence_problems(text, ["bui2023sam3d"], s, TOPIC) == []


def test_citing_a_paper_that_was_not_retrieved_is_refused() -> None:
    problems = sentence_problems(
        "SAM3D processes the entire 3D volume.", ["kirillov2023segment"], _sources(), TOPIC
    )
    assert problems[0] == "cites 'kirillov2023segment', which is not one of the papers given"


def test_a_number_absent_from_the_cited_abstract_is_refused() -> None:
    s = _sources()
    # 0.89 is in SAM3D's abstract, not in P2SAM's: the citation decides.
    assert sentence_problems(
        "The part-aware prompt mechanism reaches a Dice of 0.89.", ["partawareprompted2024"], s
    ) == ["numbers not in the cited abstracts: 0.89"]
    assert sentence_problems("SAM3D reaches a Dice of 0.93 on BTCV.", ["bui2023sam3d"], s) == [
        "numbers not in the cited abstracts: 0.93"
    ]


def test_a_finding_without_a_citation_is_refused() -> None:
    problems = sentence_problems("SAM3D processes the entire 3D volume.", [], _sources())
    assert problems == ["states a finding but cites no paper"]
    assert states_finding("It reaches 0.89.") and states_finding("P2SAM outperforms baselines.")
    assert not states_finding("This section reviews the segment anything literature.")


def test_words_the_cited_abstract_does_not_support_are_refused() -> None:
    problems = sentence_problems(
        "SAM3D relies on diffusion priors trained with reinforcement rewards.",
        ["bui2023sam3d"],
        _sources(),
    )
    assert problems == ["most of its words are not in the cited abstracts"]


def test_a_cut_off_sentence_is_refused() -> None:
    problems = sentence_problems(
        "SAM3D processes the entire 3D volume and", ["bui2023sam3d"], _sources()
    )
    assert problems == ["is cut off: a sentence ends with a full stop"]


def test_inline_markers_become_citations() -> None:
    text, keys = split_markers("SAM3D processes the whole volume [bui2023sam3d; other2020].")
    assert text == "SAM3D processes the whole volume."
    assert keys == ["bui2023sam3d", "other2020"]
    model = paragraph_model(list(_sources()))
    parsed = model.model_validate(
        {"sentences": [{"text": "SAM3D processes the 3D volume [bui2023sam3d].", "citations": []}]}
    )
    assert parsed.sentences[0].citations == ["bui2023sam3d"]


def test_the_paragraph_schema_lists_the_keys_for_constrained_decoding() -> None:
    schema = paragraph_model(["a1", "b2"]).model_json_schema()
    citations = schema["$defs"]["Sentence"]["properties"]["citations"]
    assert citations["items"]["enum"] == ["a1", "b2"]
    assert citations["minItems"] == 1
    # No maxLength: a grammar would cut a long sentence mid-word; length is re-asked.
    assert "maxLength" not in schema["$defs"]["Sentence"]["properties"]["text"]


def test_a_bad_paragraph_goes_back_with_every_problem() -> None:
    model = paragraph_model(list(_sources()))
    answer = {
        "sentences": [
            {"text": "SAM3D processes the entire 3D volume.", "citations": ["bui2023sam3d"]},
            {"text": "MedSAM was trained on 1.5 million images.", "citations": ["ma2024medsam"]},
            {"text": "The prompt mechanism improves Dice by 12.5%.", "citations": []},
        ]
    }
    with pytest.raises(ValidationError) as caught:
        model.model_validate(answer, context={"sources": _sources(), "context_text": TOPIC})
    message = str(caught.value)
    assert "sentences[1]" in message and "'ma2024medsam', which is not one of the papers" in message
    assert "sentences[2]" in message and "states a finding but cites no paper" in message
    assert "cites none of partawareprompted2024" in message
    assert "sentences[0]" not in message


# -- outline and queries ---------------------------------------------------------------


def test_outline_problems_name_unknown_repeated_and_missing_papers() -> None:
    sources = _sources()
    outline = OutlineDraft.model_validate(
        {
            "themes": [
                {"title": "Volumetric segment anything", "papers": ["bui2023sam3d", "zz2020"]},
                {"title": "Prompted adaptation", "papers": ["bui2023sam3d"]},
            ]
        }
    )
    problems = outline_problems(outline, sources, max_themes=4)
    assert "themes[0]: 'zz2020' is not one of the papers given" in problems
    assert "themes[1]: 'bui2023sam3d' is already in themes[0]" in problems
    assert "papers in no theme: partawareprompted2024; place every paper" in problems
    schema = outline_model(list(sources), max_themes=3).model_json_schema()
    assert schema["properties"]["themes"]["maxItems"] == 3


def test_an_outline_with_fewer_themes_than_asked_goes_back_to_the_model() -> None:
    sources = {f"k{i}": f"Paper {i} on segmentation" for i in range(6)}
    context = {"sources": sources, "max_themes": 4, "themes_wanted": 3}
    model = outline_model(list(sources), max_themes=4, min_themes=3)
    lumped = {"themes": [{"title": "Segmentation", "papers": list(sources)}]}
    with pytest.raises(ValidationError) as caught:
        model.model_validate(lumped, context=context)
    assert "asked for 3 themes over 6 papers; got 1" in str(caught.value)
    three = [{"title": "Segmentation", "papers": [f"k{i}", f"k{i + 3}"]} for i in range(3)]
    assert len(model.model_validate({"themes": three}, context=context).themes) == 3
    # A server that turns the schema into a grammar cannot write fewer.
    assert model.model_json_schema()["properties"]["themes"]["minItems"] == 3


def test_query_variants_that_say_nothing_are_refused() -> None:
    problems = query_problems(
        ["1.1.1.1.1.1", TOPIC.upper(), "SAM fine-tuning for CT and MRI segmentation"], TOPIC
    )
    assert [i for i, _ in problems] == [0, 1]


# -- pruning what the model wrote (hand-written answers: error paths) --------------------


class HandWrittenAnswers:
    """Stands in for LLMClient.structured and returns answers written for the test, as
    if every one had failed validation (the re-asks exhausted)."""

    model = "hand-written"

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.contents = [json.dumps(a) for a in answers]

    def structured(self, prompt: Any, response_model: Any, **_: Any) -> Outcome[Any]:
        return Outcome(None, self.contents, ["rejected"], False, len(self.contents), 2)


def test_failing_sentences_are_dropped_and_reported() -> None:
    client = HandWrittenAnswers(
        {
            "sentences": [
                {
                    "text": "SAM3D processes the entire 3D volume rather than 2D slices.",
                    "citations": ["bui2023sam3d"],
                },
                {"text": "SAM3D reaches a Dice of 0.97.", "citations": ["bui2023sam3d"]},
                {"text": "It was later extended by MedSAM.", "citations": ["ma2024medsam"]},
                {"text": "Prompting adapts SAM to new patients.", "citations": []},
                {
                    "text": "Without fine-tuning, a part-aware prompt mechanism adapts to new "
                    "patients and improves the mean Dice score by 8.0%.",
                    "citations": ["partawareprompted2024"],
                },
            ]
        }
    )
    theme = Theme("Adapting SAM", [SAM3D.id, P2SAM.id])
    trace = rw.Trace()
    section, dropped = rw.write_section(client, TOPIC, theme, _candidates(), 120, trace)  # type: ignore[arg-type]
    assert section.written_by == "model"
    assert [s.citations for s in section.sentences] == [["bui2023sam3d"], ["partawareprompted2024"]]
    reasons = {d.text: d.reasons for d in dropped}
    assert reasons["SAM3D reaches a Dice of 0.97."] == ["numbers not in the cited abstracts: 0.97"]
    assert "not one of the papers given" in reasons["It was later extended by MedSAM."][0]
    assert reasons["Prompting adapts SAM to new patients."] == [
        "states a finding but cites no paper"
    ]


def test_a_piled_citation_or_a_key_used_as_a_name_is_mended_not_dropped() -> None:
    # What Qwen2.5-Coder-1.5B wrote when told to cite every paper of a theme: a sentence
    # true of one paper with every key piled on, a paper called by its citation key, and
    # a sentence no citation earns.
    client = HandWrittenAnswers(
        {
            "sentences": [
                {
                    "text": "SAM3D processes the entire 3D volume rather than 2D slices.",
                    "citations": ["bui2023sam3d", "partawareprompted2024"],
                },
                {
                    "text": "The partawareprompted2024 paper adapts to new patients without "
                    "fine-tuning.",
                    "citations": ["partawareprompted2024"],
                },
                {
                    "text": "The papers differ in their approaches to adapting the Segment "
                    "Anything Model.",
                    "citations": ["bui2023sam3d", "partawareprompted2024"],
                },
                {
                    "text": "The bui2023sam3d paper and the partawareprompted2024 paper adapt "
                    "the Segment Anything Model.",
                    "citations": ["bui2023sam3d", "partawareprompted2024"],
                },
            ]
        }
    )
    theme = Theme("Adapting SAM", [SAM3D.id, P2SAM.id])
    section, dropped = rw.write_section(client, TOPIC, theme, _candidates(), 120, rw.Trace())  # type: ignore[arg-type]
    assert [(s.text, s.citations) for s in section.sentences] == [
        (
            "SAM3D processes the entire 3D volume rather than 2D slices.",
            ["bui2023sam3d"],
        ),
        (
            "This paper adapts to new patients without fine-tuning.",
            ["partawareprompted2024"],
        ),
    ]
    kinds = {d.text[:20]: d.kinds for d in dropped}
    assert kinds["The papers differ in"] == ["citation-adds-nothing"]
    assert "key-as-name" in kinds["The bui2023sam3d pap"]


def test_a_paragraph_with_nothing_left_falls_back_to_labelled_quotes() -> None:
    client = HandWrittenAnswers(
        {"sentences": [{"text": "Everything improves by 50%.", "citations": ["bui2023sam3d"]}]}
    )
    theme = Theme("Adapting SAM", [SAM3D.id, P2SAM.id])
    section, dropped = rw.write_section(client, TOPIC, theme, _candidates(), 120, rw.Trace())  # type: ignore[arg-type]
    assert len(dropped) == 1
    assert section.written_by == "extractive" and "quoted from the abstracts" in (
        section.note or ""
    )
    abstracts = {c.key: c.paper.abstract for c in _candidates()}
    for sentence in section.sentences:
        assert sentence.quote and quote_in(sentence.text, abstracts[sentence.citations[0]])


# -- assembling and rendering -------------------------------------------------------------


def _draft() -> rw.RelatedWorkDraft:
    section = rw.Section(
        theme="Volumes & prompts",
        theme_source="model",
        paper_ids=[SAM3D.id, P2SAM.id],
        written_by="model",
        sentences=[
            rw.CitedSentence(
                text="Part-aware prompts adapt SAM to new patients without fine-tuning.",
                citations=["partawareprompted2024"],
            ),
            rw.CitedSentence(
                text="SAM3D reaches a Dice of 0.89, unlike 2D slice methods (50% fewer_params).",
                citations=["bui2023sam3d", "partawareprompted2024"],
            ),
        ],
    )
    return rw.assemble(TOPIC, "model", [], _candidates(), [section], [], [], "m", None)


def test_references_are_numbered_by_first_citation_and_come_from_the_store() -> None:
    draft = _draft()
    assert [(r.number, r.key) for r in draft.references] == [
        (1, "partawareprompted2024"),
        (2, "bui2023sam3d"),
    ]
    assert draft.references[1].url == "https://arxiv.org/abs/2309.03493"
    assert draft.references[0].doi == "10.1000/p2sam_2024"
    assert draft.footer.papers_cited == 2 and draft.footer.sentences == 2
    markdown = render.to_markdown(draft)
    assert "without fine-tuning [1]." in markdown
    assert "fewer_params) [2, 1]." in markdown
    assert "[2] Nhat-Tan Bui, Dinh-Hieu Hoang." in markdown


def test_latex_cites_keys_and_escapes_text() -> None:
    latex = render.to_latex(_draft())
    assert r"\paragraph{Volumes \& prompts.}" in latex
    assert r"fewer\_params)~\cite{bui2023sam3d,partawareprompted2024}." in latex
    assert latex_escape("50% & $x_1$") == r"50\% \& \$x\_1\$"


def test_the_bib_holds_exactly_the_cited_keys_and_parses(tmp_path: Path) -> None:
    import bibtexparser

    from reviewer.corpus.readers import read_file

    draft = _draft()
    text = render.cited_bib(draft, {SAM3D.id: SAM3D, P2SAM.id: P2SAM})
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    entries = {e.key: e for e in library.entries}
    assert set(entries) == {r.key for r in draft.references}
    sam3d = entries["bui2023sam3d"]
    assert sam3d["eprint"] == "2309.03493" and sam3d["archivePrefix"] == "arXiv"
    assert sam3d["author"] == "Nhat-Tan Bui and Dinh-Hieu Hoang" and sam3d["year"] == "2023"
    assert entries["partawareprompted2024"]["doi"] == "10.1000/p2sam_2024"
    # Our own reader reads it back to the same papers.
    path = tmp_path / "refs.bib"
    path.write_text(text, encoding="utf-8")
    _, papers = read_file(path)
    assert {p.arxiv_id for p in papers} == {"2309.03493", "2403.05433"}
    assert bib_file([], {}) == ""


def test_json_output_carries_sentences_citations_and_footer() -> None:
    data = json.loads(render.to_json(_draft()))
    assert data["sections"][0]["sentences"][1]["citations"] == [
        "bui2023sam3d",
        "partawareprompted2024",
    ]
    assert {r["key"] for r in data["references"]} == {"bui2023sam3d", "partawareprompted2024"}
    assert data["footer"]["papers_considered"] == 2


def test_extractive_sections_quote_one_sentence_per_paper() -> None:
    theme = Theme("Adapting SAM", [SAM3D.id, P2SAM.id])
    section = rw.extractive_section(TOPIC, theme, _candidates())
    assert section.written_by == "extractive"
    assert [s.citations for s in section.sentences] == [["bui2023sam3d"], ["partawareprompted2024"]]
    for sentence, paper in zip(section.sentences, (SAM3D, P2SAM), strict=True):
        assert sentence.quote and quote_in(sentence.text, paper.abstract)


# -- outline files -------------------------------------------------------------------------


def test_outline_markdown_round_trips(tmp_path: Path) -> None:
    themes = [Theme("Volumes", [SAM3D.id]), Theme("Prompts", [P2SAM.id])]
    text = render.outline_markdown(TOPIC, themes, {SAM3D.id: SAM3D.title})
    path = tmp_path / "outline.md"
    path.write_text(text, encoding="utf-8")
    topic, parsed = render.read_outline(path)
    assert topic == TOPIC
    assert [(t, [r for r, _ in refs]) for t, refs in parsed] == [
        ("Volumes", [SAM3D.id]),
        ("Prompts", [P2SAM.id]),
    ]
    json_path = tmp_path / "outline.json"
    json_path.write_text(render.outline_json(TOPIC, themes), encoding="utf-8")
    assert render.read_outline(json_path)[1] == [
        ("Volumes", [(SAM3D.id, "themes[0].paper_ids[0]")]),
        ("Prompts", [(P2SAM.id, "themes[1].paper_ids[0]")]),
    ]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("- arxiv:1\n", "line 1", "before any '## ' theme heading"),
        ("## A\n- arxiv:1\nstray words\n", "line 3", "expected a '## theme' heading"),
        ("## A\n## B\n", None, "the outline lists no papers"),
        ('{"themes": [{"title": "A"}]}', "themes[0]", "'title' and a list of 'paper_ids'"),
        ("{not json", "line 1", "not valid JSON"),
    ],
)
def test_bad_outline_files_name_the_file_and_line(
    tmp_path: Path, text: str, where: str | None, problem: str
) -> None:
    path = tmp_path / "outline.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        render.read_outline(path)
    assert caught.value.path == str(path)
    assert caught.value.where == where
    assert problem in caught.value.problem


def test_no_sentence_in_a_rendered_draft_lacks_its_reference_number() -> None:
    markdown = render.to_markdown(_draft())
    body = markdown.split("## References")[0]
    sentences = [s for s in re.split(r"(?<=\.)\s+", body) if s.strip().startswith(("Part", "SAM"))]
    assert sentences and all(re.search(r"\[\d+(, \d+)*\]\.$", s.strip()) for s in sentences)


# -- ALCE citation support ------------------------------------------------------------------


class WordsJudge:
    """Entailment by words, for testing the scoring: the premise supports the claim when
    it holds every content word of the claim."""

    name = "words"

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def supports(self, passages: Sequence[str], claim: str) -> bool:
        from reviewer.grounding import content_words

        premise = "\n\n".join(passages)
        self.asked.append((premise, claim))
        return set(content_words(claim)) <= set(content_words(premise))


def test_alce_recall_and_precision() -> None:
    from reviewer.tasks.judge import alce_scores

    a = "SAM3D processes volumes."
    b = "Prompts adapt patients."
    judge = WordsJudge()
    scores = alce_scores(
        [
            ("SAM3D processes volumes.", [a]),  # supported, one precise citation
            ("SAM3D processes volumes.", [a, b]),  # supported; b is irrelevant
            ("SAM3D processes volumes and prompts adapt patients.", [a, b]),  # both needed
            ("SAM3D hallucinates tumours.", [a]),  # unsupported: its citation is imprecise
            ("SAM3D processes volumes.", []),  # no citation: unsupported
        ],
        judge,
    )
    assert (scores.sentences, scores.supported) == (5, 3)
    assert (scores.citations, scores.precise) == (6, 4)
    assert scores.recall == 0.6 and scores.precision == pytest.approx(4 / 6)
    # b alone was asked about, then the claim without b (ALCE's irrelevance test).
    assert (b, "SAM3D processes volumes.") in judge.asked


def test_a_sentence_too_long_for_one_thought_is_re_asked() -> None:
    long = (
        "SAM3D processes the entire 3D volume " + "and reaches a Dice of 0.89 on BTCV " * 12
    ).strip() + "."
    model = paragraph_model(list(_sources()))
    with pytest.raises(ValidationError, match="too long"):
        model.model_validate(
            {"sentences": [{"text": long, "citations": ["bui2023sam3d"]}]},
            context={"sources": _sources(), "context_text": TOPIC, "cite_all": False},
        )


def test_an_item_of_several_sentences_is_judged_one_by_one_once_re_asks_are_spent() -> None:
    from reviewer.tasks.draft_model import ParagraphDraft

    draft = ParagraphDraft.model_validate(
        {
            "sentences": [
                {
                    "text": "SAM3D takes in the whole 3D volume and reaches a Dice of 0.89. "
                    "It was trained with reinforcement rewards on diffusion priors.",
                    "citations": ["bui2023sam3d"],
                }
            ]
        }
    )
    split = rw.split_items(draft)
    assert [s.text for s in split.sentences] == [
        "SAM3D takes in the whole 3D volume and reaches a Dice of 0.89.",
        "It was trained with reinforcement rewards on diffusion priors.",
    ]
    assert all(s.citations == ["bui2023sam3d"] for s in split.sentences)


def test_a_copied_passage_is_kept_as_the_abstracts_quotation() -> None:
    sources = {"bui2023sam3d": f"{SAM3D.title}\n{SAM3D.abstract}"}
    copied = rw.SentenceDraft(
        text="SAM3D, unlike SAM-based methods that convert the volume into 2D slices, "
        "processes the whole volume.",
        citations=["bui2023sam3d"],
    )
    reasons = sentence_problems(copied.text, copied.citations, sources)
    assert [r.kind for r in reasons] == ["unquoted-copy"]
    sentence, left = rw.quote_copies(copied, reasons, sources, "")
    # The eleven copied words in quotation marks, as the abstract writes them (but for
    # the capital that began the abstract's sentence).
    assert sentence.text == (
        "SAM3D, “unlike SAM-based methods that convert the volume into 2D slices”, "
        "processes the whole volume."
    )
    assert left == []
    # A copy that also misstates the paper stays refused, unchanged.
    wrong = rw.SentenceDraft(
        text="SAM3D, unlike SAM-based methods that convert the volume into 2D slices, "
        "reaches a Dice of 0.95.",
        citations=["bui2023sam3d"],
    )
    reasons = sentence_problems(wrong.text, wrong.citations, sources)
    assert rw.quote_copies(wrong, reasons, sources, "") == (wrong, reasons)
