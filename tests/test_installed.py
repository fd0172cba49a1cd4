"""The program as a user gets it: the wheel built from this checkout, installed by pip
into a virtual environment of its own, run from a folder outside the source tree.

The README's test command makes that environment before pytest runs: it builds the
sdist and, from it, the wheel into ``.venv/dist`` and installs the wheel (its
dependencies resolved by pip, as for a user) into ``.venv/installed``. Here every
command runs that environment's ``reviewer`` with ``cwd`` a fresh temporary folder, an
isolated ``REVIEWER_HOME``, no ``PYTHONPATH`` and no ``REVIEWER_*`` setting of the
machine, so nothing of the checkout can stand in for what the wheel lacks (a prompt
file, the demo corpus, a module).

``REVIEWER_INSTALLED_BIN`` may name another installed ``reviewer`` executable. Without
one the tests skip, naming the command that makes it; under CI (``CI`` set) they fail.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from llm_server import LocalModelServer, serve_or_skip
from usage_cases import WRONG_INVOCATIONS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BIN = ROOT / ".venv" / "installed" / "bin" / "reviewer"
# The install steps of the README's test command (run from the checkout).
MAKE_INSTALLED = (
    "rm -rf .venv/dist .venv/installed && .venv/bin/python -m build -q -o .venv/dist . "
    "&& python3 -m venv .venv/installed "
    "&& .venv/installed/bin/pip install -q .venv/dist/reviewer-*.whl"
)
TOPIC = "adapting the Segment Anything Model to medical image segmentation"
PAPER_ID = "arxiv:2502.15204"  # in the demo corpus
PAPER_ID_PATTERN = re.compile(r"\b(?:arxiv:\d{4}\.\d{4,5}|title:[0-9a-f]{16}|doi:10\.\S+)")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _not_ready(reason: str) -> None:
    message = f"{reason}; make it from the checkout with:\n    {MAKE_INSTALLED}"
    if _in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _repo_prompt_files() -> list[Path]:
    """The prompt files of the checkout (the wheel carries them as reviewer/_prompts)."""
    files = sorted((ROOT / "prompts").glob("*.md"))
    assert files, "no prompt files found in the checkout"
    return files


def _package_files(top: Path) -> dict[str, bytes]:
    """Every file of the package ``top`` (the folder of reviewer/__init__.py) but caches."""
    return {
        p.relative_to(top).as_posix(): p.read_bytes()
        for p in top.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@dataclass(frozen=True)
class Installed:
    bin: Path  # the `reviewer` script
    python: Path  # the environment's interpreter
    package: Path  # site-packages/reviewer of that environment
    direct_url: dict[str, object]  # pip's record of what it installed from


def _clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The user's environment without anything that could point at the checkout or the
    dev environment, and with no REVIEWER_* setting of this machine."""
    dev_bin = str(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
        and not k.startswith("REVIEWER_")
    }
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != dev_bin)
    env["REVIEWER_HOME"] = str(home)
    env["ANONYMIZED_TELEMETRY"] = "False"
    return {**env, **(extra or {})}


def _outside_checkout(folder: Path) -> Path:
    folder = folder.resolve()
    assert not folder.is_relative_to(ROOT), f"{folder} is inside the checkout {ROOT}"
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The installed program, checked to be a wheel install of this checkout's code."""
    explicit = os.environ.get("REVIEWER_INSTALLED_BIN")
    script = Path(explicit) if explicit else DEFAULT_BIN
    if not script.is_file():
        _not_ready(f"no installed reviewer at {script}")
    python = script.parent / "python"
    probe_dir = _outside_checkout(tmp_path_factory.mktemp("probe"))
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import json, importlib.metadata as m, reviewer; "
            "d = m.distribution('reviewer'); "
            "print(json.dumps([reviewer.__file__, d.read_text('direct_url.json')]))",
        ],
        cwd=probe_dir,
        env=_clean_env(probe_dir / "home"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    init_file, direct_url = json.loads(probe.stdout)
    package = Path(init_file).parent
    # A `pip install -e .` would import the checkout's reviewer/ itself.
    assert "site-packages" in package.parts, f"reviewer is imported from {package}, not a wheel"
    assert package.resolve().is_relative_to(script.parent.parent.resolve()), (package, script)
    installed = Installed(script, python, package, json.loads(direct_url or "{}"))

    # An install older than the checkout tests old code: say so instead of failing oddly.
    # (Data the build adds to the package from elsewhere, such as prompt files, is
    # checked by the tests below; a module the checkout no longer has is stale.)
    ours, theirs = _package_files(ROOT / "reviewer"), _package_files(package)
    differ = sorted(
        [n for n in ours if ours[n] != theirs.get(n)]
        + [n for n in theirs if n.endswith(".py") and n not in ours]
    )
    if differ:
        _not_ready(
            f"the installed wheel differs from the checkout in {len(differ)} file(s), "
            f"e.g. reviewer/{differ[0]}"
        )
    return installed


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    """A fresh folder outside the source tree to run commands from."""
    folder = tmp_path / "work"
    folder.mkdir()
    return _outside_checkout(folder)


def run(
    inst: Installed,
    *args: str,
    cwd: Path,
    home: Path,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(inst.bin), *args],
        cwd=cwd,
        env=_clean_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    both = result.stdout + result.stderr
    assert "Traceback" not in both and "╭" not in both, both


@dataclass(frozen=True)
class Demo:
    result: subprocess.CompletedProcess[str]
    home: Path


@pytest.fixture(scope="module")
def demo(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """`reviewer demo` run once, in a new home: it ingests the bundled corpus (the slow
    part, about 40 s), so the tests that need a seeded store copy this home."""
    base = tmp_path_factory.mktemp("demo")
    (base / "work").mkdir()
    home = base / "home"
    result = run(installed, "demo", cwd=_outside_checkout(base / "work"), home=home)
    return Demo(result, home)


@pytest.fixture
def seeded(demo: Demo, tmp_path: Path) -> Path:
    assert demo.result.returncode == 0, demo.result.stderr
    home = tmp_path / "home"
    shutil.copytree(demo.home, home)
    return home


# -- the install itself ------------------------------------------------------------


def test_the_readme_test_command_installs_the_wheel_before_pytest() -> None:
    """The README's test command (which .ci/run runs) makes .venv/installed: without it
    these tests would only skip."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    command = lines[lines.index("<!-- test-command -->") + 2]  # as .ci/run reads it
    assert MAKE_INSTALLED in command
    assert command.index(MAKE_INSTALLED) < command.index("-m pytest")


def test_the_installed_program_is_the_wheel_not_the_checkout(
    installed: Installed, user_dir: Path, tmp_path: Path
) -> None:
    # pip's record of the install: a file it was given (the wheel), not an editable folder.
    url = str(installed.direct_url.get("url", ""))
    assert url.endswith(".whl"), installed.direct_url
    assert not dict(installed.direct_url.get("dir_info") or {}).get("editable")
    version = run(installed, "--version", cwd=user_dir, home=tmp_path / "home")
    assert version.returncode == 0, version.stderr
    checkout_version = re.search(
        r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE
    )
    assert checkout_version
    assert version.stdout.strip() == f"reviewer {checkout_version.group(1)}"


def test_every_prompt_loads_from_the_installed_wheel(
    installed: Installed, user_dir: Path, tmp_path: Path
) -> None:
    """Without REVIEWER_PROMPTS_DIR, the installed package finds each prompt of the
    checkout, byte for byte, inside its own environment."""
    repo = {p.stem: p for p in _repo_prompt_files()}
    result = subprocess.run(
        [
            str(installed.python),
            "-c",
            "import json, sys\n"
            "from reviewer.prompts import load_prompt\n"
            "print(json.dumps({i: str(load_prompt(i).path) for i in sys.argv[1:]}))",
            *repo,
        ],
        cwd=user_dir,
        env=_clean_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = {k: Path(v) for k, v in json.loads(result.stdout).items()}
    venv = installed.bin.parent.parent
    for prompt_id, path in found.items():
        assert path.resolve().is_relative_to(venv.resolve()), (prompt_id, path)
        assert path.read_bytes() == repo[prompt_id].read_bytes(), prompt_id


# -- what a user runs first ----------------------------------------------------------


def test_demo_ingests_the_bundled_corpus_searches_and_drafts(
    installed: Installed, demo: Demo
) -> None:
    result = demo.result
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    # The corpus comes from the installed package, not from the checkout.
    assert f"Ingesting the demo corpus from {installed.package / 'demo'}" in result.stderr
    assert "The store holds 423 papers." in result.stderr
    # The search table: its title, its header and paper ids in its rows …
    assert f"hybrid search: {TOPIC}" in result.stdout
    header = next(line for line in result.stdout.splitlines() if " id " in line)
    assert "title" in header and "sim terms" in header  # absolute relevance, not RRF
    table = result.stdout.split("## Related work:")[0]
    assert len(set(PAPER_ID_PATTERN.findall(table))) == 5  # demo's default -k
    # … and the draft, labelled as quotes with numbered citations.
    assert "## Related work:" in result.stdout
    assert "Extractive draft" in result.stdout
    assert "[1]" in result.stdout


def test_extractive_draft_cites_only_papers_of_the_store(
    installed: Installed, seeded: Path, user_dir: Path
) -> None:
    result = run(
        installed,
        *("related-work", TOPIC, "--extractive", "-k", "4", "-f", "json"),
        cwd=user_dir,
        home=seeded,
    )
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert "Extractive draft" in result.stderr
    draft = json.loads(result.stdout)
    assert draft["mode"] == "extractive"
    references = {r["key"]: r["id"] for r in draft["references"]}
    assert references
    sentences = [s for section in draft["sections"] for s in section["sentences"]]
    assert sentences
    abstracts: dict[str, str] = {}
    for key, paper_id in references.items():
        shown = run(installed, "show", "--json", paper_id, cwd=user_dir, home=seeded)
        assert shown.returncode == 0, (key, paper_id, shown.stderr)
        paper = json.loads(shown.stdout)
        assert paper["id"] == paper_id
        abstracts[key] = " ".join(paper["abstract"].split())
    for sentence in sentences:
        assert sentence["citations"] and set(sentence["citations"]) <= set(references), sentence
        # Extractive: each sentence is a quote of the abstract it cites.
        text = " ".join(sentence["text"].split())
        assert any(text in abstracts[k] for k in sentence["citations"]), sentence

    # Output files named relative to where the user stands land there.
    again = run(
        installed,
        *("related-work", TOPIC, "--extractive", "-k", "4", "-f", "latex"),
        *("-o", "related.tex", "--bib", "refs.bib"),
        cwd=user_dir,
        home=seeded,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    tex = (user_dir / "related.tex").read_text(encoding="utf-8")
    bib = (user_dir / "refs.bib").read_text(encoding="utf-8")
    for key in references:
        assert f"{key}," in bib and key in tex


# -- one model command against a real server ---------------------------------------


@pytest.fixture(scope="module")
def local_server() -> Iterator[LocalModelServer]:
    yield from serve_or_skip()


def test_summarize_against_the_local_model_server(
    installed: Installed, seeded: Path, user_dir: Path, local_server: LocalModelServer
) -> None:
    """A model command needs the prompt files: from a wheel they must come with it."""
    env = {
        "REVIEWER_MODEL": "openai/smollm2-135m",
        "REVIEWER_API_BASE": local_server.url,
        # One answer, kept short: this checks the installed program reaches the model
        # and validates its answer; tests/test_e2e_local_model.py checks the answers.
        "REVIEWER_LLM_REASKS": "0",
        "REVIEWER_MAX_TOKENS": "700",
        "REVIEWER_LLM_TIMEOUT": "600",
    }
    result = run(
        installed, "summarize", "--ids", PAPER_ID, "--json", cwd=user_dir, home=seeded, env=env
    )
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    [summary] = json.loads(result.stdout)
    assert summary["paper_id"] == PAPER_ID
    assert summary["tldr"].strip()
    logs = run(installed, "logs", "--json", "-n", "0", cwd=user_dir, home=seeded)
    assert logs.returncode == 0, logs.stderr
    calls = [r for r in json.loads(logs.stdout) if not r["cache_hit"]]
    assert calls and all(r["model"] == "openai/smollm2-135m" for r in calls)
    assert {r["subject"] for r in calls} == {PAPER_ID}


# -- wrong invocations -------------------------------------------------------------

# The table tests/test_usage_errors.py runs against the checkout, run here against the
# installed program, with one row the acceptance names that the table does not hold.
INSTALLED_WRONG_INVOCATIONS = (
    *WRONG_INVOCATIONS,
    ("digest-week-out-of-range", ("digest", "--week", "2025-W99", "--dry-run"), "--week"),
)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [pytest.param(args, fragment, id=name) for name, args, fragment in INSTALLED_WRONG_INVOCATIONS],
)
def test_a_wrong_invocation_is_one_error_line_and_exit_2(
    installed: Installed, user_dir: Path, tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    result = run(installed, *args, cwd=user_dir, home=tmp_path / "home", timeout=120)
    shown = f"reviewer {shlex.join(args)}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    no_traceback(result)
    assert result.returncode == 2, shown
    assert result.stdout == "", shown
    lines = result.stderr.splitlines()
    assert len(lines) in (1, 2) and lines[0].startswith("error: "), shown
    assert len(lines) == 1 or lines[1].startswith("hint: "), shown
    assert fragment.lower() in lines[0].lower(), shown
