"""Grounding checks shared by every writing task.

A quote is grounded when it occurs verbatim in the source after whitespace
normalization; a number is grounded when the same number occurs in the source;
a name (dataset, metric, modality) is grounded when it occurs in the source,
ignoring case, spacing and punctuation. These checks are deliberately literal:
they cannot tell a good paraphrase from a bad one, but nothing that fails them
is ever printed as fact.
"""

from __future__ import annotations

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
