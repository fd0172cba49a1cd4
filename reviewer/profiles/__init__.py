"""Summary profiles: which fields a per-paper summary extracts, and how each is checked.

A profile is a TOML file: a ``name``, a ``description`` of the papers it is for (the
summary prompt names it; empty says nothing), optionally ``extends`` (a profile whose
fields come first), ``compare_columns`` (the default columns of ``reviewer compare``)
and a list of ``[[fields]]``, each with a ``name``, a ``kind`` and a ``description``.
The kind decides the field's JSON type and its grounding rule (see ``KINDS``). A quotes
field may say what its quotes state (``states = "limitation"``): a quote without a word
that states a limitation is then refused.

Built in: the ``*.toml`` files in this folder: ``general`` (the default) and one per
field that extends it. Users add their own as ``REVIEWER_HOME/profiles/NAME.toml``
or name a file; ``REVIEWER_PROFILE`` (or ``--profile``) selects one.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import tomllib
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from reviewer.errors import ConfigError

Kind = Literal["text", "name", "names", "metrics", "quotes", "link"]

KINDS: dict[str, str] = {
    "text": "free text in the model's words; every number in it must be in the abstract "
    "and most of its words in the title or abstract",
    "name": "one name copied from the abstract, which must occur there",
    "names": "a list of names copied from the abstract, each of which must occur there",
    "metrics": "metric name and reported value (and dataset), each found in the abstract; "
    "each a score or a gain over a baseline, as the abstract gives the number",
    "quotes": "claims, each with a quote copied word for word from the abstract (with "
    'states = "limitation", a quote that states a limitation)',
    "link": "a URL from the abstract or the paper's metadata, or yes/no/not reported",
}

DEFAULT_PROFILE = "general"
BUILT_IN = tuple(
    sorted(
        (
            p.name.removesuffix(".toml")
            for p in resources.files(__name__).iterdir()
            if p.name.endswith(".toml")
        ),
        key=lambda n: (n != DEFAULT_PROFILE, n),
    )
)
# Names a field cannot take: the summary's own keys.
RESERVED = frozenset(
    {
        "paper_id",
        "title",
        "tldr",
        "tldr_source",
        "not_reported",
        "failed_fields",
        "abstract_truncated",
        "validation",
        "dropped",
        "model",
        "prompt",
        "profile",
        "abstract_hash",
        "results",
    }
)
_LIST_KINDS = {"names": 6, "metrics": 6, "quotes": 3}
_IDENT = r"^[a-z][a-z0-9_]{0,39}$"


class ProfileField(BaseModel):
    """One field a summary extracts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_IDENT, description="lower-case identifier, e.g. species")
    kind: Kind
    description: str = Field(min_length=1, max_length=400)
    max_items: int | None = Field(
        default=None, ge=1, le=10, description="Longest list the model may give (list kinds)."
    )
    claim_key: str = Field(
        default="claim", pattern=_IDENT, description="Key of each claim (quotes kind)."
    )
    states: Literal["limitation"] | None = Field(
        default=None,
        description="What each quote must state (quotes kind): 'limitation' refuses a quote "
        "with no word by which a sentence states one (limited, however, only, cannot, "
        "requires, not, without, future work, ...).",
    )

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED:
            raise ValueError(f"{name!r} is a summary's own key; choose another name")
        return name

    @model_validator(mode="after")
    def _states_needs_quotes(self) -> ProfileField:
        if self.states is not None and self.kind != "quotes":
            raise ValueError("states applies to a quotes field only")
        return self

    @property
    def limit(self) -> int:
        return self.max_items or _LIST_KINDS.get(self.kind, 1)


