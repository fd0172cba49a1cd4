"""BibTeX (.bib) files as exported by Zotero, DBLP, ADS, arXiv and Google Scholar.

A small parser of our own rather than a dependency: it keeps line numbers for
every entry, so an error can say where the file is broken, and it refuses a
broken entry instead of skipping it (an ingest must never drop papers quietly).
Field text is LaTeX; reviewer.corpus.latex turns it into plain Unicode.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from reviewer.corpus.ids import arxiv_id_from_doi, normalize_doi, parse_arxiv_id
from reviewer.corpus.latex import decode_latex, split_names
from reviewer.corpus.model import Paper, Source
from reviewer.errors import InputError

FORMAT = "bibtex"
DESCRIPTION = "BibTeX (.bib) from Zotero, DBLP, ADS, arXiv, Google Scholar"

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# BibTeX predefines the month abbreviations as @string macros.
_MONTH_MACROS = {month: month.capitalize() for month in _MONTHS}

# After blank lines and %-comments, the first thing must be an @type{ or @type(.
_SNIFF_RE = re.compile(r"(?:\s*%[^\n]*\n)*\s*@[A-Za-z][\w-]*\s*[{(]")
_AT_ENTRY_RE = re.compile(r"@[A-Za-z][\w-]*\s*[{(]")
_NAME_RE = re.compile(r"[^\s\"#%'(),={}@]+")
_KEY_RE = re.compile(r"[^\s,}]+")
_PAREN_KEY_RE = re.compile(r"[^\s,)]+")
_ENTRY_START_RE = re.compile(r"^[ \t]*@[A-Za-z][\w-]*\s*[{(]", re.MULTILINE)
# A line between entries that looks like a field: an extra '}' closed an entry early.
_STRAY_FIELD_RE = re.compile(r"^[ \t]*([A-Za-z][\w-]*)[ \t]*=[ \t]*[{\"\d]", re.MULTILINE)
_CODE_URL_RE = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|huggingface\.co)/"
    r"[^\s,;{}\"<>\\]+",
    re.IGNORECASE,
)
# Venue names that only say "preprint": the paper has no venue yet.
_PREPRINT_VENUE_RE = re.compile(r"^(?:arxiv\b.*|corr|e-?prints?)$", re.IGNORECASE)
_ADS_JOURNALS = {"apj": "ApJ", "apjl": "ApJL", "apjs": "ApJS", "aj": "AJ", "aap": "A&A"}
_ADS_JOURNALS |= {"mnras": "MNRAS", "pasp": "PASP", "nat": "Nature", "prd": "Phys. Rev. D"}
_SKIP_RE = re.compile(r"(?:\s|%[^\n]*)*")
_QUOTED_RE = re.compile(r'[{}]|(?<!\\)"')
_DELIMITER_RE = {"{": re.compile(r"[{}]"), "(": re.compile(r"[()]")}
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


# Builds the InputError for a problem in the entry being mapped.
_Fail = Callable[[str], InputError]


@dataclass
class _Entry:
    type: str
    key: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)


def sniff(text: str) -> bool:
    return _SNIFF_RE.match(text) is not None


def read(text: str, path: str) -> list[Paper]:
    return [_paper(entry, path) for entry in _Parser(text, path).parse()]


class _Parser:
    """Entries of a .bib file, with @string macros expanded and # concatenated."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.pos = 0
        self.last_braced = (0, 0)  # span of the latest {value}, for a better EOF error
        self.macros: dict[str, str] = dict(_MONTH_MACROS)
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect_right(self._newlines, pos - 1) + 1

    def error(self, problem: str, line: int) -> InputError:
        return InputError(self.path, problem, where=f"line {line}")

    def parse(self) -> list[_Entry]:
        entries: list[_Entry] = []
        seen: dict[str, int] = {}
        last: _Entry | None = None
        while True:
            at = self.text.find("@", self.pos)
            # Text between entries is ignored, unless it looks like a lost field.
            stray = _STRAY_FIELD_RE.search(self.text, self.pos, len(self.text) if at < 0 else at)
            if stray and last is not None:
                raise self.error(
                    f"field '{stray.group(1)}' outside any entry: an extra '}}' probably closed "
                    f"'{last.key}' (line {last.line}) early",
                    self.line(stray.start(1)),
                )
            if at < 0:
                return entries
            before = self.text[max(self.pos, self.text.rfind("\n", 0, at) + 1) : at].strip()
            if before.startswith("%") or (before and not _AT_ENTRY_RE.match(self.text, at)):
                # A commented-out entry, or an '@' in prose (an e-mail address). An '@'
                # that starts a line is an entry, and an error if malformed.
                self.pos = at + 1
                continue
            last = self._block(at)
            if last.type in ("comment", "string", "preamble"):
                continue
            if (previous := seen.get(last.key.casefold())) is not None:
                raise self.error(
                    f"duplicate key '{last.key}' (first at line {previous})", last.line
                )
            seen[last.key.casefold()] = last.line
            entries.append(last)

    def _block(self, at: int) -> _Entry:
        """Parse the @-block at `at`: an entry, or a @string, @preamble or @comment."""
        line = self.line(at)
        self.pos, self.last_braced = at + 1, (0, 0)
        name = _NAME_RE.match(self.text, self.pos)
        kind = name.group().lower() if name else ""
        if name:
            self.pos = name.end()
        opener = self._peek()
        if kind == "comment":
            # BibTeX's @comment takes no argument; most tools write @comment{...}.
            end = self._balanced_end(self.pos) if opener in ("{", "(") else None
            self.pos = end or self.pos
            return _Entry(kind, "@comment", line)
        if not kind or opener not in ("{", "("):
            raise self.error(f"expected '@type{{' at the start of an entry, found '@{kind}'", line)
        closer = "}" if opener == "{" else ")"
        self.pos += 1
        if kind in ("string", "preamble"):
            entry = _Entry(kind, f"@{kind}", line)
            if kind == "preamble":
                self._value(entry, "@preamble")
            else:
                self._fields(entry, closer)
            self._close(entry, closer)
            return entry
        self._peek()
        key = (_KEY_RE if closer == "}" else _PAREN_KEY_RE).match(self.text, self.pos)
        entry = _Entry(kind, key.group() if key else "", line)
        if not entry.key:
            raise self.error(f"@{kind} entry has no key", line)
        self.pos += len(entry.key)
        if self._peek() == ",":
            self.pos += 1
            self._fields(entry, closer)
        elif self._peek() not in ("", closer, "@"):
            raise self.error(f"expected ',' after the key of entry '{entry.key}'", line)
        self._close(entry, closer)
        return entry

    def _fields(self, entry: _Entry, closer: str) -> None:
        """`name = value` pairs separated by commas, up to (not past) the closer.

        In a @string block they define macros; in an entry they are its fields.
        """
        while self._peek() not in ("", closer, "@"):
            name = _NAME_RE.match(self.text, self.pos)
            if name is None:
                raise self.error(
                    f"expected a field name in entry '{entry.key}', found {self._peek()!r}",
                    self.line(self.pos),
                )
            field_name, name_line = name.group().lower(), self.line(name.start())
            self.pos = name.end()
            if self._peek() != "=":
                raise self.error(
                    f"expected '=' after field name '{name.group()}' in entry '{entry.key}'",
                    name_line,
                )
            self.pos += 1
            value = self._value(entry, field_name)
            if entry.type == "string":
                self.macros[field_name] = value
            elif field_name in entry.fields:
                raise self.error(
                    f"duplicate field '{field_name}' in entry '{entry.key}'", name_line
                )
            entry.fields[field_name] = value
            if self._peek() == ",":
                self.pos += 1
            elif self._peek() not in ("", closer, "@"):
                raise self.error(
                    f"expected ',' or '{closer}' after field '{field_name}' in entry "
                    f"'{entry.key}' (missing comma?)",
                    self.line(self.pos),
                )

    def _value(self, entry: _Entry, field_name: str) -> str:
        """A value: parts in {braces}, "quotes", numbers or macro names, joined by #."""
        parts: list[str] = []
        while True:
            here = self._peek()
            if here == "{":
                end = self._balanced_end(self.pos)
                # A value that runs into the next entry lost its closing brace.
                if end is None or _ENTRY_START_RE.search(self.text, self.pos + 1, end):
                    raise self._unclosed(entry, "unbalanced braces in")
                parts.append(self.text[self.pos + 1 : end - 1])
                self.last_braced, self.pos = (self.pos, end), end
            elif here == '"':
                parts.append(self._quoted(entry, field_name))
            elif name := _NAME_RE.match(self.text, self.pos):
                # A number, or an @string macro name (jan..dec are predefined).
                macro = name.group().lower()
                if not macro.isdigit() and macro not in self.macros:
                    raise self.error(
                        f"undefined @string macro '{name.group()}' in field '{field_name}' "
                        f"of entry '{entry.key}'",
                        self.line(self.pos),
                    )
                parts.append(macro if macro.isdigit() else self.macros[macro])
                self.pos = name.end()
            elif here == "":
                raise self._unclosed(entry, "the file ends inside")
            else:
                raise self.error(
                    f"expected a value for field '{field_name}' in entry '{entry.key}', "
                    f"found {here!r}",
                    self.line(self.pos),
                )
            if self._peek() != "#":
                return "".join(parts)
            self.pos += 1

    def _quoted(self, entry: _Entry, field_name: str) -> str:
        """A "..." value; quotes inside braces (or escaped as \\") do not end it."""
        start, depth = self.pos, 0
        for match in _QUOTED_RE.finditer(self.text, start + 1):
            if match.group() == '"' and depth == 0:
                self.pos = match.end()
                return self.text[start + 1 : match.start()]
            depth += {"{": 1, "}": -1}.get(match.group(), 0)
        raise self.error(
            f"unterminated quoted value in field '{field_name}' of entry '{entry.key}' "
            f"(opened at line {self.line(start)})",
            entry.line,
        )

    def _close(self, entry: _Entry, closer: str) -> None:
        here = self._peek()
        if here == closer:
            self.pos += 1
        elif here in ("", "@"):
            # A {value} that swallowed later fields lacks a '}' and ran on to the entry's end.
            swallowed = _STRAY_FIELD_RE.search(self.text, *self.last_braced)
            unbalanced = here == "@" or swallowed is not None
            raise self._unclosed(
                entry, "unbalanced braces in" if unbalanced else "the file ends inside"
            )
        else:
            raise self.error(
                f"expected '{closer}' to close entry '{entry.key}', found {here!r}",
                self.line(self.pos),
            )

    def _unclosed(self, entry: _Entry, problem: str) -> InputError:
        # Report where the entry opened: where parsing noticed is often far below.
        hint = ": truncated file or unbalanced braces?" if problem.startswith("the file") else ""
        return self.error(
            f"{problem} entry '{entry.key}' (opened at line {entry.line}, never closed){hint}",
            entry.line,
        )

    def _balanced_end(self, start: int) -> int | None:
        """Index just past the delimiter matching text[start], or None if never closed.

        Like BibTeX, every brace counts, escaped or not: "\\{" must be paired too.
        """
        depth = 0
        for match in _DELIMITER_RE[self.text[start]].finditer(self.text, start):
            depth += 1 if match.group() in "{(" else -1
            if depth == 0:
                return match.end()
        return None

    def _peek(self) -> str:
        """Skip whitespace and %-comments (JabRef writes them in entries); next char."""
        skipped = _SKIP_RE.match(self.text, self.pos)  # always matches, maybe empty
        self.pos = skipped.end() if skipped else self.pos
        return self.text[self.pos : self.pos + 1]


