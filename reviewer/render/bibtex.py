"""Citation keys and BibTeX entries, made from the store's records (never from a model).

A key is the paper's own BibTeX key when it came from a .bib file, else
``<first author's surname><year><title word>`` (``ma2024segmentanything``), or
``<title word><year>`` when the authors are unknown (``mmdinov2-2025``: a hyphen when the
word ends in a digit). The title word is the name a title leads with (``SAM3D: ...``) or
its first two significant words. When several papers of the store share that key, each
gets a hyphen and the first hex digits of a hash of its id (``visionlanguage2025-3fa2``):
the key depends on the paper and the store only, never on which other papers a draft
cites, so every draft made from the same store gives a paper the same key.

The entry type follows what the store knows: the type of the .bib entry the paper came
from, else the venue named by the arXiv journal reference, the venue field or an
"Accepted at ..." comment: ``@article`` with ``journal`` for a journal,
``@inproceedings`` with ``booktitle`` for a conference or workshop, else ``@misc`` with
the arXiv ``eprint``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from reviewer.grounding import STOPWORDS
from reviewer.render.safe import http_url, strip_controls
from reviewer.render.tex import tex_pieces

_KEY_SAFE = re.compile(r"[^a-z0-9]+")
_BIB_KEY = re.compile(r"^[A-Za-z0-9_:./+-]+$")
_TITLE_SKIP = STOPWORDS | {"a", "an", "in", "on", "to", "is", "of", "the", "towards", "toward"}


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _KEY_SAFE.sub("", folded.lower())


def _surname(author: str) -> str:
    author = author.strip()
    if "," in author:  # "Last, First"
        return author.split(",", 1)[0]
    parts = author.split()
    return parts[-1] if parts else ""


def _title_word(title: str) -> str:
    """The name a title leads with ("SAM3D: ..." gives sam3d), else its first two
    significant words run together ("Segment Anything Model for ..." gives
    segmentanything)."""
    head, colon, _ = title.partition(":")
    if colon and len(head.split()) == 1 and 2 <= len(_ascii(head)) <= 24:
        return _ascii(head)
    words = [
        w
        for w in (_ascii(x) for x in re.findall(r"[^\s:;,.!?()\[\]{}\"'/]+", title))
        if len(w) >= 3 and w not in _TITLE_SKIP
    ]
    return "".join(words[:2])[:24] or _ascii(title)[:12] or "paper"


def base_key(paper: Any) -> str:
    if paper.bibtex_key and _BIB_KEY.match(paper.bibtex_key):
        return str(paper.bibtex_key)
    year = str(paper.known_year or "")
    word = _title_word(paper.title)
    surname = _ascii(_surname(paper.authors[0])) if paper.authors else ""
    if surname:
        return f"{surname}{year}{word}"
    if not year:
        return word
    return f"{word}-{year}" if word[-1].isdigit() else f"{word}{year}"


def _id_hash(paper_id: str) -> str:
    return hashlib.sha256(paper_id.encode("utf-8")).hexdigest()


def citation_keys(papers: Iterable[Any], store: Iterable[Any] = ()) -> dict[str, str]:
    """A unique citation key for each paper id, the same in every draft from one store.

    ``store``: every paper of the store (``papers`` are added to it). A paper whose base
    key no other paper shares keeps it; papers that share one each get ``-`` and as many
    hex digits of their id's hash as tell the group apart (four, almost always). Order
    plays no part, so the same paper gets the same key whatever else a draft cites.
    """
    wanted = {p.id: p for p in papers}
    groups: dict[str, dict[str, str]] = {}  # lower-case base key -> {id: base key}
    for paper in (*store, *wanted.values()):
        base = base_key(paper)
        groups.setdefault(base.lower(), {})[paper.id] = base
    keys: dict[str, str] = {}
    for paper_id, paper in wanted.items():
        base = base_key(paper)
        group = groups[base.lower()]
        if len(group) == 1:
            keys[paper_id] = base
            continue
        hashes = {other: _id_hash(other) for other in group}
        width = 4
        while width < 64 and len({h[:width] for h in hashes.values()}) < len(hashes):
            width += 2
        keys[paper_id] = f"{base}-{hashes[paper_id][:width]}"
    return keys


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Plain text safe inside LaTeX (and inside BibTeX field braces); control characters
    (terminal escapes) are dropped."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in strip_controls(text))


def latex_keep_tex(text: str) -> str:
    """Text that may carry TeX (an arXiv title: ``DS$^2$Net``, ``2D \\& 3D``, ``{U-Net}``)
    safe inside LaTeX: the TeX that :mod:`reviewer.render.tex` recognises (math whose every
    command it knows, known commands, escapes, balanced groups, dashes) is kept as
    written, everything else is escaped as :func:`latex_escape` does. An unknown command
    such as ``\\input`` is escaped, so it prints rather than runs."""
    text = strip_controls(text)
    if not any(ch in _LATEX_SPECIAL for ch in text):
        return text
    try:
        pieces = tex_pieces(text)
    except Exception:  # a scanner bug: escape everything, as before
        return latex_escape(text)
    return "".join(
        piece.latex
        if piece.latex is not None
        else piece.source
        if piece.tex
        else latex_escape(piece.source)
        for piece in pieces
    )


def paper_url(paper: Any) -> str | None:
    if paper.abs_url:
        return str(paper.abs_url)
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    return None


# -- entry types ----------------------------------------------------------------------

# Well-known conferences, by the acronym authors write ("MICCAI 2025", "CVPR2025",
# "MIDL'25", "MICCAI-W"). Case matters: "ACL" is a conference, "acl" a ligament.
# fmt: off
_CONFERENCES = (
    "3DV", "AAAI", "ACCV", "ACL", "AISTATS", "BIBM", "BMVC", "CHI", "COLING", "COLT", "CoRL",
    "CVPR", "ECCV", "EMBC", "EMNLP", "ICASSP", "ICCV", "ICIP", "ICLR", "ICML", "ICPR", "ICRA",
    "IJCAI", "IPMI", "IROS", "ISBI", "KDD", "MICCAI", "MIDL", "MIUA", "MLHC", "NAACL", "NeurIPS",
    "NIPS", "SIGGRAPH", "SIGIR", "UAI", "WACV",
)
# fmt: on
_CONFERENCE_RE = re.compile(
    r"(?<![A-Za-z])(?:" + "|".join(_CONFERENCES) + r")(?![A-Za-z])"
    r"|(?i:\b(?:proceedings|conference|workshop|symposium|congress)\b)"
    r"|\bACM (?:Multimedia|MM)\b|\bSPIE Medical Imaging\b",
)
_CONFERENCE_WORDS_RE = re.compile(
    r"\b(?:proceedings|conference|workshop|symposium|congress)\b", re.IGNORECASE
)
# Journals that read like proceedings, and journals without "Journal" in their name.
_JOURNAL_RE = re.compile(
    r"^(?:the )?(?:Proceedings of the (?:National Academy|IEEE\b|Royal Society)|PNAS\b"
    r"|Nature\b|Science\b|Cell\b|The Lancet|Lancet\b|npj |PLOS|Scientific Reports"
    r"|Scientific Data|Frontiers in|Annals of|Medical Image Analysis|Medical Physics"
    r"|Radiology\b|NeuroImage|Neurocomputing|Pattern Recognition\b|IEEE Access"
    r"|Bioinformatics|Information Fusion|Computers in Biology and Medicine"
    r"|Computerized Medical Imaging|Biomedical Signal Processing and Control"
    r"|Engineering Applications of Artificial Intelligence"
    r"|Artificial Intelligence in Medicine|Physics in Medicine|European Radiology"
    r"|TMLR\b|TPAMI\b|IJCV\b|JMLR\b|eLife\b)",
    re.IGNORECASE,
)
_JOURNAL_NAME_RE = re.compile(r"\b(?:journal|transactions|letters)\b", re.IGNORECASE)
# In an arXiv comment, only a venue that accepted the paper counts ("Accepted at MICCAI
# 2025", "Published in Medical Image Analysis", "To appear in ..."), or a clause that is
# just a conference and its year ("CVPR 2025", "NeurIPS 2024 Spotlight"). "Submitted to"
# and "under review" name no venue.
_ACCEPTED_RE = re.compile(
    r"\b(?:accepted|published|to appear|appears|appeared|presented)"
    r"(?:\s+(?:for publication|as an? \w+(?: paper)?))?"
    r"(?:\s+(?:at|to|by|in|for|on))?\s*:?\s*(?:the\s+)?(?P<venue>\S.*)",
    re.IGNORECASE,
)
_BARE_CONFERENCE_RE = re.compile(
    r"^(?P<venue>(?:" + "|".join(_CONFERENCES) + r")(?:['’ -]?(?:19|20)?\d\d))"
    r"(?:\s+(?:oral|spotlight|poster|main conference|workshop))?$",
    re.IGNORECASE,
)
_NOT_ACCEPTED_RE = re.compile(r"\b(?:submitted|under review|in review)\b", re.IGNORECASE)
_CLAUSE_SPLIT_RE = re.compile(r"[;,]|\.\s+|\.$")
_TRAILING_YEAR_RE = re.compile(r"[\s,]+(?:19|20)\d\d$")
_PRESENTATION_RE = re.compile(
    r"\s+(?:\(?(?:for (?:an? )?)?(?:oral|spotlight|poster)(?: presentation)?\)?|main conference)$",
    re.IGNORECASE,
)

# A journal reference as arXiv authors write it: "Medical Image Analysis 95 (2024) 103182",
# "IEEE Transactions on X, vol. 43, no. 2, pp. 100-110, 2024", "Nat. Commun. 16, 1234 (2025)".
_JOURNAL_REF_RE = re.compile(
    r"^(?P<journal>[^\d,]*[A-Za-z.)])[,\s]+(?:vol(?:ume)?\.?\s*)?(?P<volume>\d+)"
    r"(?:\s*\(\s*\d+\s*\))?(?:,?\s*(?:no\.?|issue)\s*\d+)?"
    r"[,:\s]+(?:pp?\.?\s*)?(?P<pages>[A-Za-z]?\d+(?:\s*[-–]+\s*[A-Za-z]?\d+)?)"
    r"(?:,?\s*\(?(?:19|20)\d\d\)?)?\.?$",
    re.IGNORECASE,
)

# Entry types a .bib file may give that an entry here keeps, and the field the venue
# goes to in each.
_KEPT_TYPES = {
    "article": "journal",
    "inproceedings": "booktitle",
    "conference": "booktitle",
    "incollection": "booktitle",
}


def venue_kind(text: str) -> str | None:
    """``"article"`` for a journal's name, ``"inproceedings"`` for a conference or
    workshop, None when the text names neither."""
    text = " ".join(text.split())
    if _JOURNAL_RE.search(text):
        return "article"
    if _JOURNAL_NAME_RE.search(text) and not _CONFERENCE_WORDS_RE.search(text):
        return "article"  # "Transactions of the ACL" is a journal
    if _CONFERENCE_RE.search(text):
        return "inproceedings"
    return None


def comment_venue(comment: str) -> tuple[str, str] | None:
    """The (kind, venue) an arXiv comment says accepted the paper, or None."""
    for clause in _CLAUSE_SPLIT_RE.split(comment):
        clause = clause.strip()
        if not clause or _NOT_ACCEPTED_RE.search(clause):
            continue
        match = _ACCEPTED_RE.search(clause) or _BARE_CONFERENCE_RE.match(clause)
        if match is None:
            continue
        venue = _PRESENTATION_RE.sub("", match.group("venue").strip(" .:"))
        kind = venue_kind(venue)
        if kind is not None:
            return kind, venue
    return None


def journal_ref_parts(text: str) -> tuple[str, str | None, str | None]:
    """(journal, volume, pages) of a journal reference; the whole text as the journal
    when it is not in a form read here."""
    match = _JOURNAL_REF_RE.match(" ".join(text.split()))
    if match is None:
        return text, None, None
    pages = re.sub(r"\s*[-–]+\s*", "--", match["pages"])
    return match["journal"].strip(), match["volume"], pages


def entry_type(paper: Any) -> tuple[str, str | None]:
    """The entry type for a paper and its journal or booktitle (None for @misc).

    The .bib entry's own type when it names a venue; else the arXiv journal reference
    (a conference when it names one, else a journal: arXiv asks for the full reference
    of the published version); else the venue field; else an accepting comment.
    """
    stored = (paper.entry_type or "").lower()
    if stored in _KEPT_TYPES and paper.venue:
        return ("inproceedings" if stored == "conference" else stored), paper.venue
    if paper.journal_ref:
        return venue_kind(paper.journal_ref) or "article", paper.journal_ref
    if paper.venue and (kind := venue_kind(paper.venue)):
        return kind, paper.venue
    if paper.comment and (found := comment_venue(paper.comment)):
        kind, venue = found
        return kind, _TRAILING_YEAR_RE.sub("", venue) if kind == "article" else venue
    return "misc", None


def bib_entry(paper: Any, key: str) -> str:
    """One entry: @article (journal), @inproceedings (booktitle) or @misc, with title,
    authors, year, arXiv eprint, DOI and URL."""
    kind, venue = entry_type(paper)
    # The title keeps its TeX (DS$^2$Net stays DS$^2$Net); the rest is escaped.
    fields: list[tuple[str, str]] = [("title", "{" + latex_keep_tex(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(latex_escape(a) for a in paper.authors)))
    volume = pages = None
    if kind == "article" and venue and venue == paper.journal_ref:
        venue, volume, pages = journal_ref_parts(venue)
    if venue:
        fields.append((_KEPT_TYPES[kind], latex_escape(venue)))
    if volume:
        fields.append(("volume", volume))
    if pages:
        fields.append(("pages", pages))
    year = paper.known_year
    if year:
        fields.append(("year", str(year)))
    if paper.published:
        fields.append(("date", str(paper.published_label)))
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
    if paper.doi:
        fields.append(("doi", paper.doi))
    url = http_url(paper_url(paper))  # biblatex and hyperref make it a link
    if url:
        fields.append(("url", url))
    if kind == "misc" and paper.venue:
        fields.append(("howpublished", latex_escape(paper.venue)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def bib_file(papers: Sequence[Any], keys: dict[str, str]) -> str:
    """The .bib text for these papers, in the order given."""
    return "\n".join(bib_entry(p, keys[p.id]) for p in papers)