class _ProfileFile(BaseModel):
    """A profile file as written (``extends`` not yet applied)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")
    description: str = Field(default="", max_length=200)
    extends: str | None = None
    compare_columns: list[str] | None = Field(default=None, min_length=1, max_length=20)
    fields: list[ProfileField] = Field(default_factory=list, max_length=30)


class Profile(BaseModel):
    """A resolved profile: its fields in order, the base's first."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    fields: tuple[ProfileField, ...]
    compare_columns: tuple[str, ...]
    source: str = Field(description="'built-in' or the file it was read from.")

    @property
    def fingerprint(self) -> str:
        """Twelve hex digits that change whenever what the model is asked changes."""
        blob = json.dumps(
            {
                "description": self.description,
                # A field without ``states`` hashes as before it existed, so a user
                # profile's stored summaries stay current.
                "fields": [
                    f.model_dump(exclude={"states"} if f.states is None else set())
                    for f in self.fields
                ],
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        """``name@fingerprint``, stored with every summary made with this profile."""
        return f"{self.name}@{self.fingerprint}"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def of_kind(self, *kinds: str) -> list[ProfileField]:
        return [f for f in self.fields if f.kind in kinds]


def _builtin_text(name: str) -> str:
    return resources.files("reviewer.profiles").joinpath(f"{name}.toml").read_text("utf-8")


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _parse(text: str, source: str) -> _ProfileFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"profile {source}: not valid TOML: {exc}",
            hint="See `reviewer profiles --help` for the format.",
        ) from None
    try:
        return _ProfileFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "literal_error" and first["loc"][-1] == "kind":
            message = f"must be one of {', '.join(KINDS)}"
        elif first["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(
            f"profile {source}: {_where(tuple(first['loc']))}: {message}",
            hint="Keys: name, description, extends, compare_columns, [[fields]] with name, "
            "kind, description (and max_items, claim_key, states).",
        ) from None


def _resolve(
    raw: _ProfileFile, name: str, source: str, home: Path | None, seen: tuple[str, ...]
) -> Profile:
    fields: list[ProfileField] = []
    columns: tuple[str, ...] | None = None
    if raw.extends:
        if raw.extends in seen:
            raise ConfigError(
                f"profile {source}: extends: {raw.extends!r} extends itself "
                f"({' -> '.join([*seen, raw.extends])})"
            )
        base = load_profile(raw.extends, home=home, _seen=seen)
        fields = list(base.fields)
        columns = base.compare_columns
    own: set[str] = set()
    for i, field in enumerate(raw.fields):
        if field.name in own:
            raise ConfigError(f"profile {source}: fields[{i}].name: {field.name!r} appears twice")
        own.add(field.name)
        at = next((j for j, f in enumerate(fields) if f.name == field.name), None)
        if at is None:
            fields.append(field)
        else:
            fields[at] = field  # a field of the base, redefined
    if not fields:
        raise ConfigError(
            f"profile {source}: fields: a profile needs at least one field",
            hint='Add a [[fields]] table, or extends = "general".',
        )
    if raw.compare_columns is not None:
        columns = tuple(raw.compare_columns)
    if columns is None:
        columns = tuple(f.name for f in fields if f.kind != "quotes")[:6]
    return Profile(
        name=raw.name or name,
        description=raw.description,
        fields=tuple(fields),
        compare_columns=columns,
        source=source,
    )


def profiles_dir(home: Path) -> Path:
    return home / "profiles"


def load_profile(
    spec: str | Path | None, *, home: Path | None = None, _seen: tuple[str, ...] = ()
) -> Profile:
    """The profile ``spec`` names: a TOML file's path, a file ``home/profiles/NAME.toml``,
    or a built-in name (``BUILT_IN``). ``None`` is the default,
    ``general``. Any problem with a profile file is a ``ConfigError`` naming the file and
    the key."""
    spec = str(spec) if spec else DEFAULT_PROFILE
    path = Path(spec).expanduser()
    looks_like_path = spec.endswith(".toml") or "/" in spec or "\\" in spec
    user = profiles_dir(home) / f"{spec}.toml" if home and not looks_like_path else None
    if looks_like_path:
        if not path.is_file():
            raise ConfigError(
                f"profile file not found: {path}",
                hint=f"Give a TOML file's path, or a name: {', '.join(available_profiles(home))}.",
            )
        source = str(path)
        text = _read(path)
        name = path.stem
    elif user is not None and user.is_file():
        source, text, name = str(user), _read(user), spec
    elif spec in BUILT_IN:
        source, text, name = "built-in", _builtin_text(spec), spec
    else:
        raise ConfigError(
            f"unknown profile {spec!r}",
            hint=f"Profiles: {', '.join(available_profiles(home))}; or a TOML file's path "
            f"(see `reviewer profiles --help`).",
        )
    raw = _parse(text, source if source != "built-in" else f"{spec} (built-in)")
    return _resolve(raw, name, source, home, (*_seen, spec))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"profile {path}: cannot read it: {exc}") from None


def available_profiles(home: Path | None) -> list[str]:
    """Built-in names, then those in ``home/profiles/``."""
    names = list(BUILT_IN)
    if home is not None and profiles_dir(home).is_dir():
        names += sorted(p.stem for p in profiles_dir(home).glob("*.toml") if p.stem not in names)
    return names


__all__ = [
    "BUILT_IN",
    "DEFAULT_PROFILE",
    "KINDS",
    "Profile",
    "ProfileField",
    "available_profiles",
    "load_profile",
]