def _paper(entry: _Entry, path: str) -> Paper:
    """Map one entry's fields to a Paper; the caller assigns the id."""
    fields = entry.fields

    def fail(problem: str) -> InputError:
        return InputError(path, f"{problem} in entry '{entry.key}'", where=f"line {entry.line}")

    title = decode_latex(fields.get("title", ""))
    if not title:
        raise InputError(path, f"entry '{entry.key}' has no title", where=f"line {entry.line}")
    doi = None
    if _plain(fields.get("doi", "")):
        # A malformed DOI or date is a data-quality problem of one field, not a
        # broken file: the entry is kept without it (the raw text stays in the
        # source file) rather than refusing a whole Zotero library over
        # `year = {in press}`.
        doi = normalize_doi(_plain(fields["doi"]))
    arxiv_id, arxiv_version = _arxiv(fields, doi, fail)
    try:
        published = _published(fields, fail)
    except InputError:
        published = None
    primary = _plain(fields.get("primaryclass") or fields.get("eprintclass") or "") or None
    raw_venue = fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle")
    venue = decode_latex(raw_venue or "")
    if ads_macro := re.fullmatch(r"\s*\\([a-z]+)\s*", raw_venue or ""):
        # ADS writes AAS journal macros such as \apj, which LaTeX alone cannot expand.
        venue = _ADS_JOURNALS.get(ads_macro.group(1), ads_macro.group(1))
    url = _plain(fields.get("url", ""))
    abs_url, pdf_url = url or None, None
    url_arxiv = parse_arxiv_id(url) if "arxiv.org/" in url.lower() else None
    if url_arxiv:
        abs_url = f"https://arxiv.org/abs/{url_arxiv[0]}"
        pdf_url = url if "/pdf/" in url.lower() else None
    notes = [decode_latex(fields.get(name, "")) for name in ("note", "annote", "comments")]
    abstract = decode_latex(fields.get("abstract", ""))
    return Paper(
        title=title,
        abstract=abstract,
        abstract_truncated=abstract.endswith(("...", "…")),
        authors=split_names(fields.get("author", "")),
        published=published,
        year=published.year if published else None,
        arxiv_id=arxiv_id,
        arxiv_version=arxiv_version,
        primary_category=primary,
        categories=[primary] if primary else [],
        doi=doi,
        comment="; ".join(note for note in notes if note) or None,
        venue=None if not venue or _PREPRINT_VENUE_RE.match(venue) else venue,
        abs_url=abs_url,
        pdf_url=pdf_url,
        code_urls=_code_urls(fields),
        bibtex_key=entry.key,
        sources=[Source(path=path, format=FORMAT, entry=f"line {entry.line}")],
        entry_type=entry.type,
    )


