"""The store as a folder of JSON files that a static wiki or site generator can render.

Layout of the output folder::

    index.json                  every paper: id, title, title_text, year, published,
                                published_precision, file, has_summary
    papers/<name>.json          one paper: metadata, abstract, sources, grounded summary
    schema/paper.schema.json    JSON Schema (draft 2020-12) of a paper file
    schema/index.schema.json    JSON Schema of index.json

``<name>`` comes from the canonical id (``arxiv:2509.06617`` ->
``arxiv-2509.06617.json``; see :func:`file_stem`). Exports are reproducible: the
same store and summaries give the same bytes (sorted keys, no timestamps), and
a file is rewritten only when its bytes change. Files of papers that left the
store are removed only when the previous ``index.json`` lists them: nothing
this module did not write is ever deleted.

A stored summary is exported only while it is current, i.e. made from the
paper's present title and abstract (``abstract_hash == paper.text_hash()``);
a stale one is left out and counted.

``title`` and ``abstract`` are the text as the sources gave it, TeX included
(``DS$^2$Net``), which is what a summary's quotes and hashes are checked against;
``title_text`` and ``abstract_text`` are the same text for readers (``DS²Net``,
:func:`reviewer.render.tex.tex_to_text`, without terminal control sequences). The schemas
say so in their descriptions. The links (``abs_url``, ``pdf_url``, ``code_urls``) are
only http(s) ones: a wiki page renders them, and a ``javascript:`` or ``file:`` link from
a feed must not reach it (:mod:`reviewer.render.safe`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from reviewer.corpus.model import Paper
from reviewer.errors import InputError, ReviewerError
from reviewer.fileio import write_atomic
from reviewer.profiles import Profile, load_profile
from reviewer.render.safe import http_url, strip_controls
from reviewer.render.tex import tex_to_text
from reviewer.tasks.summary_model import PaperSummary, SummaryKey, current_summary, summary_model

# 2: summaries follow a profile (index.json names it), title_text and abstract_text.
SCHEMA_VERSION: Literal[2] = 2
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = f"urn:reviewer:wiki:v{SCHEMA_VERSION}:"
INDEX_FILE = "index.json"
PAPERS_DIR = "papers"
SCHEMA_DIR = "schema"

# File names: lower case, [a-z0-9._-] only, stems capped at MAX_STEM characters.
MAX_STEM = 100
HASH_LEN = 12
_UNSAFE = re.compile(r"[^a-z0-9._-]")
_PAPER_FILE = re.compile(rf"^{PAPERS_DIR}/[a-z0-9_-][a-z0-9._-]*\.json$")

_OUT_HINT = (
    "--out takes a new folder, an empty one, or the folder of a previous "
    "`reviewer export wiki`; it will not write into an unrelated folder."
)


# -- the file formats ----------------------------------------------------------------

_TITLE = "The title as the sources gave it, TeX included (arXiv writes 'DS$^2$Net')."
_TITLE_TEXT = (
    "The title for readers: its TeX shown as Unicode text ('DS²Net', 'α', 'U-Net', "
    "'–'); equal to title when it has none. Plain text, not HTML: escape it to display it."
)


class WikiSource(BaseModel):
    """Where one entry of the paper was read from (the file name, never a local path)."""

    model_config = ConfigDict(extra="forbid")

    format: str = Field(description="Reader that parsed it, e.g. 'arxiv-table', 'bibtex'.")
    file: str = Field(description="Base name of the input file, or the http(s) URL it came from.")
    entry: str = Field(description="Position in the source: 'line 12', 'entry 3'.")


class WikiPaper(BaseModel):
    """One paper file, ``papers/<name>.json``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[2] = Field(description="Version of this file format.")
    id: str = Field(description="Canonical id: arxiv:<id>, doi:<doi> or title:<hash>.")
    title: str = Field(description=_TITLE)
    title_text: str = Field(description=_TITLE_TEXT)
    authors: list[str]
    published: date | None = Field(description="First public version.")
    published_precision: Literal["day", "month"] = Field(
        description="'month' when only the year and month of `published` are known "
        "(then stored as the 1st of that month)."
    )
    updated: date | None = Field(description="Latest version seen.")
    year: int | None = Field(description="Year of the first public version (else a source's).")
    venue: str | None
    arxiv_id: str | None = Field(description="arXiv id without version.")
    doi: str | None
    categories: list[str]
    abs_url: str | None
    pdf_url: str | None
    code_urls: list[str]
    other_titles: list[str] = Field(description="Titles other sources gave (revisions, variants).")
    abstract: str = Field(
        description="The abstract as the sources gave it, TeX included; a summary's quotes "
        "occur verbatim in it."
    )
    abstract_text: str = Field(
        description="The abstract for readers: its TeX shown as Unicode text, as "
        "title_text; equal to abstract when it has none."
    )
    abstract_truncated: bool = Field(
        description="True when every known source gives a cut-off abstract."
    )
    sources: list[WikiSource]
    summary: PaperSummary | None = Field(
        description="The grounded summary, or null when there is none made from the "
        "paper's current title and abstract."
    )


class WikiIndexEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str = Field(description=_TITLE)
    title_text: str = Field(description=_TITLE_TEXT)
    year: int | None
    published: date | None
    published_precision: Literal["day", "month"]
    file: str = Field(description="Path of the paper file, relative to index.json.")
    has_summary: bool


class WikiIndex(BaseModel):
    """``index.json``: every exported paper, sorted by id."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[2] = Field(description="Version of this file format.")
    generated_from: str = Field(
        description="sha256 over the exported paper files (names and contents): two exports "
        "of the same papers and summaries carry the same digest, on any machine."
    )
    summary_profile: str = Field(
        description="The summary profile the papers' summaries follow: name@fingerprint. "
        "schema/paper.schema.json describes its fields."
    )
    count: int = Field(ge=0)
    papers: list[WikiIndexEntry]


@functools.lru_cache(maxsize=16)
def wiki_paper_model(profile: Profile) -> type[WikiPaper]:
    """``WikiPaper`` whose ``summary`` has exactly ``profile``'s fields."""
    summary_type = summary_model(profile)
    model: type[WikiPaper] = create_model(
        "WikiPaper",
        __base__=WikiPaper,
        summary=(  # type: ignore[arg-type]
            summary_type | None,
            Field(
                description=f"The grounded summary (profile {profile.label}), or null when "
                "there is none made from the paper's current title and abstract with this "
                "profile."
            ),
        ),
    )
    return model


def json_schemas(profile: Profile | None = None) -> dict[str, dict[str, Any]]:
    """The JSON Schemas of both file formats, by file name under ``schema/``; a paper's
    summary follows ``profile`` (default: the general one)."""
    paper_model = wiki_paper_model(profile or load_profile(None))
    out: dict[str, dict[str, Any]] = {}
    for name, model in (("paper", paper_model), ("index", WikiIndex)):
        schema = model.model_json_schema(mode="serialization")
        out[f"{name}.schema.json"] = {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"{SCHEMA_ID_BASE}{name}",
            **schema,
        }
    return out


# -- file names ---------------------------------------------------------------------


def _id_hash(paper_id: str, length: int = HASH_LEN) -> str:
    return hashlib.sha256(paper_id.encode("utf-8")).hexdigest()[:length]


def file_stem(paper_id: str) -> str:
    """A file-system-safe stem for a canonical id: the prefix's colon becomes '-',
    letters are lower-cased and anything outside [a-z0-9._-] becomes '_'; stems
    longer than MAX_STEM keep their start plus a hash of the whole id.

    ``arxiv:2509.06617`` -> ``arxiv-2509.06617``; ``doi:10.1000/ABC.x`` -> ``doi-10.1000_abc.x``.
    """
    prefix, colon, rest = paper_id.partition(":")
    stem = _UNSAFE.sub("_", (f"{prefix}-{rest}" if colon else paper_id).lower())
    if stem.startswith("."):
        stem = "_" + stem[1:]
    stem = stem or "_"
    if len(stem) > MAX_STEM:
        stem = f"{stem[: MAX_STEM - HASH_LEN - 1]}-{_id_hash(paper_id)}"
    return stem


def assign_file_names(paper_ids: Iterable[str]) -> dict[str, str]:
    """``{id: 'name.json'}``, one distinct name per id. Ids whose stems collide (the
    lower-casing and '_' make that possible) all get a hash of their id appended,
    so the result depends only on the set of ids, not on their order."""
    ids = sorted(set(paper_ids))
    stems = {pid: file_stem(pid) for pid in ids}
    taken = Counter(stems.values())
    for length in (HASH_LEN, 32):
        clashing = [pid for pid in ids if taken[stems[pid]] > 1]
        if not clashing:
            break
        for pid in clashing:
            stems[pid] = f"{stems[pid][: MAX_STEM - length - 1]}-{_id_hash(pid, length)}"
        taken = Counter(stems.values())
    if len(taken) != len(ids):  # would take a SHA-256 collision
        raise ReviewerError("cannot give every paper a distinct file name")
    return {pid: f"{stem}.json" for pid, stem in stems.items()}


# -- building the records ----------------------------------------------------------


def source_file(path: str) -> str:
    """What a source's path becomes in the export: an http(s) URL as it is, a local
    path reduced to its base name (no file of the export names this machine's paths)."""
    if re.match(r"^https?://", path, re.IGNORECASE):
        return path
    name = PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
    return name or path.rstrip("/\\").rsplit("/", 1)[-1]


def wiki_paper(
    paper: Paper, summary: PaperSummary | None, profile: Profile | None = None
) -> WikiPaper:
    return wiki_paper_model(profile or load_profile(None))(
        schema_version=SCHEMA_VERSION,
        id=paper.id,
        title=paper.title,
        title_text=strip_controls(tex_to_text(paper.title)),
        authors=list(paper.authors),
        published=paper.published,
        published_precision=paper.published_precision,
        updated=paper.updated,
        year=paper.known_year,
        venue=paper.venue,
        arxiv_id=paper.arxiv_id,
        doi=paper.doi,
        categories=list(paper.categories),
        abs_url=http_url(paper.abs_url),
        pdf_url=http_url(paper.pdf_url),
        code_urls=[u for u in map(http_url, paper.code_urls) if u],
        other_titles=list(paper.other_titles),
        abstract=paper.abstract,
        abstract_text=strip_controls(tex_to_text(paper.abstract)),
        abstract_truncated=paper.abstract_truncated,
        sources=[
            WikiSource(format=s.format, file=source_file(s.path), entry=s.entry)
            for s in paper.sources
        ],
        summary=summary,
    )


