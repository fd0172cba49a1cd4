"""The extractive comparison table (no model): each cell only where the paper states the
value, empty ("not reported") otherwise, and every output format saying it is extractive.

The abstracts are written for these tests (several fields); what each cell should hold
is read off the text by hand, not computed."""

from __future__ import annotations

import csv
import io
import json
from typing import Literal

from reviewer.corpus.model import Paper
from reviewer.grounding import NOT_REPORTED, quote_in
from reviewer.render.table import to_csv, to_json, to_markdown
from reviewer.tasks.compare import Cell, CompareTable, Row, compare_rows, extractive_row

COLUMNS = ["task", "modality", "datasets", "metrics", "results"]

POLYP = Paper(
    id="title:polyp",
    title="ParaNet: A Reverse Attention Network",
    abstract=(
        "Colonoscopy is an effective technique for detecting colorectal polyps. "
        "In clinical practice, segmenting polyps is of great importance since it provides "
        "valuable information for diagnosis and surgery. "
        "To address this, we propose a reverse attention network (ParaNet) for accurate "
        "polyp segmentation in colonoscopy images. "
        "Based on the combined feature, we then generate a global map as the initial "
        "guidance area. "
        "Evaluations on five datasets show that ParaNet improves the segmentation accuracy "
        "significantly over existing methods."
    ),
)
TUMOUR = Paper(
    id="title:tumour",
    title="Graph-based 3D Segmentation of Pancreatic Tumors on CT scans",
    abstract=(
        "This paper reports a graph approach to 3D tumor segmentation. "
        "A network provides a probability map for each 2D patch. "
        "The cost of each node is determined by the probability maps. "
        "On 21 test scans, the Dice similarity coefficient reached 83.2% and the relative "
        "volume difference 18.6%."
    ),
)
FOUNDATION = Paper(
    id="title:foundation",
    title="VolSeg: A Universal Volumetric Model",
    abstract=(
        "Despite the remarkable progress achieved in medical image segmentation, there is "
        "still an absence of a 3D foundation model for 200 anatomical categories. "
        "In this paper, we propose VolSeg, a foundation model for volumetric medical image "
        "segmentation of CT volumes. "
        "Experiments on 22 tasks show that VolSeg outperforms the runner-up methods by up to "
        "37.2%."
    ),
)
DATASET_PAPER = Paper(
    id="title:polyp-data",
    title="PolypSeg-DB: A Segmented Polyp Dataset",
    abstract=(
        "Pixel-wise segmentation is a demanding task in medical image analysis. "
        "In this paper, we present PolypSeg-DB: an open-access dataset of polyp images and "
        "segmentation masks annotated by a gastroenterologist. "
        "The dataset will help researchers compare methods."
    ),
)
CORPUS_PAPER = Paper(
    id="title:corpus",
    title="Adversarial tests for programming problems",
    abstract=(
        "Software correctness is assessed by running tests. "
        "To support data-driven test creation, we curate a dataset (HackSet) of programming "
        "problems with error-inducing test cases. "
        "The dataset comprises 288,617 test cases for 5,578 problems."
    ),
)
PHYSICS = Paper(
    id="title:physics",
    title="Timing of X-ray bursts from an accreting neutron star",
    abstract=(
        "X-ray bursts probe the surface of accreting neutron stars. "
        "We analyse 12 years of X-ray observations of a burster and derive the recurrence "
        "time of its bursts. "
        "The model fits the light curves with an RMSE of 0.12 and R^2 = 0.81."
    ),
)
GENOMICS = Paper(
    id="title:genomics",
    title="Chromosome loops of human stem cells",
    abstract=(
        "We identified enhancers and insulators in human stem cells using ChIA-PET data. "
        "The loops are a frequent site of mutations in cancer cells."
    ),
)
TRANSLATION = Paper(
    id="title:nlp",
    title="Sparse attention for long documents",
    abstract=(
        "Transformers struggle with long inputs. "
        "We propose a sparse attention scheme for neural machine translation of long "
        "documents. "
        "On WMT14 English-German it reaches a BLEU of 28.4 and a perplexity of 4.1, "
        "outperforming dense attention."
    ),
)
DETECTION = Paper(
    id="title:detection",
    title="Small-object detection in aerial images",
    abstract=(
        "We present an anchor-free detector for aerial images. "
        "It reaches 45.2 mAP on the DOTA benchmark."
    ),
)


def _row(paper: Paper) -> Row:
    return extractive_row(paper, COLUMNS)


def _empty(cell: Cell) -> bool:
    return cell.status == "not reported" and cell.value == NOT_REPORTED and cell.source == "none"


def test_a_map_without_a_value_is_not_a_metric() -> None:
    assert _empty(_row(POLYP).cells["metrics"])  # "generate a global map"
    metrics = _row(TUMOUR).cells["metrics"]  # "probability map(s)", and a Dice with 83.2%
    assert "map" not in metrics.value.lower()
    assert "Dice similarity coefficient" in metrics.value
    assert "83.2%" in metrics.evidence


def test_metrics_of_other_fields_come_with_their_value() -> None:
    assert _row(DETECTION).cells["metrics"].value == "mAP"
    nlp = _row(TRANSLATION).cells["metrics"].value.split(", ")
    assert nlp == ["BLEU", "perplexity"]
    physics = _row(PHYSICS).cells["metrics"].value.split(", ")
    assert physics == ["RMSE", "R^2"]


def test_task_comes_from_what_the_paper_does_not_from_background() -> None:
    task = _row(POLYP).cells["task"]
    assert "segmentation" in task.value and "diagnosis" not in task.value
    assert "we propose" in task.evidence
    assert "machine translation" in _row(TRANSLATION).cells["task"].value


