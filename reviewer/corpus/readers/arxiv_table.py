"""arXiv daily listings as a Markdown table (the layout of the seed listings).

    | **Title** | **Date** | **Abstract** | **Comment** | **CodeRepository** |
    | --- | --- | --- | --- | --- |
    | **[Title](http://arxiv.org/abs/2509.06617v1)** | 2025-09-08 | <details>...
      <p>Abstract</p></details> | ... | None |          (one line in the file)

Columns are found by their header names, so a listing without a Comment or
CodeRepository column reads too. Cells may hold ``<details>`` blocks whose
``<p>`` carries the full text (the ``<summary>`` is a cut-off preview).
"""

from __future__ import annotations

import re

from reviewer.corpus.ids import parse_arxiv_id
from reviewer.corpus.model import Paper, Source, listed_version_dates
from reviewer.errors import InputError

from ._text import clean_html, code_urls_in, looks_truncated, parse_date

FORMAT = "arxiv-table"
DESCRIPTION = "arXiv listing as a Markdown table (Title | Date | Abstract | Comment | Code)"

# A header row with a Title column anywhere in it.
_HEADER_RE = re.compile(
    r"^\|(?:[^|\n]*\|)*?\s*\*{0,2}title\*{0,2}\s*\|", re.IGNORECASE | re.MULTILINE
)
_SEPARATOR_RE = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
_DETAILS_RE = re.compile(r"<details>.*?</details>", re.DOTALL | re.IGNORECASE)
_P_RE = re.compile(r"<p>(.*?)</p>", re.DOTALL | re.IGNORECASE)
_LINK_RE = re.compile(r"\[(?P<text>.*)\]\((?P<url>[^()\s]+)\)", re.DOTALL)


def sniff(text: str) -> bool:
    return bool(_HEADER_RE.search(text[:20000])) and "| ---" in text[:20000]


def _split_cells(line: str) -> list[str]:
    """Split a table row on '|' outside <details> blocks and not escaped as '\\|'."""
    blocks: list[str] = []

    def hide(match: re.Match[str]) -> str:
        blocks.append(match.group(0))
        return f"\x00{len(blocks) - 1}\x00"

    hidden = _DETAILS_RE.sub(hide, line.strip())
    if not (hidden.startswith("|") and hidden.endswith("|")):
        return []
    cells = re.split(r"(?<!\\)\|", hidden[1:-1])
    return [
        re.sub(r"\x00(\d+)\x00", lambda m: blocks[int(m.group(1))], cell)
        .strip()
        .replace("\\|", "|")
        for cell in cells
    ]


def _cell_text(cell: str) -> str:
    """Full text of a cell: the <p> of a <details> block when there is one."""
    paragraphs = _P_RE.findall(cell)
    if paragraphs:
        return clean_html(" ".join(paragraphs))
    return clean_html(cell)


def _header_name(cell: str) -> str:
    return re.sub(r"[^a-z]", "", cell.lower())


def read(text: str, path: str) -> list[Paper]:
    papers: list[Paper] = []
    columns: list[str] | None = None
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped.startswith("|"):
            continue
        if _SEPARATOR_RE.match(stripped):
            continue
        cells = _split_cells(stripped)
        if not cells:
            raise InputError(path, "table row does not end with '|' (cut off?)", f"line {number}")
        names = [_header_name(c) for c in cells]
        if "title" in names:
            columns = names
            continue
        if columns is None:
            raise InputError(path, "table row before the header row", f"line {number}")
        if len(cells) != len(columns):
            raise InputError(
                path,
                f"table row has {len(cells)} cells, the header has {len(columns)}",
                f"line {number}",
            )
        papers.append(_paper_from_row(dict(zip(columns, cells, strict=True)), path, number))
    if columns is None:
        raise InputError(path, "no table header with a Title column")
    return papers


def _paper_from_row(row: dict[str, str], path: str, number: int) -> Paper:
    where = f"line {number}"
    title_cell = row.get("title", "")
    link = _LINK_RE.search(title_cell)
    title = clean_html(link.group("text") if link else title_cell).strip("* ")
    if not title:
        raise InputError(path, "row has no title", where)
    url = link.group("url") if link else None
    arxiv = parse_arxiv_id(url) if url else None

    abstract = _cell_text(row.get("abstract", ""))
    comment = _cell_text(row.get("comment", "")) or None

    code_cell = row.get("coderepository", row.get("code", ""))
    code_urls = []
    if code_cell and code_cell.strip().lower() not in ("none", "n/a", "-"):
        code_urls = [
            m.group("url") for m in re.finditer(r"\((?P<url>https?://[^)\s]+)\)", code_cell)
        ]
        if not code_urls:
            code_urls = re.findall(r"https?://\S+", code_cell)
        code_urls = [url.rstrip("/") for url in code_urls]
    for found in code_urls_in(abstract + " " + (comment or "")):
        if found not in code_urls:
            code_urls.append(found)

    date_text = row.get("date", "")
    listed = parse_date(date_text)
    if date_text and listed is None:
        raise InputError(path, f"unreadable date {date_text!r}", where)
    # The Date column is that of the listed version (the version in the link):
    # only for v1 is it the first-version date.
    dates = listed_version_dates(listed, arxiv[0] if arxiv else None, arxiv[1] if arxiv else None)

    return Paper(
        title=title,
        abstract=abstract,
        abstract_truncated=looks_truncated(abstract),
        **dates,
        arxiv_id=arxiv[0] if arxiv else None,
        arxiv_version=arxiv[1] if arxiv else None,
        abs_url=f"https://arxiv.org/abs/{arxiv[0]}" if arxiv else url,
        comment=comment,
        code_urls=code_urls,
        sources=[Source(path=path, format=FORMAT, entry=where)],
    )
