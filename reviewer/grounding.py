"""Grounding checks shared by every writing task.

A quote is grounded when it occurs verbatim in the source after whitespace
normalization; a number is grounded when the same number occurs in the source;
a name (dataset, metric, modality) is grounded when it occurs in the source,
ignoring case, spacing and punctuation. These checks are deliberately literal:
they cannot tell a good paraphrase from a bad one, but nothing that fails them
is ever printed as fact.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

NOT_REPORTED = "not reported"
_EMPTY_ANSWERS = {
    "",
    "n/a",
    "na",
    "none",
    "null",
    "unknown",
    "not reported",
    "not mentioned",
    "not specified",
    "not stated",
    "not available",
    "-",
}

_WS = re.compile(r"\s+")
_QUOTE_EDGES = "\"'“”‘’«»`"
# 1,234.5 · 0.91 · 12 · 3D's "3" — a digit run with optional decimal/thousands parts.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PUNCT = re.compile(r"[^0-9a-z]+")


def normalize_ws(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def is_not_reported(value: str | None) -> bool:
    return value is None or value.strip().strip(".").lower() in _EMPTY_ANSWERS


def quote_in(quote: str, source: str) -> bool:
    """True when the quote occurs verbatim (whitespace-normalized) in source."""
    q = normalize_ws(quote).strip(_QUOTE_EDGES).strip()
    q = q.rstrip(".").rstrip("…").rstrip() if q.endswith(("...", "…")) else q
    return len(q) >= 8 and q in normalize_ws(source)


def _canonical_number(token: str) -> set[str]:
    """Forms a number token may stand for: 1,234 is 1234; 0,91 may be 0.91."""
    forms = set()
    candidates = {token, token.replace(",", ""), token.replace(",", ".")}
    for candidate in candidates:
        try:
            forms.add(str(Decimal(candidate).normalize()))
        except InvalidOperation:
            continue
    return forms


def numbers_in(text: str) -> list[str]:
    return _NUMBER.findall(unicodedata.normalize("NFKC", text))


def unsupported_numbers(text: str, source: str) -> list[str]:
    """Numbers in text that do not occur in source."""
    known: set[str] = set()
    for token in numbers_in(source):
        known |= _canonical_number(token)
    return [token for token in numbers_in(text) if not (_canonical_number(token) & known)]


def _squash(text: str) -> str:
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def name_in(name: str, source: str) -> bool:
    """True when a short name occurs in source, ignoring case, spacing and punctuation
    ("BraTS 2021" matches "BraTS-2021" and "brats2021")."""
    n = _squash(name)
    if not n:
        return False
    s = _squash(source)
    if f" {n} " in f" {s} ":
        return True
    return n.replace(" ", "") in s.replace(" ", "") and len(n.replace(" ", "")) >= 3


_WORD = re.compile(r"[a-z][a-z0-9]+(?:-[a-z0-9]+)*")
STOPWORDS = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "among",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "here",
        "how",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "more",
        "most",
        "new",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "other",
        "our",
        "out",
        "over",
        "own",
        "paper",
        "propose",
        "proposed",
        "proposes",
        "same",
        "should",
        "show",
        "shows",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "using",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "within",
        "would",
        "work",
        "study",
        "approach",
        "method",
        "methods",
        "model",
        "models",
        "based",
        "use",
        "used",
    ]
)


def content_words(text: str) -> list[str]:
    """Lower-cased words of four letters or more that carry meaning (no stopwords);
    hyphenated compounds count part by part."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    parts = [part for word in words for part in word.split("-")]
    return [w for w in parts if len(w) >= 4 and w not in STOPWORDS]


def is_repetitive(text: str) -> bool:
    """True for degenerate text that keeps repeating a few words (small models loop)."""
    words = content_words(text)
    return len(words) >= 6 and len(set(words)) / len(words) < 0.5


def unsupported_share(text: str, source: str, ignore: frozenset[str] = frozenset()) -> float:
    """Share of text's content words that the source does not contain, counting a word
    as contained when the source has a word with the same first five letters
    ("segmenting" ~ "segmentation"). Words in ``ignore`` are not counted. 0.0 for text
    without content words."""
    words = [w for w in content_words(text) if w not in ignore]
    if not words:
        return 0.0
    known = set(content_words(source))
    stems = {w[:5] for w in known}
    missing = [w for w in words if w not in known and w[:5] not in stems]
    return len(missing) / len(words)


def first_sentence(text: str, limit: int = 300) -> str:
    """The abstract's first sentence (for an extractive TL;DR), cut at ``limit``."""
    text = normalize_ws(text)
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z0-9])", text)
    sentence = text[: match.start()] if match else text
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0] + "…"
    return sentence


