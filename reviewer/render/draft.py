"""Related-work drafts as Markdown (numbered references), LaTeX (\\cite keys, with a .bib
from the store) and JSON; outlines as editable Markdown, and read back.

Markdown is for reading: titles, authors and sentences (often quoted from abstracts that
carry TeX) are shown as readable text (:func:`reviewer.render.tex.tex_to_text`), then
escaped as literal Markdown (:mod:`reviewer.render.safe`: no link, tag or control
sequence from a paper survives; a reference links only an http(s) URL). LaTeX keeps the
TeX it recognises and escapes the rest; JSON keeps the text as stored."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reviewer.errors import InputError
from reviewer.render.bibtex import bib_file, latex_escape, latex_keep_tex
from reviewer.render.safe import http_url, md_text, strip_controls
from reviewer.render.tex import tex_to_text
from reviewer.results import Outline
from reviewer.tasks.related_work import RelatedWorkDraft
from reviewer.tasks.themes import Theme

EXTRACTIVE_LABEL = (
    "Extractive draft: no model wrote this. Every sentence is quoted verbatim from the "
    "abstract of the paper it cites; themes are grouped by similarity."
)


def _authors_short(authors: Sequence[str]) -> str:
    if not authors:
        return ""
    if len(authors) > 3:
        return f"{md_text(tex_to_text(authors[0]))} et al."
    return ", ".join(md_text(tex_to_text(a)) for a in authors)


def to_markdown(draft: RelatedWorkDraft, heading_level: int = 2) -> str:
    numbers = {r.key: r.number for r in draft.references}
    h = "#" * heading_level
    lines = [f"{h} Related work: {md_text(draft.topic)}", ""]
    if draft.mode == "extractive":
        lines += [f"> {EXTRACTIVE_LABEL}", ""]
    for section in draft.sections:
        lines.append(f"{h}# {md_text(section.theme)}")
        lines.append("")
        if section.note:
            note = md_text(section.note)
            lines += [f"> {note[0].upper()}{note[1:]}.", ""]
        rendered = [
            _md_sentence(md_text(tex_to_text(s.text)), s.citations, s.quote, numbers)
            for s in section.sentences
        ]
        if section.written_by == "extractive":  # quotes read best one per line
            lines += [f"- {r}" for r in rendered]
        else:
            lines.append(" ".join(rendered))
        lines.append("")
    lines += [f"{h} References", ""]
    for ref in draft.references:
        parts = [f"[{ref.number}]"]
        if ref.authors:
            parts.append(_authors_short(ref.authors) + ".")
        parts.append(f"{md_text(tex_to_text(ref.title)).rstrip('.')}.")
        if ref.venue:
            parts.append(f"{md_text(ref.venue)}.")
        if ref.arxiv_id:
            parts.append(f"arXiv:{md_text(ref.arxiv_id)}.")
        if ref.doi:
            parts.append(f"doi:{md_text(ref.doi)}.")
        if ref.year:
            parts.append(f"{ref.year}.")
        url = http_url(ref.url)
        if url:
            parts.append(f"<{url}>")
        lines.append(" ".join(parts))
    return "\n".join(lines).rstrip() + "\n"


def _md_sentence(text: str, citations: Sequence[str], quote: bool, numbers: dict[str, int]) -> str:
    cite = "[" + ", ".join(str(numbers[k]) for k in citations) + "]" if citations else ""
    if quote:
        return f"“{text}” {cite}".rstrip()
    body, end = _split_end(text)
    return f"{body} {cite}{end}" if cite else text


def _split_end(text: str) -> tuple[str, str]:
    """A sentence and its final punctuation, so the citation goes before the full stop."""
    text = text.rstrip()
    if text and text[-1] in ".!?":
        return text[:-1].rstrip(), text[-1]
    return text, "."


def to_latex(draft: RelatedWorkDraft) -> str:
    lines = [
        f"% Related work on: {' '.join(strip_controls(draft.topic).split())}",
        f"% Drafted by reviewer from {draft.footer.papers_considered} papers; "
        f"{draft.footer.papers_cited} cited. Every \\cite key is an entry of the .bib "
        "written with --bib.",
    ]
    if draft.mode == "extractive":
        lines.append(f"% {EXTRACTIVE_LABEL}")
    lines.append("")
    for section in draft.sections:
        lines.append(f"\\paragraph{{{latex_escape(section.theme)}.}}")
        if section.note:
            lines.append(f"% {' '.join(strip_controls(section.note).split())}")
        sentences = []
        for s in section.sentences:
            cite = f"~\\cite{{{','.join(s.citations)}}}" if s.citations else ""
            if s.quote:
                sentences.append(f"``{latex_keep_tex(s.text)}''{cite}")
            else:
                body, end = _split_end(s.text)
                sentences.append(f"{latex_keep_tex(body)}{cite}{end}")
        if section.written_by == "extractive":
            lines += ["\\begin{itemize}", *(f"  \\item {x}" for x in sentences), "\\end{itemize}"]
        else:
            lines.append(" ".join(sentences))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(draft: RelatedWorkDraft) -> str:
    return json.dumps(draft.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def cited_bib(draft: RelatedWorkDraft, papers: dict[str, Any]) -> str:
    """BibTeX entries for exactly the cited papers, from the store's records."""
    cited = [papers[r.id] for r in draft.references]
    return bib_file(cited, {r.id: r.key for r in draft.references})