def _plain(raw: str) -> str:
    """Identifiers and URLs: braces and backslash escapes gone, no other decoding."""
    text = re.sub(r"\\([_&%$#~{}])", r"\1", raw).replace("{", "").replace("}", "")
    return " ".join(text.split())


def _arxiv(fields: dict[str, str], doi: str | None, fail: _Fail) -> tuple[str | None, int | None]:
    """The arXiv id and version from every place the exporters put one."""
    found: list[tuple[str, tuple[str, int | None]]] = []
    eprint = " ".join(_plain(fields.get("eprint", "")).split()[:1])  # drop a " [cs]" suffix
    prefix = _plain(fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    if eprint and prefix in ("", "arxiv"):
        parsed = parse_arxiv_id(eprint)
        if parsed:
            found.append(("eprint", parsed))
    # Mendeley writes arxivId = {2509.06617}.
    if (mendeley := _plain(fields.get("arxivid", ""))) and (parsed := parse_arxiv_id(mendeley)):
        found.append(("arxivid", parsed))
    # DBLP files arXiv preprints as journal = {CoRR}, volume = {abs/2509.06617}.
    volume = _plain(fields.get("volume", ""))
    is_corr = _plain(fields.get("journal", "")).lower() == "corr"
    if is_corr and volume.lower().startswith("abs/") and (parsed := parse_arxiv_id(volume[4:])):
        found.append(("volume", parsed))
    url = _plain(fields.get("url", ""))
    if "arxiv.org/" in url.lower() and (parsed := parse_arxiv_id(url)):
        found.append(("url", parsed))
    if doi and (from_doi := arxiv_id_from_doi(doi)):
        found.append(("doi", (from_doi, None)))
    # Google Scholar: journal = {arXiv preprint arXiv:2509.06617}.
    scholar = re.search(r"arxiv:\s*(\S+)", _plain(fields.get("journal", "")), re.IGNORECASE)
    if scholar and (parsed := parse_arxiv_id(scholar.group(1))):
        found.append(("journal", parsed))
    if not found:
        return None, None
    arxiv_id = found[0][1][0]
    for where, (other, _) in found[1:]:
        if other != arxiv_id:
            raise fail(f"two arXiv ids: {arxiv_id} ({found[0][0]}) and {other} ({where})")
    return arxiv_id, next((version for _, (_, version) in found if version), None)


def _published(fields: dict[str, str], fail: _Fail) -> date | None:
    """First day of what is known: biblatex `date`, else `year` and `month`."""
    raw_date = _plain(fields.get("date", ""))
    if raw_date:
        match = _DATE_RE.match(raw_date)  # a range "2020-01/2020-03" starts the match
        if match is None:
            raise fail(f"unreadable date {raw_date!r}")
        year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    else:
        raw_year = _plain(fields.get("year", ""))
        if not raw_year:
            return None
        match = re.fullmatch(r"\D{0,3}(\d{4})[a-z]?", raw_year)  # "2020", "c2020", "2020a"
        if match is None:
            raise fail(f"unreadable year {raw_year!r}")
        year, month, day = int(match[1]), _month(_plain(fields.get("month", "")), fail), 1
    try:
        return date(year, month, day)
    except ValueError:
        raise fail(f"impossible date {year}-{month:02d}-{day:02d}") from None


def _month(raw: str, fail: _Fail) -> int:
    if not raw:
        return 1
    if raw.isdigit() and 1 <= int(raw) <= 12:
        return int(raw)
    name = raw.lower().rstrip(".")  # "sep", "Sept.", "September"
    if name.isalpha() and name[:3] in _MONTHS:
        return _MONTHS.index(name[:3]) + 1
    raise fail(f"unreadable month {raw!r}")


def _code_urls(fields: dict[str, str]) -> list[str]:
    urls: list[str] = []
    for name in ("url", "note", "howpublished", "code", "comment", "comments", "annote"):
        for match in _CODE_URL_RE.finditer(_plain(fields.get(name, ""))):
            url = match.group().rstrip(".,;:")
            if url.endswith(")") and "(" not in url:
                url = url[:-1]
            if url not in urls:
                urls.append(url)
    return urls
