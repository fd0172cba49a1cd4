"""JSON and JSON Lines files of paper records.

Accepted shapes: a list of records, an object holding such a list under
"papers" (what ``reviewer list --json`` writes, so an export re-ingests), a
single record, or one record per line (JSON Lines). Field names follow the
Paper model; common aliases from other tools (summary, link, url, eprint,
date, code) are understood.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from pydantic import ValidationError

from reviewer.corpus.ids import arxiv_id_from_doi, normalize_doi, parse_arxiv_id
from reviewer.corpus.model import Paper, Source
from reviewer.errors import InputError

from ._text import code_urls_in, looks_truncated, parse_date, squash

FORMAT = "json"
DESCRIPTION = "JSON or JSON Lines of paper records (title, abstract, authors, ...)"

_ALIASES = {
    "summary": "abstract",
    "name": "title",
    "link": "abs_url",
    "url": "abs_url",
    "abstract_url": "abs_url",
    "eprint": "arxiv_id",
    "arxiv": "arxiv_id",
    "arxivid": "arxiv_id",
    "date": "published",
    "published_date": "published",
    "code": "code_urls",
    "code_url": "code_urls",
    "repository": "code_urls",
    "code_repository": "code_urls",
    "coderepository": "code_urls",
    "keywords": None,
}
_LIST_FIELDS = {"authors", "categories", "code_urls", "other_titles"}


def sniff(text: str) -> bool:
    head = text.lstrip()[:1]
    return head in ("{", "[")


def read(text: str, path: str) -> list[Paper]:
    records: list[tuple[str, Any]] = []
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole_error:
        records = _read_lines(text, path, whole_error)
    else:
        if isinstance(document, dict) and isinstance(document.get("papers"), list):
            document = document["papers"]
        if isinstance(document, dict):
            records = [("record 1", document)]
        elif isinstance(document, list):
            records = [(f"record {i}", r) for i, r in enumerate(document, start=1)]
        else:
            raise InputError(path, "expected a JSON object or list of paper records")
    return [_paper_from_record(record, path, where) for where, record in records]


def _read_lines(text: str, path: str, whole_error: json.JSONDecodeError) -> list[tuple[str, Any]]:
    lines = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if len(lines) < 2 or not _is_json_object(lines[0][1]):
        # Not JSON Lines (whose first line is a whole object): report the error
        # where the JSON parser found it.
        raise InputError(
            path,
            f"malformed JSON ({whole_error.msg})",
            f"line {whole_error.lineno}, column {whole_error.colno}",
        )
    records = []
    for number, line in lines:
        try:
            records.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(
                path, f"malformed JSON Lines record ({exc.msg})", f"line {number}"
            ) from None
    return records


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _paper_from_record(record: Any, path: str, where: str) -> Paper:
    if not isinstance(record, dict):
        raise InputError(path, "a paper record must be a JSON object", where)
    fields: dict[str, Any] = {}
    for key, value in record.items():
        name = key.lower()
        name = _ALIASES.get(name, name) if name in _ALIASES else name
        if name is None or value is None or name in ("id", "sources"):
            continue
        if fields.get(name):
            continue
        fields[name] = value
    known = set(Paper.model_fields)
    extra = sorted(set(fields) - known)
    for name in extra:
        fields.pop(name)
    title = fields.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InputError(path, "record has no title", where)

    for name in _LIST_FIELDS & set(fields):
        fields[name] = _as_list(fields[name], name)
    if "authors" in fields:
        fields["authors"] = _authors(fields["authors"], path, where)
    for name in ("published", "updated"):
        value = fields.get(name)
        if isinstance(value, str):
            parsed = parse_date(value)
            if parsed is None and len(value.strip()) == 4 and value.strip().isdigit():
                fields.setdefault("year", int(value))
            month = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
            if parsed is None and month and 1 <= int(month[2]) <= 12 and name == "published":
                # "2024-02": first published that month, day unknown.
                parsed = date(int(month[1]), int(month[2]), 1)
                fields["published_precision"] = "month"
            fields[name] = parsed
    for name in ("title", "abstract"):
        if isinstance(fields.get(name), str):
            fields[name] = squash(fields[name])

    doi = normalize_doi(str(fields["doi"])) if fields.get("doi") else None
    fields["doi"] = doi
    arxiv = parse_arxiv_id(str(fields["arxiv_id"])) if fields.get("arxiv_id") else None
    if arxiv is None and isinstance(fields.get("abs_url"), str):
        arxiv = parse_arxiv_id(fields["abs_url"])
    if arxiv is None and doi:
        from_doi = arxiv_id_from_doi(doi)
        arxiv = (from_doi, None) if from_doi else None
    fields["arxiv_id"] = arxiv[0] if arxiv else None
    if arxiv and arxiv[1] and not fields.get("arxiv_version"):
        fields["arxiv_version"] = arxiv[1]
    if arxiv and not fields.get("abs_url"):
        fields["abs_url"] = f"https://arxiv.org/abs/{arxiv[0]}"
    abstract = fields.get("abstract") or ""
    if "abstract_truncated" not in record and isinstance(abstract, str):
        fields["abstract_truncated"] = looks_truncated(abstract)
    if "code_urls" not in fields and isinstance(abstract, str):
        fields["code_urls"] = code_urls_in(abstract)
    fields["sources"] = [Source(path=path, format=FORMAT, entry=where)]
    try:
        return Paper.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InputError(path, f"field {field!r}: {first['msg']}", where) from None


def _authors(value: Any, path: str, where: str) -> list[str]:
    """Names from strings or {"name": ...} objects; anything else is an error, not str()."""
    names = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"].strip())
        elif isinstance(item, str):
            names.append(item.strip())
        else:
            raise InputError(
                path, f"field 'authors': expected names as strings, found {item!r}", where
            )
    return [n for n in names if n]


def _as_list(value: Any, name: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        if name == "authors":
            return [a.strip() for a in value.replace(" and ", ",").split(",") if a.strip()]
        if name == "categories":
            return value.split()
        return [value] if value.strip() else []
    return [value]  # not a list or string: the field check below rejects it
