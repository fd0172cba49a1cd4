"""Prompt files: front matter, strict variables, stable hashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.errors import ConfigError
from reviewer.prompts import load_prompt, load_prompt_file, prompts_dir

GOOD = """---
id: demo
version: 3
description: a test prompt
variables: [title, items]
---
<!-- system -->
You are terse.
<!-- user -->
Title: {{ title }}
{% for item in items %}- {{ item }}
{% endfor %}
"""


def write(tmp_path: Path, text: str, name: str = "demo.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_shipped_prompt_loads_and_declares_its_variables() -> None:
    files = sorted(prompts_dir().glob("*.md"))
    assert files
    for path in files:
        prompt = load_prompt(path.stem)
        assert prompt.id == path.stem and prompt.version >= 1 and prompt.variables


def test_render_gives_messages_and_a_hash_that_follows_the_text(tmp_path: Path) -> None:
    prompt = load_prompt_file(write(tmp_path, GOOD))
    assert (prompt.id, prompt.version, prompt.variables) == ("demo", 3, ("title", "items"))
    rendered = prompt.render(title="SAM", items=["a", "b"])
    assert [m["role"] for m in rendered.messages] == ["system", "user"]
    assert rendered.messages[1]["content"] == "Title: SAM\n- a\n- b"
    assert rendered.hash == prompt.render(title="SAM", items=["a", "b"]).hash
    assert rendered.hash != prompt.render(title="SAM 2", items=["a", "b"]).hash


def test_missing_or_undeclared_variables_are_refused(tmp_path: Path) -> None:
    prompt = load_prompt_file(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="missing variables"):
        prompt.render(title="x")
    with pytest.raises(ConfigError, match="undeclared variables"):
        prompt.render(title="x", items=[], extra=1)
    with pytest.raises(ConfigError, match="undeclared variables"):
        load_prompt_file(write(tmp_path, GOOD.replace("{{ title }}", "{{ titel }}")))


def test_malformed_prompt_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="front matter"):
        load_prompt_file(write(tmp_path, "no front matter"))
    with pytest.raises(ConfigError, match="version"):
        load_prompt_file(write(tmp_path, GOOD.replace("version: 3", "version: three")))
    with pytest.raises(ConfigError, match="sections"):
        load_prompt_file(
            write(tmp_path, GOOD.replace("<!-- system -->", "").replace("<!-- user -->", ""))
        )


def test_the_sandbox_blocks_attribute_tricks(tmp_path: Path) -> None:
    from jinja2.exceptions import SecurityError

    evil = GOOD.replace("{{ title }}", "{{ title.__class__.__mro__ }}")
    prompt = load_prompt_file(write(tmp_path, evil))
    with pytest.raises(SecurityError):
        prompt.render(title="x", items=[])


def test_prompt_dir_override_and_unknown_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, GOOD)
    monkeypatch.setenv("REVIEWER_PROMPTS_DIR", str(tmp_path))
    assert load_prompt("demo").version == 3
    with pytest.raises(ConfigError, match="not found"):
        load_prompt("nope")