def dumps(data: Any) -> bytes:
    """The one serialization of every file: sorted keys, 2-space indent, UTF-8, final newline."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# -- the output folder ---------------------------------------------------------------


def previous_export(out: Path) -> list[str] | None:
    """Check that ``out`` may be written, before anything is: it must not exist, be an
    empty folder (dot-files aside), or hold an ``index.json`` of a previous export.
    Returns the paper files that export listed (None when there was none)."""
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "exists and is not a folder", hint=_OUT_HINT)
    if not out.exists():
        return None
    index = out / INDEX_FILE
    if not index.is_file():
        if any(not p.name.startswith(".") for p in out.iterdir()):
            raise InputError(
                str(out),
                "is not empty and holds no index.json of a previous export; not writing into it",
                hint=_OUT_HINT,
            )
        return None
    not_ours = InputError(
        str(index), "is not an index.json written by `reviewer export wiki`", hint=_OUT_HINT
    )
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise not_ours from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("schema_version"), int)
        or "generated_from" not in data
        or not isinstance(data.get("papers"), list)
        or not all(isinstance(e, dict) and isinstance(e.get("file"), str) for e in data["papers"])
    ):
        raise not_ours
    return [e["file"] for e in data["papers"]]


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly these bytes; atomic
    (``reviewer.fileio.write_atomic``). True when written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


@dataclass
class ExportCounts:
    papers: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    with_summary: int = 0
    stale_summaries: int = 0
    index_written: bool = False
    schemas_written: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def export_wiki(
    out: Path,
    papers: Iterable[Paper],
    summaries: Mapping[str, Mapping[str, Any]],
    previous: list[str] | None = None,
    profile: Profile | None = None,
    key: SummaryKey | None = None,
) -> ExportCounts:
    """Write the export into ``out`` (checked beforehand with :func:`previous_export`,
    whose answer is ``previous``). ``summaries``: stored summary JSON by paper id; one is
    exported while it is current (its paper's text, and what ``key`` names) and has the
    fields of ``profile`` (default: general)."""
    profile = profile or load_profile(None)
    typed = summary_model(profile)
    by_id = {p.id: p for p in papers}
    names = assign_file_names(by_id)
    counts = ExportCounts(papers=len(by_id))
    entries: list[WikiIndexEntry] = []
    digest = hashlib.sha256()
    try:
        (out / PAPERS_DIR).mkdir(parents=True, exist_ok=True)
        (out / SCHEMA_DIR).mkdir(parents=True, exist_ok=True)
        for pid in sorted(by_id):
            paper = by_id[pid]
            stored = summaries.get(pid)
            summary = current_summary(paper, stored, key)
            if summary is not None:
                try:
                    summary = typed.model_validate(summary.model_dump(mode="json"))
                except ValidationError:
                    summary = None  # made with another profile
            if summary is not None:
                counts.with_summary += 1
            elif stored:
                counts.stale_summaries += 1
            record = wiki_paper(paper, summary, profile)
            rel = f"{PAPERS_DIR}/{names[pid]}"
            text = dumps(record.model_dump(mode="json"))
            digest.update(rel.encode() + b"\0" + text + b"\0")
            if write_if_changed(out / rel, text):
                counts.written += 1
            else:
                counts.unchanged += 1
            entries.append(
                WikiIndexEntry(
                    id=pid,
                    title=paper.title,
                    title_text=record.title_text,
                    year=paper.known_year,
                    published=paper.published,
                    published_precision=paper.published_precision,
                    file=rel,
                    has_summary=summary is not None,
                )
            )
        for name, schema in json_schemas(profile).items():
            counts.schemas_written += write_if_changed(out / SCHEMA_DIR / name, dumps(schema))
        current = {e.file for e in entries}
        for rel in sorted(set(previous or ()) - current):
            target = out / rel
            # Only plain names under papers/ that our own previous index listed.
            if _PAPER_FILE.match(rel) and target.is_file() and not target.is_symlink():
                target.unlink()
                counts.removed += 1
        index = WikiIndex(
            schema_version=SCHEMA_VERSION,
            generated_from=digest.hexdigest(),
            summary_profile=profile.label,
            count=len(entries),
            papers=entries,
        )
        counts.index_written = write_if_changed(
            out / INDEX_FILE, dumps(index.model_dump(mode="json"))
        )
    except OSError as exc:
        where = exc.filename or str(out)
        raise ReviewerError(
            f"cannot write the export: {where}: {exc.strerror or exc}",
            hint="Check the folder's permissions and free space, then run the same command "
            "again: files already written are kept.",
        ) from None
    return counts
