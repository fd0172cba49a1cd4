"""Text a person wrote, read as sentences with the citations each one makes.

``reviewer check FILE`` reads a Markdown or LaTeX file (a related-work section, a
draft) and checks every sentence against the papers in the store. This module does the
reading: it finds the prose (headings, code, tables, comments, floats and display math
are not prose), cuts it into sentences, takes each sentence's citation markers out and
remembers the line it starts on. ``read_bib`` reads the ``--bib`` file that maps LaTeX
keys to papers, with the BibTeX reader ingest uses.

It lives here, beside ``grounding.py``, rather than under ``corpus/`` (which reads
papers into the store) or ``render/`` (which writes the store out): it reads a document
*about* papers, and ``api.Reviewer.check_file`` is its one caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reviewer.errors import InputError

# A citation group stands in the text as this private-use character followed by its
# number, so that sentence splitting sees where it is without reading it as words.
_CITE = "\ue000"
_CITE_RE = re.compile(_CITE + r"(\d+)" + "\ue001")

# Words whose full stop does not end a sentence ("e.g.", "et al.", "Fig. 2").
ABBREVIATIONS = frozenset(
    {
        "e.g", "i.e", "et", "al", "cf", "vs", "viz", "approx", "resp", "fig", "figs", "eq",
        "eqs", "sec", "secs", "tab", "ref", "refs", "no", "nos", "vol", "pp", "p", "ch",
        "chap", "app", "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "inc", "ltd",
        "dept", "univ", "avg", "incl",
    }
)  # fmt: skip


@dataclass
class CitedSentence:
    """One sentence of a document: its text without citation markers, the citations as
    written (keys, arXiv ids, DOIs), and the line it starts on (from 1)."""

    text: str
    citations: list[str] = field(default_factory=list)
    line: int = 1


@dataclass
class BibEntry:
    """What a ``--bib`` entry says about the paper it names."""

    key: str
    title: str
    arxiv_id: str | None = None
    doi: str | None = None


# -- sentences ---------------------------------------------------------------------

_BOUNDARY_RE = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")
_NEXT_STARTS_RE = re.compile(r"\s+(?=[A-Z0-9\"'“‘(\[" + _CITE + r"]|\$|\\)")
_TAIL_RE = re.compile(r"\s*" + _CITE + r"\d+\ue001")
_WORD_BEFORE_RE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _is_abbreviation(before: str) -> bool:
    """Whether the full stop after ``before`` belongs to an abbreviation or an initial."""
    match = _WORD_BEFORE_RE.search(before)
    if match is None:
        return False
    word = match.group(1)
    lowered = word.lower().rstrip(".")
    if lowered in ABBREVIATIONS or (len(word) == 1 and word.isupper()):
        return True
    # "et al." and dotted forms such as "e.g" or "U.S"
    return before.lower().endswith(" et al") or ("." in word and len(word) <= 5)


def split_block(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of one block (paragraph or list item) whose citation
    groups are sentinels. A sentence ends after . ! ? (and closing quotes or brackets)
    before a capital, digit, quote, bracket or citation, unless the stop ends an
    abbreviation ("e.g.", "et al.", "Fig."), an initial, or is a decimal point. Citation
    groups right after the stop belong to the sentence before ("works. [@a] Next")."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(text):
        end = match.end()
        if end <= start:
            continue
        if match.group()[0] == "." and _is_abbreviation(text[start : match.start()]):
            continue
        nxt = _NEXT_STARTS_RE.match(text, end)
        if nxt is None:
            continue
        # Citation groups after the stop: they close this sentence.
        while (more := _TAIL_RE.match(text, end)) is not None:
            end = more.end()
        if _NEXT_STARTS_RE.match(text, end) is None and end < len(text.rstrip()):
            continue
        spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _sentences(
    block: str, first_line: int, groups: list[list[str]], finish: bool
) -> list[CitedSentence]:
    """The sentences of one block; ``finish`` adds a full stop a list item left out."""
    out: list[CitedSentence] = []
    for start, end in split_block(block):
        raw = block[start:end]
        lead = len(raw) - len(raw.lstrip())
        line = first_line + block[: start + lead].count("\n")
        cites: list[str] = []
        for match in _CITE_RE.finditer(raw):
            cites.extend(groups[int(match.group(1))])
        text = _CITE_RE.sub(" ", raw)
        text = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split()))
        text = re.sub(r"\(\s*\)", "", text).strip()
        text = " ".join(text.split()).replace("\ue003", "?")
        if not re.search(r"\w", text):
            continue
        if finish and not text.rstrip("\"'”’)").endswith((".", "!", "?", ":")):
            text += "."
        out.append(CitedSentence(text, list(dict.fromkeys(cites)), line))
    return out


def _keep_lines(match: re.Match[str], replacement: str = " ") -> str:
    """``replacement`` plus the line breaks of what it replaces (line numbers stay)."""
    return replacement + "\n" * match.group().count("\n")


# -- Markdown ----------------------------------------------------------------------

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_RE = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_RULE_RE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
_LIST_RE = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])(\s+|$)")
_TASK_RE = re.compile(r"^\[[ xX]\]\s+")
_TABLE_DELIM_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINK_DEF_RE = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*\S+")
_HTML_BLOCK_RE = re.compile(r"^ {0,3}</?[A-Za-z][\w-]*(\s[^>]*)?/?>\s*$")
_QUOTE_RE = re.compile(r"^ {0,3}>\s?")
# [@key], [@a; @b], [see @key, p. 3], [-@key]: pandoc's syntax; every @key counts.
_PANDOC_KEY_RE = re.compile(r"(?<![\w@])-?@([A-Za-z0-9_][\w:.#$%&+?<>~/-]*)")
_BRACKET_RE = re.compile(r"(!?)\[((?:[^\[\]\\]|\\.)*)\](\([^)\s]*(?:\s+\"[^\"]*\")?\)|\[[^\]]*\])?")
# [arxiv:2401.00001], [smith2020], [a2020; b2021]: a key has no spaces, a letter, and a
# digit, a colon or a slash (so [sic], [TODO], [0, 1] and [1] stay text).
_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_][\w:./+#&-]*")


def _looks_like_key(part: str) -> bool:
    if not _BARE_KEY_RE.fullmatch(part):
        return False
    if re.fullmatch(r"\d{4}\.\d{4,5}(v\d+)?", part):  # a bare arXiv id
        return True
    return bool(re.search(r"[A-Za-z]", part)) and bool(re.search(r"[\d:/]", part))


def _markdown_citations(inner: str, numbered: frozenset[str] = frozenset()) -> list[str] | None:
    """The citations of the text inside [...], or None when it is not a citation. With
    a numbered reference list (``numbered``: its numbers), [3], [1, 2], [2; 5] and [2-4]
    cite its entries, as ``[3]``."""
    if numbered and re.fullmatch(r"\s*\d+(\s*[-–,;]\s*\d+)*\s*", inner):
        found: list[str] = []
        for part in re.split(r"\s*[,;]\s*", inner.strip()):
            ends = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x]
            span = range(ends[0], ends[-1] + 1) if len(ends) == 2 and ends[0] <= ends[1] else ends
            found += [f"[{n}]" for n in span]
        if all(f[1:-1] in numbered for f in found):
            return found
    if "@" in inner:
        keys = [m.group(1).rstrip(".:;,?") for m in _PANDOC_KEY_RE.finditer(inner)]
        if keys:
            return keys
    parts = [p.strip() for p in re.split(r"\s*;\s*", inner.strip())]
    if parts and all(_looks_like_key(p) for p in parts):
        return parts
    return None


def _markdown_inline(
    text: str,
    groups: list[list[str]],
    link_labels: set[str],
    numbered: frozenset[str] = frozenset(),
) -> str:
    """Inline Markdown of one block as text: citations become sentinels, links their
    text, images and footnote marks go, emphasis and code marks go (code keeps its text)."""
    text = re.sub(r"`+([^`]*)`+", lambda m: m.group(1).replace("[", "(").replace("]", ")"), text)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = re.sub(r"</?[A-Za-z][\w-]*(\s[^<>]*)?/?>", " ", text)  # inline HTML tags
    text = re.sub(r"\[\^[^\]\s]+\]", "", text)  # footnote references

    def bracket(match: re.Match[str]) -> str:
        image, inner, target = match.group(1), match.group(2), match.group(3)
        if image:
            return _keep_lines(match, "")
        if target is not None and target.startswith("["):
            label = (target[1:-1] or inner).strip().lower()
            if label not in link_labels:  # [@a][@b]: two brackets, not a reference link
                return bracket(_BRACKET_RE.match(f"[{inner}]")) + _BRACKET_RE.sub(bracket, target)  # type: ignore[arg-type]
            return inner
        if target is not None or inner.strip().lower() in link_labels:
            return inner  # a link: its text
        cites = _markdown_citations(inner, numbered)
        if cites is None:
            return match.group()
        groups.append(cites)
        return f" {_CITE}{len(groups) - 1}\ue001" + "\n" * inner.count("\n")

    text = _BRACKET_RE.sub(bracket, text)
    text = re.sub(r"(\*{1,3})(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<!\w)(_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)", r"\2", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>~])", r"\1", text)
    return text


_REFERENCES_HEADING_RE = re.compile(
    r"^ {0,3}(#{1,6})\s+(?:references|bibliography|works cited|literature cited|sources)\s*#*\s*$",
    re.IGNORECASE,
)
_NUMBERED_ENTRY_RE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\[(\d{1,4})\]|(\d{1,4})[.)])\s+(\S.*)$")


def _reference_section(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """The document's lines with its reference list blanked (line count kept), and the
    list's numbered entries (number -> entry text): a "References" (or "Bibliography")
    heading up to the next heading of the same or a higher level."""
    entries: dict[str, str] = {}
    out = list(lines)
    level = 0
    last: str | None = None
    for i, line in enumerate(lines):
        if m := _REFERENCES_HEADING_RE.match(line):
            level = len(m.group(1))
            out[i] = ""
            continue
        if level:
            heading = _ATX_RE.match(line)
            if heading and len(line.lstrip().split()[0]) <= level:
                level = 0
                continue
            out[i] = ""
            if entry := _NUMBERED_ENTRY_RE.match(line):
                last = entry.group(1) or entry.group(2)
                entries[last] = entry.group(3).strip()
            elif line.strip() and last is not None:
                entries[last] += " " + line.strip()  # an entry continued on the next line
    return out, entries


def markdown_references(text: str) -> dict[str, str]:
    """The numbered entries of a Markdown document's reference list: number -> text
    (reviewer's own drafts end with one: "[3] Title. arXiv:2403.05433. 2024. <url>")."""
    return _reference_section(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))[1]