def test_task_from_the_title_when_no_sentence_says_what_the_paper_does() -> None:
    paper = Paper(
        id="title:t",
        title="Fast registration of cardiac images",
        abstract="Cardiac images are important for diagnosis. Deformations are large.",
    )
    cell = _row(paper).cells["task"]
    assert cell.value == "registration of cardiac images"  # not "Fast"
    assert cell.source == "metadata" and cell.evidence == f"title: {paper.title}"


def test_background_only_leaves_the_task_empty() -> None:
    paper = Paper(
        id="title:b",
        title="Notes on equivalence principles",
        abstract="Accurate diagnosis is important for patients. Segmentation is hard.",
    )
    assert _empty(_row(paper).cells["task"])


def test_a_motivation_sentence_is_not_a_result() -> None:
    results = _row(FOUNDATION).cells["results"]
    assert not results.value.startswith("Despite")
    assert "outperforms" in results.value
    # A paper that measures nothing gets no result, even with "achieved" and a number
    # in its background.
    paper = Paper(
        id="title:m",
        title="A survey of label-efficient learning",
        abstract=(
            "Deep learning has achieved state-of-the-art performance across 30 tasks. "
            "In this survey, we review 350 studies and present a taxonomy."
        ),
    )
    assert _empty(_row(paper).cells["results"])


def test_a_reported_measurement_is_a_result() -> None:
    assert "83.2%" in _row(TUMOUR).cells["results"].value
    assert "BLEU of 28.4" in _row(TRANSLATION).cells["results"].value
    assert "improves the segmentation accuracy" in _row(POLYP).cells["results"].value


def test_a_dataset_paper_names_its_dataset() -> None:
    from_title = _row(DATASET_PAPER).cells["datasets"]
    assert from_title.value == "PolypSeg-DB" and from_title.source == "metadata"
    from_abstract = _row(CORPUS_PAPER).cells["datasets"]
    assert from_abstract.value == "HackSet" and "we curate" in from_abstract.evidence
    assert _empty(_row(CORPUS_PAPER).cells["results"])  # its size is not a measured result


def test_named_datasets_and_benchmarks() -> None:
    assert _row(DETECTION).cells["datasets"].value == "DOTA"
    paper = Paper(
        id="title:d",
        title="Fundus grading",
        abstract=(
            "We propose a grading network. "
            "We ran experiments on two benchmark datasets, APTOS-2019 and DDR, and on three "
            "private datasets."
        ),
    )
    assert _row(paper).cells["datasets"].value == "APTOS-2019, DDR"


def test_non_medical_papers_get_no_modality() -> None:
    assert _empty(_row(PHYSICS).cells["modality"])  # X-ray astronomy
    assert _empty(_row(GENOMICS).cells["modality"])  # ChIA-PET is an assay
    assert _empty(_row(TRANSLATION).cells["modality"])
    assert _row(TUMOUR).cells["modality"].value == "CT"
    assert _row(POLYP).cells["modality"].value == "colonoscopy"


def test_filled_cells_quote_their_source() -> None:
    papers = [POLYP, TUMOUR, FOUNDATION, DATASET_PAPER, CORPUS_PAPER, PHYSICS, TRANSLATION]
    for row in compare_rows(None, papers, COLUMNS):
        paper = next(p for p in papers if p.id == row.id)
        assert row.validation == "extractive"
        for name, cell in row.cells.items():
            if cell.status != "reported":
                assert _empty(cell), (row.id, name)
            elif cell.source == "abstract":
                assert quote_in(cell.evidence, paper.abstract), (row.id, name)
            else:
                assert cell.evidence == f"title: {paper.title}", (row.id, name)


def _table(mode: Literal["model", "extractive"]) -> CompareTable:
    rows = [extractive_row(p, COLUMNS) for p in (POLYP, DATASET_PAPER)]
    return CompareTable(topic="polyps", columns=COLUMNS, mode=mode, rows=rows, footer={})


def test_every_format_says_the_table_is_extractive() -> None:
    table = _table("extractive")
    rows = list(csv.DictReader(io.StringIO(to_csv(table))))
    assert [r["id"] for r in rows] == ["title:polyp", "title:polyp-data"]
    assert all(r["mode"] == "extractive" for r in rows)
    assert json.loads(to_json(table))["mode"] == "extractive"
    markdown = to_markdown(table)
    table_end = markdown.index("### Evidence")
    assert "Extractive table: no model filled it" in markdown[:table_end]
    last_table_line = max(i for i, line in enumerate(markdown.splitlines()) if line.startswith("|"))
    under = markdown.splitlines()[last_table_line + 2]
    assert "without a model" in under and "extractive" in under


def test_a_model_table_is_not_labelled_extractive() -> None:
    table = _table("model")
    assert {r["mode"] for r in csv.DictReader(io.StringIO(to_csv(table)))} == {"model"}
    assert json.loads(to_json(table))["mode"] == "model"
    assert "xtractive" not in to_markdown(table)


def test_the_csv_label_column_does_not_clash_with_a_column_named_mode() -> None:
    table = CompareTable(topic=None, columns=["mode"], mode="model", rows=[], footer={})
    header = next(csv.reader(io.StringIO(to_csv(table))))
    assert header == ["id", "title", "table_mode", "mode", "mode_evidence"]


def test_title_evidence_is_escaped_in_markdown() -> None:
    paper = Paper(
        id="title:pipe",
        title="Lesion segmentation | a pipe in the title",
        abstract="Lesions are hard to see.",
    )
    table = CompareTable(
        topic=None,
        columns=["task"],
        mode="extractive",
        rows=[extractive_row(paper, ["task"])],
        footer={},
    )
    evidence = to_markdown(table).split("### Evidence")[1]
    assert "segmentation \\| a pipe" in evidence
