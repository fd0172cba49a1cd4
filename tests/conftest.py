"""Shared fixtures: every test gets its own REVIEWER_HOME; the seeded store is built once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "reviewer" / "demo").glob("*.txt"))
DATA = Path(__file__).resolve().parent / "data"
# Real arXiv API responses, an arXiv feed and an excerpt of arXiv's metadata snapshot
# (tests/data/real/PROVENANCE.md)
REAL = DATA / "real"

os.environ["ANONYMIZED_TELEMETRY"] = "False"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("REVIEWER_HOME", str(home))
    monkeypatch.delenv("REVIEWER_CHROMA_URL", raising=False)
    monkeypatch.delenv("REVIEWER_EMBEDDER", raising=False)
    monkeypatch.delenv("REVIEWER_COLLECTION", raising=False)
    # Mail and judge settings and a config file of the machine must not reach a test.
    for name in list(os.environ):
        # A judge model of the machine would turn --verify on in every test.
        if name.startswith(("REVIEWER_SMTP_", "REVIEWER_MAIL_", "REVIEWER_JUDGE_")) or (
            name == "REVIEWER_CONFIG"
        ):
            monkeypatch.delenv(name)
    return home


@pytest.fixture(scope="session")
def seeded_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A REVIEWER_HOME with the four seed files ingested (built once per session)."""
    home = tmp_path_factory.mktemp("seeded") / "home"
    env = {**os.environ, "REVIEWER_HOME": str(home)}
    env.pop("REVIEWER_CHROMA_URL", None)
    subprocess.run(
        [sys.executable, "-m", "reviewer", "ingest", *map(str, SEEDS)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return home


@pytest.fixture
def seeded_home(seeded_home_template: Path, _isolated_home: Path) -> Path:
    """A private copy of the seeded home, set as REVIEWER_HOME for this test."""
    shutil.copytree(seeded_home_template, _isolated_home)
    return _isolated_home


def run_cli(
    *args: str, env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `python -m reviewer ARGS` in a subprocess with the test's environment."""
    result = subprocess.run(
        [sys.executable, "-m", "reviewer", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"reviewer {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        )
    return result


# -- cassettes (pytest-recording / vcrpy) ----------------------------------------

SCRUBBED_HEADERS = (
    "authorization",
    "api-key",
    "x-api-key",
    "cookie",
    "set-cookie",
    "openai-organization",
    "openai-project",
    "x-goog-api-key",
)


def _scrub_response(response: dict) -> dict:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SCRUBBED_HEADERS or name.lower().startswith("openai-"):
            del headers[name]
    return response


def llm_request_body(r1: Any, r2: Any) -> None:
    """vcr matcher: the same model, messages, response format and streaming (JSON compared,
    so key order does not matter). A prompt, schema or validator message that changed since
    the recording fails the replay instead of passing on a stale answer, and so does a
    recording of an unstreamed answer replayed to a streamed request (its body would read
    as an empty stream)."""
    import json

    def key(request: Any) -> Any:
        body = request.body or b"{}"
        data = json.loads(body.decode() if isinstance(body, bytes) else body)
        fields = ("model", "messages", "response_format", "temperature", "stream")
        return [data.get(k) for k in fields]

    assert key(r1) == key(r2), "the request body differs from the recorded one"


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("llm_body", llm_request_body)


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    return {
        "filter_headers": [(h, None) for h in SCRUBBED_HEADERS],
        "filter_query_parameters": [("api_key", None), ("key", None)],
        "before_record_response": _scrub_response,
        # Host and port are not matched: a cassette recorded against the local
        # stand-in server and one re-recorded against the live API both replay.
        "match_on": ["method", "path", "query"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(ROOT / "cassettes" / request.module.__name__.split(".")[-1])


@pytest.fixture(autouse=True)
def _cassette_fully_played(request: pytest.FixtureRequest) -> Iterator[None]:
    """A cassette test fails if any recorded interaction was not replayed."""
    if request.node.get_closest_marker("vcr") is None:
        yield
        return
    cassette = request.getfixturevalue("vcr")
    yield
    if request.config.getoption("--record-mode") == "none":
        assert cassette.all_played, f"cassette {cassette._path} was not fully played"


def ingested_home(factory: pytest.TempPathFactory, name: str, papers: list[dict[str, Any]]) -> Path:
    """A REVIEWER_HOME holding ``papers`` (JSON records), ingested by the program as a
    user would; copy it into a test's home with ``shutil.copytree``."""
    root = factory.mktemp(name)
    source = root / "papers.json"
    source.write_text(json.dumps(papers), encoding="utf-8")
    home = root / "home"
    run_cli("ingest", str(source), env={"REVIEWER_HOME": str(home)}, check=True)
    return home


def cli_in_process(*args: str) -> tuple[int, str, str]:
    """Run the command in this process, so a cassette serves its model requests; an
    exception other than the CLI's exit is raised, not hidden in the result."""
    from typer.testing import CliRunner

    from reviewer.cli import app, expand_multi_value_options

    result = CliRunner().invoke(app, expand_multi_value_options(list(args)))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr
