"""Cue words for the extractive comparison table: each column's value found in a paper's
title and abstract without a model, or nothing.

Every function takes the title and the abstract's sentences and returns a ``Found``
(the value as the paper writes it, the sentence or title that holds it, and whether it
came from the title) or ``None``. They prefer leaving a cell empty to guessing, so each
looks only where its kind of value is stated:

- the paper's own work is in its title and in the sentences that say what the paper
  does ("we propose ...", "this study introduces ..."); sentences before the first of
  those, and sentences opening with "Despite", "Although", "Existing ...", are
  background, as are the BACKGROUND / OBJECTIVE / METHODS parts of a structured abstract;
- task: a task noun (segmentation, machine translation, hypothesis testing, forecasting,
  ...) with the words that qualify it, in a sentence that says what the paper does (not
  in its Results), else in the title (after its "for", if it has one);
- metrics: a metric name (Dice, BLEU, AUC, perplexity, RMSE, odds ratio, ...) only with a
  value next to it ("mAP 45.2", "an AUC of 0.93"), so "a global map" is not mAP;
- results: the first sentence of the paper's own work that reports a measurement (a
  metric with its value, a p-value, a number with a comparison or a result verb) or a
  comparison ("outperforms", "better than");
- datasets: a dataset the paper introduces (its title "X: A ... Dataset", "we present X,
  a dataset ..."), else the names the abstract gives datasets, benchmarks and cohorts;
- modality: the medical-imaging profile's column, from that profile's vocabulary
  (``reviewer.profiles.medical_imaging``); empty in papers outside that field.

The vocabularies of the other columns (tasks, metrics, datasets) are field-neutral.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from reviewer.grounding import STOPWORDS
from reviewer.profiles.medical_imaging import MODALITY, has_medical_context, modalities


def _words(text: str, lower: bool = False) -> frozenset[str]:
    return frozenset(w.lower() if lower else w for w in text.split())


class Found(NamedTuple):
    value: str
    evidence: str
    from_title: bool = False


# -- where the paper speaks of its own work ---------------------------------------------

_HEADING_WORD = (
    "BACKGROUND|CONTEXT|INTRODUCTION|OBJECTIVES?|AIMS?|PURPOSE|METHODS?|MATERIALS|DESIGN|"
    "SETTINGS?|PARTICIPANTS|PATIENTS|SUBJECTS|INTERVENTIONS?|(?:MAIN )?OUTCOME MEASURES?|"
    "MEASUREMENTS|DATA SOURCES|STUDY SELECTION|DATA EXTRACTION|STUDY APPRAISAL|"
    "DATA SYNTHESIS|RESULTS?|FINDINGS|CONCLUSIONS?|INTERPRETATION|"
    "(?:SYSTEMATIC REVIEW |TRIAL )?REGISTRATION"
)
# "DESIGN, SETTING, AND PARTICIPANTS", "MATERIALS AND METHODS": the first word decides.
_HEADING_WORDS = rf"(?:{_HEADING_WORD})(?:(?:,\s*|\s+|,\s+)(?:AND\s+)?(?:{_HEADING_WORD}))*"
# A heading of a structured abstract: upper case before a capital or a digit, or a
# capitalised word with a colon ("Results:").
_HEADING = re.compile(
    rf"(?:^|(?<=\s))(?:(?P<upper>{_HEADING_WORDS})(?=\s+[A-Z0-9(])|"
    r"(?P<colon>Background|Context|Introduction|Objectives?|Aims?|Purpose|Methods?|"
    r"Materials and Methods|Design|Setting|Participants|Results?|Findings|Conclusions?)"
    r"(?=:))"
)
_SECTION_OF = {
    "result": "result",
    "results": "result",
    "findings": "result",
    "conclusion": "conclusion",
    "conclusions": "conclusion",
    "interpretation": "conclusion",
    "background": "background",
    "context": "background",
    "introduction": "background",
    "objective": "background",
    "objectives": "background",
    "aim": "background",
    "aims": "background",
    "purpose": "background",
}

_CONTRIBUTION = re.compile(
    r"\b(?:we|our (?:study|work|paper)|this (?:paper|work|study|article|letter|survey|review)"
    r"|in this (?:paper|work|study|article|letter|survey|review))\b"
    r"(?:\W+\w+){0,6}?\W+"
    r"(?:propos|present|introduc|develop|describ|report|design|devis|build|buil|construct|"
    r"curat|releas|deriv|investigat|stud|explor|address|tackl|appl|evaluat|examin|consider|"
    r"provid|conduct|perform|analy[sz]|focus|formulat|establish|engineer|creat|collect)\w*",
    re.IGNORECASE,
)
_IN_THIS = re.compile(
    r"(?:\bin this (?:paper|work|study|article|letter)\b|^here\b),?\s*we\b", re.IGNORECASE
)
_BACKGROUND_START = re.compile(
    r"^(?:despite|although|though|while|whereas|however|recently|traditionally|"
    r"conventionally|currently|historically|in recent years|over the (?:past|last)|to date|"
    r"existing|current|previous|prior|most|many|commonly|typically|in spite of|due to)\b",
    re.IGNORECASE,
)
# Background is told in the present perfect ("deep learning has markedly improved ...").
_BACKGROUND_ANY = re.compile(
    r"\b(?:previously|(?:have|has) (?:\w+ly )?(?:been )?(?:shown|achieved|emerged|attracted|"
    r"demonstrated|improved|advanced|revolutionized|revolutionised|transformed|enabled|become|"
    r"gained|made|seen|witnessed|reshaped|driven)|remains?|remained)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"\b(?:may|might|could|would|will|should|hypothes[ie]s|hypothesized|whether|aims? to|"
    r"aimed to|to determine|to investigate|to assess|to evaluate|to compare|to describe)\b",
    re.IGNORECASE,
)
_METHOD = re.compile(
    r"\b(?:defined as|(?:was|were|is|are) used to|considered (?:statistically )?significant|"
    r"significance was (?:set|inferred|defined|accepted)|"
    r"were (?:randomi[sz]ed|enrolled|included|recruited)|we (?:used|trained|fine-tuned))\b",
    re.IGNORECASE,
)


class Sentence(NamedTuple):
    text: str  # without a leading heading of a structured abstract
    section: str  # "result", "conclusion", "background", "method" or "" (unstructured)
    own: bool  # at or after the first sentence saying what the paper does
    contribution: bool
    background: bool


def read_sentences(sentences: Sequence[str]) -> list[Sentence]:
    """The abstract's sentences with where they stand: the structured-abstract section
    they open in, whether they come at or after the paper's first "we propose"-like
    sentence, and whether they read as background."""
    out: list[Sentence] = []
    section = ""
    seen_own = False
    for raw in sentences:
        text = raw
        start = _HEADING.match(raw)
        if start:
            section = _section(start)
            text = raw[start.end() :].lstrip(" :")
        opening_section = section
        for heading in _HEADING.finditer(raw):
            section = _section(heading)
        contribution = bool(_CONTRIBUTION.search(text) or _IN_THIS.search(text)) and not (
            re.search(r"\bpreviously\b", text, re.IGNORECASE) or _BACKGROUND_START.search(text)
        )
        seen_own = seen_own or contribution
        background = bool(
            _BACKGROUND_START.search(text)
            or _BACKGROUND_ANY.search(text)
            or opening_section == "background"
        )
        out.append(Sentence(text, opening_section, seen_own, contribution, background))
    if not any(s.own for s in out):
        # No sentence says "we ...": all but the opening (context) sentence count.
        out = [s._replace(own=i > 0) for i, s in enumerate(out)]
    return out


def _section(match: re.Match[str]) -> str:
    word = (match.group("upper") or match.group("colon") or "").lower()
    return _SECTION_OF.get(word.split()[0].rstrip(",") if word else "", "method")


# -- numbers that are values ------------------------------------------------------------

# A measured value: a decimal or a percentage, a count "N-fold", or an integer with a unit
# of measure; not part of a name (ResNet-50, CAMELYON16, PM2.5, 3D, 5-click) and not a
# p-value.
_VALUE = re.compile(
    r"(?<![\w.@/-])(?<!\w-)(?:[-+]?\d+\.\d+|\d+(?:\.\d+)?\s*\\?%|\d+(?:\.\d+)?-fold|"
    r"\d+(?:\.\d+)?\s*(?:dB|points?|pp)\b|[-+]?\.\d+)(?![\w.]*[A-Za-z]{2})"
)
_P_VALUE = re.compile(
    r"\b[Pp]\s*(?:[<>=≤≥]|less than|greater than|value (?:of|was|<|=))\s*[0.]*\.?\d", re.I
)


def _is_version(text: str, match: re.Match[str]) -> bool:
    """A model or software version ("Gemini 2.5 Pro", "Qwen 2.5 32b") is not a value."""
    return bool(
        re.search(r"\b[A-Z][\w-]*\s$", text[: match.start()])
        and re.match(r"\s+(?:[A-Z]|\d+[bBmM]\b)", text[match.end() :])
        and "." in match.group(0)
        and not _METRIC.search(text[max(0, match.start() - 25) : match.start()])
    )


def _values(text: str) -> list[re.Match[str]]:
    return [
        m
        for m in _VALUE.finditer(text)
        if not _is_version(text, m) and not _P_VALUE.search(text[max(0, m.start() - 14) : m.end()])
    ]


# -- metrics ----------------------------------------------------------------------------

_METRIC_WORDS = (
    r"(?:top-[15] |balanced |mean |overall |summary )?accuracy|(?:mean )?average precision|"
    r"precision|recall(?:@\d+)?|sensitivity|specificity|F1(?:[- ]?score)?|F-1(?: score)?|"
    r"F-(?:measure|score)|(?:mean )?Dice(?: similarity coefficient| score| coefficient)?|"
    r"Jaccard(?: index)?|(?:m)?IoU|AUROC|AUPRC|(?:ROC-)?AUC|area under the (?:\w+ ){0,3}curve|"
    r"C-index|concordance index|perplexity|(?:word|character|bit|top-[15]) error rate|"
    r"error rate|exact match|BLEU(?:-\d)?|ROUGE(?:-[12L])?|METEOR|CIDEr|BERTScore|chrF|"
    r"mean absolute error|(?:root )?mean squared? error|coefficient of determination|"
    r"(?:Pearson|Spearman)(?:'s)?(?: rank)?(?: correlation)?(?: coefficients?)?|"
    r"(?:quadratic weighted |Cohen's )?kappa|Matthews correlation(?: coefficient)?|"
    r"hazard ratio|odds ratio|relative risk|risk ratio|Hausdorff distance|"
    r"(?:mean )?absolute difference|NDCG(?:@\d+)?|MRR|Hits@\d+|success rate|hit rate|"
    r"code coverage|PSNR|SSIM|LPIPS|FID|HD95|ASSD|MCC|NSD|WER|CER|EER|FLOPs"
)
# Upper-case short names are matched as written: "mAP" is a metric, "map" is not.
_METRIC = re.compile(
    r"(?<![\w-])(?:(?i:"
    + _METRIC_WORDS
    + r")|mAP(?:@[\d.:]+(?:-[\d.]+)?|50|75)?|AP(?:@[\d.:]+(?:-[\d.]+)?|50|75)?|"
    r"MAE|MSE|RMSE|MAPE|R\^?2|R²|DSC|HR|OR|RR|r(?=\s*=))(?![\w-])"
)


# Everyday words ("parental recall when the participants were children (1.02") need their
# value right after them: "recall of 0.84", "accuracy (0.8411)", "sensitivity was 92.9%".
_PLAIN_METRIC = re.compile(
    r"(?:accuracy|precision|recall|sensitivity|specificity|coverage|rate)$", re.IGNORECASE
)
_TIGHT_GAP = re.compile(
    r"\s*(?:\(|\[|:|=|,)?\s*(?:(?:of|was|were|is|are|reached|reaching|achieved|at|by)\s+)?"
    r"(?:(?:about|approximately|around|up to|only|over|nearly|an?)\s+)?[(\[]?\s*$",
    re.IGNORECASE,
)


def _metrics_with_values(text: str) -> list[str]:
    """Metric names in ``text`` with a value within a few words after them (or just
    before them: "93.4% DICE")."""
    values = _values(text)
    names: list[str] = []
    for match in _METRIC.finditer(text):
        after = [v for v in values if 0 <= v.start() - match.end() <= 80]
        before = [v for v in values if 0 <= match.start() - v.end() <= 25]
        gap_before = text[before[-1].end() : match.start()] if before else ""
        gap_after = text[match.end() : after[0].start()] if after else ""
        if after and _PLAIN_METRIC.search(match.group(0)):
            after_ok = bool(_TIGHT_GAP.match(gap_after))
        else:
            after_ok = bool(after) and _no_other_clause(gap_after)
        before_ok = bool(before) and len(gap_before.split()) <= 3
        if after_ok or (before_ok and not re.search(r"[;()]", gap_before)):
            names.append(match.group(0))
    seen: set[str] = set()
    unique = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            unique.append(name)
    return unique


def _no_other_clause(gap: str) -> bool:
    return not re.search(r"[;]|\b(?:while|whereas|but|which|where)\b", gap)


def metrics(sentences: Sequence[Sentence]) -> Found | None:
    for s in sentences:
        if s.background and s.section != "result":
            continue
        names = _metrics_with_values(s.text)
        if names:
            return Found(", ".join(names), s.text)
    return None


# -- results ----------------------------------------------------------------------------

_RESULT_VERB = re.compile(
    r"\b(?:outperform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|exceed(?:s|ed|ing)?|beat(?:s|ing)?|"
    r"achiev(?:e|es|ed|ing)|attain(?:s|ed|ing)?|reach(?:es|ed|ing)?|yield(?:s|ed|ing)?|"
    r"obtain(?:s|ed|ing)?|improv(?:e|es|ed|ing|ements?)|reduc(?:e|es|ed|ing)|"
    r"increas(?:e|es|ed|ing)|decreas(?:e|es|ed|ing)|enhanc(?:e|es|ed|ing)|boost(?:s|ed|ing)?|"
    r"(?:improvements?|gains?|reductions?)(?=\s+(?:of|in|over|by|across|on|up|compared)\b))\b",
    re.IGNORECASE,
)
_STRONG_COMPARISON = re.compile(
    r"\b(?:outperform\w*|surpass\w*|exceed(?:s|ed|ing)?)\b", re.IGNORECASE
)
_COMPARATIVE = re.compile(
    r"\b(?:than|compared (?:to|with)|vs\.?|versus|state-of-the-art|SOTA|baselines?|"
    r"competitors?|counterparts|existing (?:methods|approaches|techniques)|significantly|"
    r"significant|superior|best (?:results?|performance|accuracy|scores?)|better|"
    r"(?:higher|lower)(?!\s+bound)|over (?:the |existing |other |previous |"
    r"prior |competing |all |several )?(?:methods|approaches|techniques|baselines|models))\b",
    re.IGNORECASE,
)
_FINDING = re.compile(
    r"\b(?:we (?:find|found|show|showed|observe|observed)|(?:found|showed|shows|show|"
    r"demonstrated?|demonstrates|revealed?|reveals|indicated?|indicates|confirmed?|"
    r"confirms) that|(?:was|were) able to|is shown to|are shown to|(?:experiments?|"
    r"evaluations?|results|findings|analys[ie]s|validation|study) (?:\w+ ){0,6}?"
    r"(?:show|shows|showed|demonstrate|demonstrates|demonstrated|reveal|reveals|revealed|"
    r"indicate|indicates|confirm|confirms|verify|verifies))\b",
    re.IGNORECASE,
)


def is_result(s: Sentence) -> bool:
    """Does the sentence report a measured result of the paper's own work?"""
    text = s.text
    if s.section in ("background", "method") or not s.own:
        return False
    if s.background or _METHOD.search(text):
        return False
    if _metrics_with_values(text):
        return True
    if s.contribution:
        # "We conduct a comparative study of a state-of-the-art model" is not a result.
        return bool(_P_VALUE.search(text) or _STRONG_COMPARISON.search(text))
    values = _values(text)
    measured = bool(values) or bool(_P_VALUE.search(text))
    # In a Results section a proportion or a p-value is a result ("Median follow-up was
    # 6.3 years" is not).
    if s.section == "result" and (any("%" in v.group(0) for v in values) or _P_VALUE.search(text)):
        return True
    if _HEDGE.search(text):
        return False
    if _P_VALUE.search(text):
        return True
    if _STRONG_COMPARISON.search(text):
        return True
    verb = bool(_RESULT_VERB.search(text))
    comparison = bool(_COMPARATIVE.search(text))
    finding = bool(_FINDING.search(text))
    if measured and (verb or comparison or finding):
        return True
    return (verb and comparison) or (finding and comparison)


def results(sentences: Sequence[Sentence]) -> Found | None:
    for s in sentences:
        if is_result(s):
            return Found(s.text, s.text)
    return None


# -- task -------------------------------------------------------------------------------

_TASK = re.compile(
    r"(?<![\w-])(?:segmentation|classification|detection|registration|reconstruction|"
    r"generation|synthesis|prediction|forecasting|estimation|locali[sz]ation|tracking|"
    r"recognition|retrieval|ranking|recommendation|(?:machine|language|speech|neural machine) "
    r"translation|summari[sz]ation|question answering|parsing|tagging|captioning|denoising|"
    r"super-resolution|inpainting|clustering|diagnosis|prognosis|grading|screening|triage|"
    r"staging|subtyping|testing|verification|fuzzing|prioriti[sz]ation|compression|pruning|"
    r"quantization|pre-?training|representation learning|dimensionality reduction|"
    r"imputation)(?![\w-])",
    re.IGNORECASE,
)
# A task noun used as a modifier ("segmentation model") is a weaker cue than as the head.
_MODIFIED = re.compile(
    r"^\s+(?:models?|networks?|frameworks?|modules?|heads?|masks?|maps?|results?|loss|"
    r"labels?|pipelines?|systems?|backbones?|architectures?|encoders?|decoders?|"
    r"algorithms?|methods?|approach(?:es)?|techniques?|tools?|tasks?|performance|accuracy|"
    r"quality|benchmarks?|datasets?|data)\b",
    re.IGNORECASE,
)
# Words that end the qualifiers before a task noun: function words, evaluative adjectives
# ("accurate polyp segmentation"), verbs ("applying object detection").
_NOT_MODIFIER = STOPWORDS | _words(
    "accurate efficient robust automatic automated novel effective improved better fast "
    "simple new reliable precise general practical scalable corresponding enhance enhancing "
    "improve improving applying using performing enabling achieving leveraging addressing "
    "tackling including providing exploring investigating combining integrating employing "
    "utilizing utilising allowing facilitating enable support supporting perform achieve "
    "facilitate address propose present introduce study studies studied approach article "
    "paper work proposes proposed presents presented introduces introduced develop develops "
    "developed describe describes investigate investigates explore explores examine examines "
    "addresses tackle apply applies adopt adopts use uses consider considers provide "
    "provides conduct evaluate evaluates designing examining developing evaluating proposing "
    "building existing popular several classic classical following conventional traditional "
    "standard various common first researchers improves generate generates enables supports "
    "learn learns learned "
    "achieves performs allows best towards toward via based its their our a an the of in on "
    "for to and or with by from is are be without within across under over through into per "
    "among between against while where which that"
)
_TOKEN = re.compile(r"[\w'’][\w'’-]*$")


def _task_phrase(text: str, after_for: bool = False) -> str | None:
    """The task noun of ``text`` with up to three words before it that qualify it and an
    "of ..." after it: the first one used as a head noun (not "segmentation model"),
    and, in a title, the first after " for " (what the paper is for)."""
    matches = list(_TASK.finditer(text))
    if not matches:
        return None
    heads = [m for m in matches if not _MODIFIED.match(text[m.end() :])] or matches
    if after_for:
        purpose = re.search(r"\s(?:for|towards?)\s", text)
        goal = [m for m in heads if purpose and m.start() > purpose.start()]
        heads = goal or heads
    match = heads[0]
    words = text[: match.start()].split(" ")[:-1]
    modifiers: list[str] = []
    while words and len(modifiers) < 3:
        word = words.pop()
        # A verb ("applying", "enhance") ends the qualifying words.
        if not _TOKEN.match(word) or word.lower() in _NOT_MODIFIER:
            break
        modifiers.insert(0, word)
    phrase = " ".join([*modifiers, match.group(0)])
    tail = re.match(r" of ((?:[\w-]+ ?){1,4})", text[match.end() :])
    if tail:
        kept = []
        for word in tail.group(1).split():
            if word.lower() in _NOT_MODIFIER:
                break
            kept.append(word)
        if kept:
            phrase += " of " + " ".join(kept)
    return phrase


def task(title: str, sentences: Sequence[Sentence]) -> Found | None:
    # What the paper says it does, outside its results ("we study X across diagnosis,
    # medication and procedure" in a Results section is an analysis, not the task).
    for s in sentences:
        if s.contribution and s.section != "result":
            phrase = _task_phrase(s.text)
            if phrase:
                return Found(phrase, s.text)
    phrase = _task_phrase(title, after_for=True)
    if phrase:
        return Found(phrase, title, from_title=True)
    return None


# -- datasets ---------------------------------------------------------------------------

_DATA_WORD = (
    r"(?:datasets?|data sets?|benchmarks?|challenges?|cohorts?|corpus|corpora|databases?)"
    r"(?!\s+(?:distillation|shift|bias|size|condensation|pruning|creation|construction))"
)
# A name token: capitalised (Kvasir, BraTS, LUNA16, APTOS-2019, GMAI-VL-5.5M) or a digit
# followed by letters (3DIRCADb).
_NAME_TOKEN = r"(?:[A-Z][\w'’-]*(?:\.\d[\w-]*)?|\d[\w-]*[A-Za-z][\w-]*)"
_NAME = rf"{_NAME_TOKEN}(?:[ -]{_NAME_TOKEN}){{0,3}}"
# A strong token has a second capital or a digit: a name, not a capitalised word.
_STRONG_TOKEN = re.compile(r"^(?=.*(?:[A-Z].*[A-Z]|\d))[A-Z0-9][\w'’.-]*$")
_GENERIC = _words(
    "Public Private Clinical Medical Large New Real Real-World Synthetic Benchmark Training "
    "Test Testing Validation External Internal Independent In-house Multi-center "
    "Multi-Center Multicenter Single Our The This These Those A An Two Three Four Five Six "
    "Several Multiple Other Existing Standard Popular Common Open Open-Source Various "
    "Different Both Each All Many Large-Scale Small Additional OOD ID IID WSI WSIs 2D 3D 4D "
    "RGB RGB-D EHR EHRs ICU AI ML DL NLP LLM LLMs Deep Learning Imaging Image Images Video "
    "Text Data COVID-19 Human Mouse MR MRI CT PET OCT US DCE DWI ADC FLAIR T1 T2 T1w T2w In "
    "On For With From Using Experiments Results Evaluation",
    lower=True,
)
_COUNT = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|several|multiple|many|various|"
    r"diverse|different|other|some|\d+)\s+$",
    re.IGNORECASE,
)
_NAMED_BEFORE = re.compile(
    rf"(?P<list>(?:{_NAME}(?:\s+\d{{4}})?,\s+)*{_NAME}(?:\s+\d{{4}})?,?\s+and\s+)?"
    rf"(?P<name>{_NAME})(?:\s+\d{{4}})?(?P<gap>(?:\s+[a-z][\w-]*){{0,3}}?)\s+{_DATA_WORD}\b"
)
_LIST_AFTER = re.compile(
    rf"{_DATA_WORD}\s*(?P<intro>[:(]|,?\s*(?:including|such as|namely|i\.e\.,?|e\.g\.,?))?"
    rf",?\s*(?P<names>{_NAME}(?:,\s*(?:and\s+)?{_NAME}|\s+and\s+{_NAME})*)"
)
_STUDY_NAME = re.compile(
    rf"(?P<name>(?:{_NAME_TOKEN}\s+){{1,3}}(?:Study|Project|Initiative|Biobank|Registry|"
    rf"Register|Survey|Consortium|Cohort))\b"
)
_INTRODUCES = re.compile(
    r"\b(?:present|introduc|releas|curat|construct|build|buil|collect|creat|propos|describ)\w*"
    r"[^.]{0,120}?\b(?:dataset|data set|benchmark|corpus|database)\b",
    re.IGNORECASE,
)
# "Kvasir-SEG: A Segmented Polyp Dataset", "Codehacks: A Dataset of ...": the data word
# heads the subtitle ("X: Classification via Dataset Distillation" is not one).
_TITLE_DATASET = re.compile(
    r"^(?P<name>[A-Z][\w.-]*[A-Z0-9][\w-]*|[A-Z][\w-]+)\s*:\s*(?:An?|The)\s+[^:]*?\b"
    r"(?:Dataset|Data Set|Benchmark|Corpus|Database)s?"
    r"(?=\s*$|\s*[:,.(\u2013-]|\s+(?:of|for|with|from|to|on|in|and|that|including)\b)",
    re.IGNORECASE,
)


def _strip_generic(name: str) -> str:
    words = name.split()
    while words and words[0].lower() in _GENERIC:
        words.pop(0)
    return " ".join(words)


def _is_name(name: str, mid_sentence: bool) -> bool:
    tokens = name.replace("-", " ").split()
    if not tokens or all(t.lower() in _GENERIC for t in tokens):
        return False
    if MODALITY.fullmatch(name) or _METRIC.fullmatch(name):
        return False
    strong = any(_STRONG_TOKEN.match(t) for t in name.split())
    return strong or (mid_sentence and tokens[0].lower() not in _GENERIC)


def _names_in(text: str) -> list[str]:
    """Names the sentence gives datasets, benchmarks and cohorts: "the Kvasir dataset",
    "BraTS and FeTS 2024 datasets", "datasets, EMBED and RSNA-Mammo", "benchmarks
    including COVIDx", "the Nurses' Health Study"."""
    names: list[str] = []
    for m in _NAMED_BEFORE.finditer(text):
        before = text[: m.start()]
        if _COUNT.search(before):  # "three MPG datasets" is a kind, not a name
            continue
        mid = before.lower().endswith("the ")
        name = _strip_generic(m.group("name"))
        words = name.split()
        if (
            len(words) > 1
            and re.fullmatch(r"[A-Z]{2,}\d*", words[-1])
            and not any(_STRONG_TOKEN.match(w) for w in words[:-1])
        ):
            # "the Multimodal Question Summarization MMQS dataset": the acronym.
            words = words[-1:]
            name = words[0]
        gap = m.group("gap").split()
        plain_gap = not any(w.lower() in _NOT_MODIFIER for w in gap)
        strong = any(_STRONG_TOKEN.match(t) for t in words)
        # Words between the name and "dataset" only in "the OASIS-1 brain imaging dataset".
        if not name or not _is_name(name, mid) or (gap and not (strong and plain_gap and mid)):
            continue
        if m.group("list"):
            for part in re.split(r",\s*(?:and\s+)?|\s+and\s+", m.group("list")):
                part = _strip_generic(re.sub(r"\s+\d{4}$", "", part.strip(" ,")))
                if part and _is_name(part, True):
                    names.append(part)
        names.append(name)
    for m in _LIST_AFTER.finditer(text):
        parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", m.group("names"))]
        if len(parts) < 2 and not m.group("intro"):
            continue
        for part in parts:
            # A single name in brackets must look like one: "datasets (P<0.001)" is not.
            if part and _is_name(part, True) and (len(parts) > 1 or _STRONG_TOKEN.match(part)):
                names.append(part)
    for m in _STUDY_NAME.finditer(text):
        name = _strip_generic(m.group("name"))
        if len(name.split()) >= 2:
            names.append(name)
    unique = list(dict.fromkeys(names))
    # "Norwegian Lung Cancer" inside "Norwegian Lung Cancer Biobank": keep the longer.
    return [n for n in unique if not any(n != o and n in o for o in unique)]


