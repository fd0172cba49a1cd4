"""A wrong invocation is one `error:` line (and at most one `hint:` line), exit code 2.

Run as a user would: the program in a subprocess, from a folder outside the
checkout. REVIEWER_TEST_BIN names another build of the program to run (for
example `/some/venv/bin/reviewer`, or `/some/venv/bin/python -m reviewer`);
by default it is this checkout's, as `python -m reviewer`.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from usage_cases import WRONG_INVOCATIONS

ROOT = Path(__file__).resolve().parent.parent


def program() -> tuple[list[str], dict[str, str]]:
    """The command line of the program under test and the environment it runs in."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("REVIEWER_RAISE_ERRORS", None)
    configured = os.environ.get("REVIEWER_TEST_BIN")
    if configured:
        return shlex.split(configured), env
    # This checkout, whatever else is installed: it goes first on the path.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return [sys.executable, "-m", "reviewer"], env


def run(args: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess[str]:
    command, env = program()
    return subprocess.run(
        [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [pytest.param(args, fragment, id=name) for name, args, fragment in WRONG_INVOCATIONS],
)
def test_a_wrong_invocation_is_one_error_line_and_exit_2(
    args: tuple[str, ...], fragment: str, tmp_path: Path
) -> None:
    result = run(args, tmp_path)
    shown = f"reviewer {shlex.join(args)}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 2, shown
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, shown
        assert "╭" not in stream, shown
    lines = result.stderr.splitlines()
    assert len(lines) in (1, 2), shown
    assert lines[0].startswith("error: "), shown
    assert fragment.lower() in lines[0].lower(), shown
    if len(lines) == 2:
        assert lines[1].startswith("hint: "), shown
    assert result.stdout == "", shown


def test_the_typo_names_the_command_meant(tmp_path: Path) -> None:
    result = run(("serach", "polyp"), tmp_path)
    assert result.returncode == 2
    assert "'search'" in result.stderr


def test_help_version_and_no_arguments_exit_0(tmp_path: Path) -> None:
    for args in (("--help",), ("search", "--help"), ("config", "--help")):
        result = run(args, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout and result.stderr == ""
    version = run(("--version",), tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("reviewer ")
    for args in ((), ("config",), ("export",)):
        result = run(args, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout, result.stdout
        assert "Traceback" not in result.stderr


def test_raise_errors_re_raises_a_usage_error(tmp_path: Path) -> None:
    command, env = program()
    env["REVIEWER_RAISE_ERRORS"] = "1"
    result = subprocess.run(
        [*command, "search", "x", "--mode", "fuzzy"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "BadParameter" in result.stderr


def test_ctrl_c_is_one_error_line_and_exit_130(tmp_path: Path) -> None:
    """Ctrl-C in the middle of an ingest (click turns it into Abort, typer >= 0.26 into
    a returned 130): the same message and exit code either way."""
    command, env = program()
    demo = sorted(str(p) for p in (ROOT / "reviewer" / "demo").glob("*.txt"))[:1]
    env["REVIEWER_HOME"] = str(tmp_path / "home")
    process = subprocess.Popen(
        [*command, "ingest", *demo],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # a child of a non-interactive shell may inherit SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stderr is not None
    try:
        # Embedding a demo file takes seconds: interrupt it once it has begun.
        first = process.stderr.readline()
        assert first.startswith("Embedding"), first
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, rest
    assert "Traceback" not in rest
    lines = [line for line in rest.splitlines() if line.startswith(("error:", "hint:"))]
    assert lines[0] == "error: interrupted", rest


def test_an_unplanned_failure_is_one_line_too(tmp_path: Path) -> None:
    """A REVIEWER_HOME below a file: the store cannot be made, deep inside Chroma."""
    command, env = program()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env["REVIEWER_HOME"] = str(blocker / "home")
    result = subprocess.run(
        [*command, "stats"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "Not a directory" in lines[0], result.stderr
    assert len(lines) == 2 and lines[1].startswith("hint: REVIEWER_RAISE_ERRORS=1")
    assert "Traceback" not in result.stderr
