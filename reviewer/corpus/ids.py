"""Paper identity: arXiv ids, DOIs, normalized titles and the canonical id.

Canonical id = ``arxiv:<id without version>`` where an arXiv id is known, else
``doi:<lower-case doi>``, else ``title:<hash of the normalized title>``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# New-style ids (0704.0001 onwards: YYMM.NNNN or YYMM.NNNNN) and old-style
# archive ids (hep-th/9901001, math.GT/0309136), each with an optional version.
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_RE = re.compile(rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?", re.IGNORECASE)
_ARXIV_URL_RE = re.compile(
    rf"arxiv\.org/(?:abs|pdf|html)/(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?",
    re.IGNORECASE,
)
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)


def parse_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """Return (id without version, version) from an id, an 'arXiv:' string or an arXiv URL."""
    text = text.strip()
    match = _ARXIV_URL_RE.search(text)
    if match is None:
        candidate = re.sub(r"^(?:arxiv:|oai:arxiv\.org:)", "", text, flags=re.IGNORECASE)
        match = ARXIV_ID_RE.fullmatch(candidate.strip())
    if match is None:
        return None
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def arxiv_id_from_doi(doi: str) -> str | None:
    """arXiv's own DOIs (10.48550/arXiv.2509.06617) carry the id."""
    match = re.fullmatch(r"10\.48550/arxiv\.(.+)", doi.strip(), flags=re.IGNORECASE)
    if match:
        parsed = parse_arxiv_id(match.group(1))
        return parsed[0] if parsed else None
    return None


def normalize_doi(text: str) -> str | None:
    """A bare lower-case DOI from a DOI, 'doi:' string or doi.org URL."""
    text = text.strip()
    text = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text, flags=re.IGNORECASE)
    match = _DOI_RE.match(text)
    if not match:
        return None
    return match.group(1).rstrip(".,;").lower()


def normalize_title(title: str) -> str:
    """Lower-case words of a title, for matching the same paper across sources.

    Accents, punctuation, LaTeX braces and spacing differences vanish; words and
    their order stay, so "iMedImage Technical Report" and "MedGemma Technical
    Report" remain different.
    """
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold()
    # \W, not [^a-z]: Greek, CJK and other letters that do not decompose to
    # ASCII must survive, or "β-VAE" and "α-VAE" become the same title.
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def title_hash(title: str) -> str:
    return hashlib.sha256(normalize_title(title).encode("utf-8")).hexdigest()[:16]


def canonical_id(arxiv_id: str | None, doi: str | None, title: str) -> str:
    if arxiv_id:
        return f"arxiv:{arxiv_id}"
    if doi:
        return f"doi:{doi}"
    return f"title:{title_hash(title)}"