def _introduced_name(text: str) -> str | None:
    """The name of a dataset a sentence introduces: "we present X: a dataset ...",
    "a dataset (X)", "a new benchmark called X (ACRONYM)"."""
    if not _INTRODUCES.search(text):
        return None
    head = r"(?:dataset|data set|benchmark|corpus|database)(?!\s+(?:distillation|shift|bias))"
    patterns = (
        rf"\b(?:present|introduce|release|curate|propose|describe|construct|build|create|"
        rf"collect)s?\s+(?:the\s+)?(?P<name>{_NAME_TOKEN})\s*[:,(]\s*(?:an?|the)\s+"
        rf"(?:[\w-]+\s+){{0,5}}?{head}",
        rf"\b{head}\s*\((?P<name>{_NAME_TOKEN})\)",
        rf"\b{head}(?:\s+\w+){{0,3}}?,?\s+(?:called|named|dubbed|coined)\s+(?P<name>{_NAME})"
        rf"(?:\s*\((?P<short>{_NAME_TOKEN})\))?",
    )
    for pattern in patterns:
        m = re.search(pattern, text)
        if m:
            name = m.groupdict().get("short") or m.group("name")
            if _is_name(name, True):
                return name
    return None


def datasets(title: str, sentences: Sequence[Sentence]) -> Found | None:
    m = _TITLE_DATASET.match(title)
    if m and _is_name(m.group("name"), True):
        return Found(m.group("name"), title, from_title=True)
    for s in sentences:
        if s.contribution:
            name = _introduced_name(s.text)
            if name:
                return Found(name, s.text)
    ordered = [s for s in sentences if s.own] + [s for s in sentences if not s.own]
    for s in ordered:
        if s.background and s.section not in ("method", "result"):
            continue
        names = _names_in(s.text)
        if names:
            return Found(", ".join(names), s.text)
    return None


# -- modality (the medical-imaging profile's column) -----------------------------------


def modality(title: str, abstract: str, sentences: Sequence[Sentence]) -> Found | None:
    if not has_medical_context(f"{title} {abstract}"):
        return None
    terms = modalities(title)
    if terms:
        return Found(", ".join(terms), title, from_title=True)
    ordered = [s for s in sentences if s.contribution] + [
        s for s in sentences if s.own and not s.contribution and not s.background
    ]
    ordered += [s for s in sentences if not s.own and not s.background]
    for s in ordered:
        terms = modalities(s.text)
        if terms:
            return Found(", ".join(terms), s.text)
    return None
