"""Prompts are files: ``prompts/<id>.md``, a YAML-like front matter (id, version,
description, variables) and a body with ``<!-- system -->`` and ``<!-- user -->``
sections, rendered by a sandboxed Jinja environment that refuses undefined or
undeclared variables. The id, the version and a hash of the rendered messages
go into the call log and the cache key, so editing a prompt never serves a
stale cached answer.

Text from papers is untrusted: every template puts it inside a fence, the ``fence``
filter (``{{ abstract | fence("abstract", id=key) }}``), which writes
``<paper_abstract id="key">`` ... ``</paper_abstract>`` (``paper_title``,
``paper_gist``; ``claim`` for a sentence to be checked), and each system part says that
text inside the tags is data, never instructions. ``neutralize`` first disarms whatever
in the text could pass for a fence tag, so the text can neither close its fence nor open
another."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from reviewer.errors import ConfigError

SECTION = re.compile(r"^<!--\s*(system|user)\s*-->\s*$", re.MULTILINE)


def prompts_dir() -> Path:
    """REVIEWER_PROMPTS_DIR, else the prompts that came with this copy of the package.

    The repository keeps them in its top-level ``prompts/`` folder; a wheel (and so an
    install from the sdist) carries that folder inside the package as
    ``reviewer/_prompts/`` (pyproject.toml maps it). A checkout, installed editable or
    run from its folder, has no ``_prompts`` and reads ``prompts/`` beside the package:
    always the prompts of the very code that runs, never another checkout's.
    """
    override = os.environ.get("REVIEWER_PROMPTS_DIR")
    if override:
        return Path(override)
    packaged = resources.files("reviewer").joinpath("_prompts")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "prompts"


@dataclass(frozen=True)
class Prompt:
    id: str
    version: int
    description: str
    variables: tuple[str, ...]
    sections: tuple[tuple[str, str], ...]  # (role, template source)
    path: Path

    def render(self, **values: Any) -> RenderedPrompt:
        missing = set(self.variables) - set(values)
        extra = set(values) - set(self.variables)
        if missing or extra:
            raise ConfigError(
                f"prompt {self.id}: "
                + ", ".join(
                    part
                    for part in (
                        f"missing variables {sorted(missing)}" if missing else "",
                        f"undeclared variables {sorted(extra)}" if extra else "",
                    )
                    if part
                )
            )
        env = _environment()
        messages = []
        for role, source in self.sections:
            text = env.from_string(source).render(**values).strip()
            messages.append({"role": role, "content": text})
        return RenderedPrompt(self.id, self.version, tuple(messages))


@dataclass(frozen=True)
class RenderedPrompt:
    id: str
    version: int
    messages: tuple[dict[str, str], ...]

    @property
    def hash(self) -> str:
        blob = json.dumps(list(self.messages), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


# -- fences for untrusted text ------------------------------------------------------

FENCE_TAGS = {
    "title": "paper_title",
    "abstract": "paper_abstract",
    "gist": "paper_gist",
    "claim": "claim",
}
# Kinds written as a block (the tags on lines of their own); the others stay inline.
_BLOCK_KINDS = {"abstract"}
# What could start a tag: "<" and its look-alikes, escaped forms included.
_TAG_START = re.compile(
    r"<|\uFF1C|\uFE64|\u2039|\u2329|\u3008|\u27E8|&lt;?|&#0*60;?|&#x0*3c;?|\\u003c|\\x3c|%3c",
    re.IGNORECASE,
)
# What a fence tag name starts with, once case, width and separators are set aside.
_TAG_NAMES = tuple(sorted({t.split("_")[0] for t in FENCE_TAGS.values()}))
# Kept out of the way of a tag name when looking for one: spaces, slashes, "_-." and
# anything invisible (zero-width characters, bidi controls: category Cf).
_SKIPPED = re.compile(r"[\s/\\_\-.:\uFF0F]+")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


def neutralize(text: str) -> str:
    """``text`` with every would-be fence tag disarmed: invisible (format) characters
    are removed, and a "<" or look-alike (full-width, angle brackets, ``&lt;``,
    ``&#60;``, ``\\u003c``, ``%3C``) that starts something reading as a fence tag name
    (ignoring case, width, spaces, slashes and punctuation) becomes "(". Other text
    is left as it is, so quotes copied from it still match the source."""
    text = "".join(ch for ch in text if not _invisible(ch))
    out: list[str] = []
    last = 0
    for match in _TAG_START.finditer(text):
        if match.start() < last:
            continue
        ahead = unicodedata.normalize("NFKC", text[match.end() : match.end() + 60]).casefold()
        ahead = _SKIPPED.sub("", ahead)
        if ahead.startswith(_TAG_NAMES):
            out.append(text[last : match.start()])
            out.append("(")
            last = match.end()
    out.append(text[last:])
    return "".join(out)


def fence(text: Any, kind: str, id: Any = None) -> str:
    """``text`` (neutralized) inside the tags of ``kind`` (a key of FENCE_TAGS)."""
    if kind not in FENCE_TAGS:
        raise ConfigError(f"unknown fence kind {kind!r}; known: {sorted(FENCE_TAGS)}")
    tag = FENCE_TAGS[kind]
    attribute = ""
    if id is not None:
        ident = re.sub(r"[^\w.:/@+-]", "_", neutralize(str(id)))
        attribute = f' id="{ident}"'
    body = neutralize("" if text is None else str(text))
    if kind in _BLOCK_KINDS:
        return f"<{tag}{attribute}>\n{body}\n</{tag}>"
    return f"<{tag}{attribute}>{body}</{tag}>"


def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.filters["fence"] = fence
    return env


def _front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        raise ConfigError(f"{path}: a prompt file starts with a --- front matter block")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ConfigError(f"{path}: the front matter block is not closed by ---")
    meta: dict[str, Any] = {}
    for line in text[4:end].splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ConfigError(f"{path}: front matter line {line!r} is not key: value")
        value = value.strip()
        if value.startswith("["):
            meta[key.strip()] = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
        else:
            meta[key.strip()] = value
    return meta, text[end + 5 :]


def load_prompt_file(path: Path) -> Prompt:
    from jinja2 import meta as jinja_meta

    meta, body = _front_matter(path.read_text(encoding="utf-8"), path)
    for key in ("id", "version", "variables"):
        if key not in meta:
            raise ConfigError(f"{path}: front matter needs {key!r}")
    try:
        version = int(meta["version"])
    except ValueError:
        raise ConfigError(f"{path}: version must be an integer, not {meta['version']!r}") from None
    parts = SECTION.split(body)
    sections = tuple((parts[i], parts[i + 1].strip("\n")) for i in range(1, len(parts) - 1, 2))
    if not sections or parts[0].strip():
        raise ConfigError(f"{path}: the body is <!-- system --> and <!-- user --> sections")
    variables = tuple(meta["variables"])
    env = _environment()
    for _, source in sections:
        used = jinja_meta.find_undeclared_variables(env.parse(source))
        unknown = used - set(variables)
        if unknown:
            raise ConfigError(f"{path}: uses undeclared variables {sorted(unknown)}")
    return Prompt(
        id=str(meta["id"]),
        version=version,
        description=str(meta.get("description", "")),
        variables=variables,
        sections=sections,
        path=path,
    )


@cache
def _load_cached(path: str, mtime: float) -> Prompt:
    return load_prompt_file(Path(path))


def load_prompt(prompt_id: str) -> Prompt:
    path = prompts_dir() / f"{prompt_id}.md"
    if not path.is_file():
        raise ConfigError(
            f"prompt {prompt_id!r} not found at {path}",
            hint="Set REVIEWER_PROMPTS_DIR to a folder holding the prompt files.",
        )
    prompt = _load_cached(str(path), path.stat().st_mtime)
    if prompt.id != prompt_id:
        raise ConfigError(f"{path}: front matter id {prompt.id!r} differs from the file name")
    return prompt