def split_sentences(text: str) -> list[str]:
    """Sentences of an abstract: split after . ! ? before a capital or a digit (a
    decimal point or an abbreviation such as "e.g. the" does not split)."""
    text = normalize_ws(text)
    if not text:
        return []
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])", text)
    return [p.strip() for p in parts if p.strip()]


# --- What a number and a sentence are doing (summary checks, issue 13) ---------------

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def normalize_phrase(text: str) -> str:
    """Text compared as a phrase: lower case, no punctuation, no articles (a, an, the),
    single spaces. "The Vision Foundation Models..." and "vision foundation models"
    are the same phrase."""
    return _WS.sub(" ", _ARTICLES.sub(" ", _squash(text))).strip()


# A sign written against a number and after a space or an opening bracket: "+8.0%",
# "(-0.16%)"; not a range's dash ("0.2-0.5", "T1-3").
_SIGNED = re.compile(r"(?:^|(?<=[\s(\[]))[+\-−–]\s?$")
# "improves ... by [up to|about] X": a word of change, then at most 60 characters of
# the same sentence, then "by" right before the number; "improvement(s) [in Dice] of
# X", "gains of up to X": a noun of change, at most three words, then "of", "by" or
# "up to". "improves ..., reaching a Dice of X" is a value.
_QUANTIFIER = (
    r"(?:up to|about|around|approximately|nearly|almost|over|more than|as much as|"
    r"an average of|on average|a factor of|~)?\s*$"
)
_CHANGE_BY = re.compile(
    r"\b(?:improv|gain|increas|boost|outperform|surpass|exceed|rais|enhanc|reduc|decreas|"
    r"lower|drop|beat|accelerat|speed)\w*[^.;!?]{0,60}?\bby\s+" + _QUANTIFIER,
    re.IGNORECASE,
)
_CHANGE_NOUN = re.compile(
    r"\b(?:improvement|gain|increase|boost|margin|reduction|decrease|drop|speed-?up)s?\b"
    r"(?:\s+[^\s.;!?]+){0,3}?\s+(?:of|by|up to)\s+" + _QUANTIFIER,
    re.IGNORECASE,
)
_BY_POINTS_BEFORE = re.compile(r"\bby\s+(?:up to|about|around|~)?\s*$", re.IGNORECASE)
_POINTS_AFTER = re.compile(
    r"^\s*(?:%|percent)?\s*(?:points?|pts?|pp|percentage points?|%p)\b", re.IGNORECASE
)
# "X% higher than", "8.0% improvement", "3 points better".
_CHANGE_AFTER = re.compile(
    r"^\s*(?:%|percent|x|×|times|points?|pts?|pp|percentage points?|%p)?\s*"
    r"(?:absolute\s+|relative\s+)?"
    r"(?:higher|better|more|lower|fewer|less|faster|slower|improvements?|gains?|"
    r"increases?|decreases?|reductions?|drops?|boosts?|margins?)\b",
    re.IGNORECASE,
)


def number_roles(number: str, source: str) -> list[str]:
    """How ``source`` uses each occurrence of ``number`` (the same number, as
    ``unsupported_numbers`` compares them; those written exactly as ``number`` when
    there are any): ``"gain"`` where the occurrence is a
    difference from something else (signed "+8.0%", "improves ... by 8.0%", "8.0%
    higher", "by 3 points"), else ``"value"``. One entry per occurrence, in order; an
    empty list when the number does not occur."""
    text = unicodedata.normalize("NFKC", source)
    wanted = _canonical_number(number)
    found = [
        m
        for m in _NUMBER.finditer(text)
        if _canonical_number(m.group()) & wanted
        and not (m.start() > 0 and text[m.start() - 1].isalnum())  # "v2", "T1"
    ]
    # "2.0" is the "+2.0%" of the text, not its "SAM 2": occurrences written the same
    # way, when there are any, are the ones meant.
    same = [m for m in found if m.group() == number]
    roles: list[str] = []
    for match in same or found:
        start = match.start()
        before = text[max(0, start - 120) : start]
        after = text[match.end() : match.end() + 40]
        gain = bool(
            _SIGNED.search(before)
            or _CHANGE_BY.search(before)
            or _CHANGE_NOUN.search(before)
            or (_BY_POINTS_BEFORE.search(before) and _POINTS_AFTER.match(after))
            or _CHANGE_AFTER.match(after)
        )
        roles.append("gain" if gain else "value")
    return roles


# Words by which a sentence says that something falls short. A floor, not an
# understanding: a quote with none of them does not state a limitation; one with
# them may still not (the check cannot tell).
_LIMITATION_CUES = re.compile(
    r"\b(?:limit\w*|however|but|although|though|yet|only|cannot|can't|unable|inability|"
    r"fail\w*|lack\w*|requir\w*|challeng\w*|difficult\w*|hard|expensive|costly|cost|"
    r"not|no|never|without|restrict\w*|small|few|narrow|single|future work|remain\w*|"
    r"constrain\w*|drawback\w*|shortcoming\w*|weakness\w*|insufficient\w*|struggle\w*|"
    r"degrad\w*|bias\w*|scarc\w*|error-prone|sensitive|depend\w*|rel(?:y|ies|ied) on|"
    r"unclear|unknown|open question\w*|caveat\w*|suboptimal|poor\w*|worse|less)\b",
    re.IGNORECASE,
)


def states_limitation(text: str) -> bool:
    """True when ``text`` has a word by which a sentence states a limitation (limited,
    however, only, cannot, fails, lacks, requires, challenging, not, without, future
    work, remains, ...)."""
    return bool(_LIMITATION_CUES.search(unicodedata.normalize("NFKC", text)))


# Verbs a one-sentence summary states what a paper does or finds with. Only their
# finite forms count (proposes, proposed; not "propose" or "proposing"): a title is a
# noun phrase that may hold a verb's -ing form ("Learning to segment ...") or base.
# Verbs whose -s form is a common plural noun (measures, models, designs, segments)
# are left out.
_VERB_LIST = (
    "achieve address adapt aggregate aim allow analyse analyze apply argue assess attain "
    "augment boost bridge bring build capture categorize classify combine compare "
    "compress conclude confirm consider construct cover create deliver demonstrate derive "
    "describe detect develop discuss distill employ enable enhance establish evaluate examine "
    "exceed exploit explore extend extract find focus formulate generate give handle help "
    "highlight identify improve increase indicate integrate introduce investigate lead learn "
    "leverage lower maintain make mitigate obtain offer optimise optimize outline outperform "
    "overcome perform predict preserve present produce propose prove provide quantify raise "
    "reach reconstruct recommend reduce release rely remain retrieve reveal review seek segment "
    "select show simulate solve suggest summarize surpass survey synthesize tackle take train "
    "unify use utilize validate verify yield require include incorporate play excel struggle "
    "face contain consist support exhibit serve suffer outline hinder limit allow ensure "
    "facilitate produce depend involve"
)
_IRREGULAR = "found shown made gave given took taken brought built became sought proven led"


def _finite_forms(verb: str) -> set[str]:
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return {verb[:-1] + "ies", verb[:-1] + "ied"}
    third = verb + ("es" if verb.endswith(("s", "sh", "ch", "x")) else "s")
    past = verb + ("d" if verb.endswith("e") else "ed")
    return {third, past}


_FINITE = frozenset(
    {form for verb in _VERB_LIST.split() for form in _finite_forms(verb)} | set(_IRREGULAR.split())
)
_BASE = frozenset(_VERB_LIST.split())
_CLAUSE_WORDS = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "does",
        "did",
        "can",
        "could",
        "may",
        "might",
        "will",
        "would",
        "should",
        "must",
        "we",
        "they",
    ]
)
# "A study of how apps run tests", "a method that segments ...": a clause inside.
_INNER_CLAUSE = re.compile(r"\b(?:how|that|whether|which|why|when)\s+\S+\s+\w+", re.IGNORECASE)


def has_verb(text: str) -> bool:
    """True when ``text`` reads as a clause rather than a bare noun phrase: it has an
    auxiliary or modal (is, are, was, has, can, will ...), a subject pronoun (we, they),
    a finite form of a verb a summary uses (proposes, shows, improves, reviewed,
    found ...), one's base form after a plural ("these blocks enhance"), or a clause
    after how, that, whether, which ("A study of how apps run tests"). A word-list
    heuristic: it cannot parse, so "Improved X" passes, and "Advances and Challenges"
    stays a noun phrase because those verbs are not listed."""
    text = unicodedata.normalize("NFKC", text)
    if _INNER_CLAUSE.search(text):
        return True
    words = re.findall(r"[a-z]+", text.lower())
    if any(w in _CLAUSE_WORDS or w in _FINITE for w in words):
        return True
    # A listed verb's base form after a plural ("these blocks enhance ...", "models play").
    return any(
        w in _BASE and len(prev) > 3 and prev.endswith("s") and not prev.endswith("ss")
        for prev, w in itertools.pairwise(words)
    )