# -- outlines ----------------------------------------------------------------------

OUTLINE_HELP = (
    "<!-- Edit this outline and pass it back with --outline-file. One '## ' heading per "
    "theme, then one '- <paper id>' line per paper (anything after the id is ignored). "
    "Move, remove or add papers by id (any id `reviewer show` accepts); reorder freely. -->"
)


def outline_markdown(topic: str, themes: Sequence[Theme], titles: dict[str, str]) -> str:
    # Topic and theme titles are read back (read_outline), so they are not escaped;
    # the paper titles after the ids are ignored on reading and are.
    lines = [f"# Outline: {strip_controls(topic)}", "", OUTLINE_HELP, ""]
    for theme in themes:
        lines.append(f"## {strip_controls(theme.title)}")
        lines += [
            f"- {pid}  {md_text(tex_to_text(titles.get(pid, '')))}".rstrip()
            for pid in theme.paper_ids
        ]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def outline_text(outline: Outline, fmt: str) -> str:
    """``reviewer related-work --outline``: JSON, or Markdown to edit and pass back."""
    if fmt == "json":
        return json.dumps(outline.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    lines = [f"# Outline: {strip_controls(outline.topic)}", "", OUTLINE_HELP, ""]
    for theme in outline.themes:
        lines.append(f"## {strip_controls(theme['title'])}")
        lines += [
            f"- {pid}  {md_text(tex_to_text(outline.titles.get(pid, '')))}".rstrip()
            for pid in theme["paper_ids"]
        ]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def outline_json(topic: str, themes: Sequence[Theme]) -> str:
    data = {"topic": topic, "themes": [t.to_json() for t in themes]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_ITEM = re.compile(r"^\s*[-*+]\s+(\S+)")


def read_outline(path: Path) -> tuple[str | None, list[tuple[str, list[tuple[str, str]]]]]:
    """(topic or None, [(theme title, [(paper ref, where)])]) from a Markdown or JSON
    outline. Refs are resolved by the caller; ``where`` names the line for errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the outline ({exc.__class__.__name__})") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _read_outline_json(path, text)
    topic: str | None = None
    themes: list[tuple[str, list[tuple[str, str]]]] = []
    in_comment = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_comment or stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if stripped.startswith("## "):
            themes.append((stripped[3:].strip(), []))
        elif stripped.startswith("# "):
            topic = stripped[2:].removeprefix("Outline:").strip() or None
        elif (match := _ITEM.match(line)) is not None:
            if not themes:
                raise InputError(
                    str(path), "a paper is listed before any '## ' theme heading", f"line {number}"
                )
            themes[-1][1].append((match.group(1), f"line {number}"))
        elif stripped:
            raise InputError(
                str(path),
                f"expected a '## theme' heading or a '- <paper id>' line, got {stripped[:60]!r}",
                f"line {number}",
            )
    _check_outline(path, themes)
    return topic, themes


def _read_outline_json(
    path: Path, text: str
) -> tuple[str | None, list[tuple[str, list[tuple[str, str]]]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc.msg})", f"line {exc.lineno}") from None
    raw = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise InputError(str(path), "expected an object with a 'themes' list")
    themes: list[tuple[str, list[tuple[str, str]]]] = []
    for i, item in enumerate(raw):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("title"), str)
            and isinstance(item.get("paper_ids"), list)
            and all(isinstance(x, str) for x in item["paper_ids"])
        ):
            raise InputError(
                str(path), "each theme needs a 'title' and a list of 'paper_ids'", f"themes[{i}]"
            )
        themes.append(
            (
                item["title"],
                [(ref, f"themes[{i}].paper_ids[{j}]") for j, ref in enumerate(item["paper_ids"])],
            )
        )
    _check_outline(path, themes)
    topic = data.get("topic")
    return (topic if isinstance(topic, str) else None), themes


def _check_outline(path: Path, themes: list[tuple[str, list[tuple[str, str]]]]) -> None:
    if not any(papers for _, papers in themes):
        raise InputError(str(path), "the outline lists no papers")
    # A theme left without papers (they were moved elsewhere) is simply skipped.
    if any(not title for title, papers in themes if papers):
        raise InputError(str(path), "a theme with papers has an empty title")