def entry_refs(entry: str) -> list[str]:
    """What may name the paper of a reference entry, best first: its arXiv id, its DOI,
    and its title (the entry up to the first full stop, with and without the stop)."""
    refs: list[str] = []
    if m := re.search(r"ar[xX]iv[:/.\s]*(?:abs/)?(\d{4}\.\d{4,5})", entry):
        refs.append(f"arxiv:{m.group(1)}")
    if m := re.search(r"\b(10\.\d{4,9}/[^\s>\]]*[^\s>\].,;])", entry):
        refs.append(f"doi:{m.group(1)}")
    title = entry.split(". ")[0].strip()
    refs += [title, title.rstrip(".") + "."]
    return list(dict.fromkeys(r for r in refs if r))


def parse_markdown(text: str) -> list[CitedSentence]:
    """The sentences of a Markdown document with their citations and lines.

    Prose is paragraphs, list items (each its own sentences; a missing full stop at its
    end is added) and block quotes. Front matter, headings, fenced and indented code,
    HTML comments and blocks, tables, link definitions and thematic breaks are skipped.
    Citations: ``[@key]``, ``[@a; @b]``, ``[see @key, p. 3]`` (prefix and locator
    dropped), ``[arxiv:2401.00001]``, ``[key]`` or ``[k1; k2]`` when every key looks like
    one (no spaces, a letter and a digit, colon or slash). ``[text](url)`` is a link, its
    text kept. A "References" section is not prose: its numbered entries make [3], [1, 2]
    and [2-4] citations of them (``markdown_references``)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # HTML comments, possibly over several lines: blanked, line count kept.
    joined = re.sub(r"<!--.*?(-->|\Z)", lambda m: _keep_lines(m, ""), "\n".join(lines), flags=re.S)
    lines, references = _reference_section(joined.split("\n"))
    numbered = frozenset(references)
    link_labels = {m.group(1).strip().lower() for ln in lines if (m := _LINK_DEF_RE.match(ln))}
    blocks: list[tuple[int, list[str], bool]] = []  # (first line, lines, is a list item)
    current: list[str] = []
    current_start = 0
    current_item = False

    def close() -> None:
        nonlocal current, current_item
        if current:
            blocks.append((current_start, current, current_item))
        current, current_item = [], False

    i = 0
    n = len(lines)
    if lines and lines[0].strip() in ("---", "+++"):
        closer = {"---": ("---", "..."), "+++": ("+++",)}[lines[0].strip()]
        for j in range(1, n):
            if lines[j].strip() in closer:
                i = j + 1
                break
    fence: str | None = None
    previous_blank = True
    in_list = False
    while i < n:
        line = lines[i]
        number = i + 1
        i += 1
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            continue
        if m := _FENCE_RE.match(line):
            close()
            fence = m.group(1)
            previous_blank = False
            continue
        if not line.strip():
            close()
            previous_blank = True
            continue
        if line.startswith(("    ", "\t")) and previous_blank and not in_list and not current:
            continue  # indented code
        if not current and (
            ("|" in line and i < n and _TABLE_DELIM_RE.match(lines[i]))
            or line.lstrip().startswith("|")
        ):
            # a table: this row, the delimiter row and every row up to a blank line
            close()
            while i < n and lines[i].strip() and "|" in lines[i]:
                i += 1
            previous_blank = False
            continue
        if _ATX_RE.match(line) or (_RULE_RE.match(line) and not current):
            close()
            in_list = False
            previous_blank = False
            continue
        if _SETEXT_RE.match(line) and current and not current_item:
            current = []  # the paragraph was a heading
            previous_blank = False
            continue
        if _LINK_DEF_RE.match(line) or (_HTML_BLOCK_RE.match(line) and not current):
            close()
            previous_blank = False
            continue
        body = line
        while (q := _QUOTE_RE.match(body)) is not None:
            body = body[q.end() :]
        if not body.strip():
            close()
            previous_blank = True
            continue
        if (item := _LIST_RE.match(body)) is not None:
            close()
            in_list = True
            current_start, current_item = number, True
            body = _TASK_RE.sub("", body[item.end() :])
        elif previous_blank and not line.startswith((" ", "\t", ">")):
            in_list = False
        if not current:
            current_start = number
        current.append(body.strip())
        previous_blank = False
    close()
    out: list[CitedSentence] = []
    for start, block_lines, is_item in blocks:
        groups: list[list[str]] = []
        block = _markdown_inline("\n".join(block_lines), groups, link_labels, numbered)
        out.extend(_sentences(block, start, groups, finish=is_item))
    return out


# -- LaTeX -------------------------------------------------------------------------

SKIPPED_ENVIRONMENTS = (
    "figure", "table", "equation", "align", "alignat", "gather", "multline", "eqnarray",
    "flalign", "displaymath", "math", "verbatim", "Verbatim", "lstlisting", "minted",
    "tikzpicture", "algorithm", "algorithmic", "algorithm2e", "tabular", "tabularx",
    "thebibliography", "comment", "filecontents", "wrapfigure", "subfigure",
)  # fmt: skip
CITE_COMMANDS = (
    "cite", "citep", "citet", "citealp", "citealt", "citeauthor", "citeyear", "parencite",
    "textcite", "autocite", "footcite", "smartcite", "supercite", "Cite", "Citep", "Citet",
    "Parencite", "Textcite", "Autocite",
)  # fmt: skip
_CITE_CMD_RE = re.compile(
    r"~?\\(" + "|".join(sorted(CITE_COMMANDS, key=len, reverse=True)) + r")\*?"
    r"(?:\s*\[[^\]]*\]){0,2}\s*\{([^{}]*)\}"
)
_HEADING_CMD_RE = re.compile(
    r"\\(part|chapter|section|subsection|subsubsection|paragraph|subparagraph|title|"
    r"author|date|caption|maketitle|tableofcontents|bibliography|bibliographystyle|"
    r"printbibliography|addbibresource|input|include|usepackage|documentclass|newcommand|"
    r"renewcommand|label|nocite|footnote|thanks)\b\*?"
)
_REF_RE = re.compile(r"~?\\(ref|eqref|cref|Cref|autoref|pageref|nameref|vref)\*?\{[^{}]*\}")


def _strip_comments(text: str) -> str:
    """Everything from an unescaped % to the end of its line (``\\%`` is a percent sign)."""
    return re.sub(r"(?<!\\)((?:\\\\)*)%[^\n]*", r"\1", text)


def _braced_end(text: str, start: int) -> int:
    """Index past the group that opens at ``text[start] == '{'`` (or the text's end)."""
    depth = 0
    for k in range(start, len(text)):
        if text[k] == "{" and (k == 0 or text[k - 1] != "\\"):
            depth += 1
        elif text[k] == "}" and text[k - 1] != "\\":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(text)


def _drop_commands(text: str) -> str:
    """Headings (a paragraph break), labels, footnotes and preamble commands with their
    arguments taken out; line breaks kept."""
    out: list[str] = []
    pos = 0
    for match in _HEADING_CMD_RE.finditer(text):
        if match.start() < pos:
            continue
        out.append(text[pos : match.start()])
        end = match.end()
        while True:  # [optional] and {required} arguments
            k = end
            while k < len(text) and text[k] in " \t":
                k += 1
            if k < len(text) and text[k] == "[":
                close = text.find("]", k)
                end = close + 1 if close >= 0 else len(text)
            elif k < len(text) and text[k] == "{":
                end = _braced_end(text, k)
            else:
                break
        removed = text[match.start() : end]
        if match.group(1) in ("label", "nocite", "footnote", "thanks"):
            out.append(" " + "\n" * removed.count("\n"))
        else:  # a heading or preamble command: the block ends here
            out.append("\ue002" + "\n" * removed.count("\n"))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def parse_latex(text: str) -> list[CitedSentence]:
    """The sentences of a LaTeX document with their citations and lines.

    Comments go (``%``, not ``\\%``); only the body between ``\\begin{document}`` and
    ``\\end{document}`` is read when there is one. Floats, display math, code and
    tabular environments are skipped; section titles, captions and footnotes are not
    sentences; ``\\item`` starts a list item. ``\\cite``, ``\\citep``, ``\\citet``,
    ``\\citealp``, ``\\parencite``, ``\\textcite``, ``\\autocite`` (and kin), with
    optional ``[...]`` arguments and a ``~`` before, give the sentence their
    comma-separated keys; ``\\ref`` and kin become "?", ``\\label`` goes, ``\\emph{}``
    and the like keep their text, inline math its text."""
    from reviewer.render.tex import tex_to_text

    text = _strip_comments(text.replace("\r\n", "\n").replace("\r", "\n"))
    begin = re.search(r"\\begin\{document\}", text)
    if begin:
        end = re.search(r"\\end\{document\}", text)
        head = text[: begin.end()]
        text = "\n" * head.count("\n") + text[begin.end() : end.start() if end else len(text)]
    envs = "|".join(re.escape(e) for e in SKIPPED_ENVIRONMENTS)
    text = re.sub(
        r"\\begin\{(" + envs + r")(\*?)\}.*?(\\end\{\1\2\}|\Z)",
        lambda m: _keep_lines(m, "\ue002"),
        text,
        flags=re.S,
    )
    text = re.sub(r"\$\$.*?\$\$|\\\[.*?\\\]", lambda m: _keep_lines(m, " "), text, flags=re.S)
    groups: list[list[str]] = []

    def cite(match: re.Match[str]) -> str:
        keys = [k.strip() for k in match.group(2).split(",") if k.strip()]
        if not keys:
            return _keep_lines(match)
        groups.append(keys)
        return f" {_CITE}{len(groups) - 1}\ue001" + "\n" * match.group().count("\n")

    text = _CITE_CMD_RE.sub(cite, text)
    text = _REF_RE.sub(" \ue003", text)  # "?" once the spacing is tidied
    text = _drop_commands(text)
    text = re.sub(r"\\(begin|end)\{[^{}]*\}(\{[^{}]*\})?", "\ue002", text)
    text = re.sub(r"\\par\b", "\ue002", text)
    out: list[CitedSentence] = []
    # Blocks: paragraphs (blank lines), list items, and the breaks headings left.
    pieces = re.split(r"(\n[ \t]*\n|\ue002|\\item\b(?:\s*\[[^\]]*\])?)", text)
    line = 1
    item = False
    for piece in pieces:
        if piece.startswith("\\item"):
            item = True
        elif piece != "\ue002" and piece.strip():
            block = _latex_text(piece, tex_to_text)
            out.extend(_sentences(block, line, groups, finish=item))
            item = False
        line += piece.count("\n")
    return out


def _latex_text(block: str, tex_to_text: Callable[[str], str]) -> str:
    """A block's TeX as text, sentinels and line breaks kept."""
    kept = tex_to_text(block)
    if kept.count("\n") != block.count("\n"):
        kept = "\n".join(tex_to_text(part) for part in block.split("\n"))
    kept = kept.replace("\\\\", " ").replace("~", " ")
    # Commands tex_to_text does not know: the name goes, the argument's text stays.
    kept = re.sub(r"\\[A-Za-z]+\*?(\[[^\]\n]*\])?", "", kept)
    kept = re.sub(r"\\([%&$#_{}])", r"\1", kept)
    return kept.replace("{", "").replace("}", "")


# -- BibTeX ------------------------------------------------------------------------


def read_bib(path: Path | str) -> list[BibEntry]:
    """The entries of a .bib file: key, title (TeX decoded), arXiv id (from ``eprint``,
    ``arxivid``, an arXiv ``url``, ``journal = {arXiv preprint arXiv:...}`` or DBLP's
    CoRR volume) and DOI. Read by the reader ingest uses, so a broken file is an
    InputError naming the line."""
    from reviewer.corpus.readers import read_file

    _, papers = read_file(path, "bibtex")
    return [
        BibEntry(key=p.bibtex_key or "", title=p.title, arxiv_id=p.arxiv_id, doi=p.doi)
        for p in papers
    ]


def read_document(path: Path) -> str:
    """A text file's content, or the InputError (exit 2) every reader raises."""
    from reviewer.corpus.readers import decode_text

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    return decode_text(data, str(path))
