"""Every command block of README.md runs, so the README cannot drift from the program.

The blocks are README.md's fenced blocks whose info string is ``bash``, ``sh``, ``shell`` or
``console`` (commands; in ``console`` only the ``$ `` lines), ``toml`` (a config file),
``cron`` and ``ini`` (the schedules: each crontab command and each ``ExecStart=`` runs).
One test per block, named after the nearest heading (``summaries-2``).

How a block runs: backslash continuations are joined and comments dropped, then its lines
run in order as one bash script (so `cd`, `export`, `&` and `kill %1` carry over), each
line's exit code (its first failing command's), stdout and stderr kept apart, up to the
first line that fails, in a sandbox: a fresh working folder holding the files the examples
name (``refs.bib``, a real Zotero export; ``feeds/``, a real arXiv RSS feed;
``outline.md``, made by ``reviewer related-work ... --outline --extractive``), a copy of the
seeded demo store as ``REVIEWER_HOME``, a throwaway ``HOME``, the program's ``bin`` folder
first on ``PATH``, no model and no provider key, a real SMTP server on loopback
(``tests/smtp_server.py``) as the mail settings, and an arXiv API stand-in on loopback
serving a real saved API response as ``REVIEWER_ARXIV_API_URL``. Developer blocks (those
naming ``.venv/``, ``tests/``, ``evals/`` or ``cassettes/``) run in a scratch copy of the
repository instead, with ``.venv`` linked, so a block that re-records cassettes cannot
change the checkout. Whatever a block leaves running in the background is killed with its
process group.

What passes: every line exits 0, except that a writing command that needs a model
(``summarize``; ``related-work`` and ``compare`` without ``--extractive``; ``export wiki
--summarize``; ``digest --summarize`` or ``--name-themes``) must stop with exit 3 and one
``error:`` line naming ``REVIEWER_MODEL``, the documented behaviour without a model, which
still proves its options parse. Exit 2 is a usage error: the README drifted. No line may
print a Python traceback. A block that mails a digest must deliver it.

Markers, one-line HTML comments among the comment lines right before a block's fence:

    <!-- readme-test: skip: REASON -->   not run; REASON must say it needs a network, the
                                         package registry or a hosted key
    <!-- readme-test: slow: REASON -->   takes minutes: run only with REVIEWER_TEST_README_SLOW=1

and a line whose own comment says ``needs a network``, ``needs the package registry`` or
``needs a hosted key`` is skipped by itself, unless this test stands in for the service
(``reviewer ingest --arxiv`` runs against the arXiv stand-in). Skips show in ``pytest -rs``
with their reasons. A block added to the README without a marker is run, and fails this
test until it runs or is marked.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import DATA, REAL, ROOT
from smtp_server import SMTPServer

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

README = ROOT / "README.md"
COMMAND_INFOS = {"bash", "sh", "shell", "console"}
TESTED_INFOS = COMMAND_INFOS | {"toml", "cron", "ini"}

# A skip is allowed only for what a test machine cannot have.
ALLOWED_SKIP = re.compile(r"network|registry|\bkey\b", re.IGNORECASE)
MARKER = re.compile(r"<!--\s*readme-test:\s*(?P<kind>[a-z]+)\s*:\s*(?P<reason>.*?)\s*-->")
LINE_SKIP = re.compile(
    r"\bneeds (?:a network|the (?:package )?registry|an? (?:hosted |API )?key)\b", re.IGNORECASE
)
DEVELOPER = re.compile(r"(?:^|[\s=])(?:\./)?(?:\.venv/|tests/|evals/|cassettes/)")
SLOW_ENV = "REVIEWER_TEST_README_SLOW"

TOPIC = "SAM adaptation for 3D medical segmentation"
BLOCK_TIMEOUT = 900
TRACEBACK = "Traceback (most recent call last)"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- reading the README ------------------------------------------------------------


@dataclass
class Line:
    number: int  # README line of its first physical line
    command: str  # continuations joined, comment dropped
    comment: str = ""
    skip: str | None = None  # the line's own skip reason

    @property
    def needs_model(self) -> bool:
        return any(_needs_model(argv, env) for env, argv in simple_commands(self.command))

    @property
    def runs_reviewer(self) -> bool:
        return any(_is_reviewer(argv) for _, argv in simple_commands(self.command))


@dataclass
class Block:
    info: str
    number: int  # README line of the opening fence
    heading: str
    text: str
    markers: list[tuple[str, str]] = field(default_factory=list)
    id: str = ""

    @property
    def lines(self) -> list[Line]:
        if self.info in COMMAND_INFOS:
            return command_lines(self.text, self.number + 1, console=self.info == "console")
        if self.info == "cron":
            return cron_lines(self.text, self.number + 1)
        if self.info == "ini":
            return unit_lines(self.text, self.number + 1)
        return []

    @property
    def developer(self) -> bool:
        return any(DEVELOPER.search(line.command) for line in self.lines)

    def marker(self, kind: str) -> str | None:
        return next((reason for k, reason in self.markers if k == kind), None)


def readme_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    heading = "top"
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        fence = re.match(r"^(`{3,}|~{3,})\s*([\w+-]*)", line)
        if not fence:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith(fence.group(1)):
            end += 1
        markers = []
        above = i - 1
        while above >= 0 and re.fullmatch(r"\s*<!--.*-->\s*", lines[above]):
            found = MARKER.search(lines[above])
            if found:
                markers.append((found["kind"], found["reason"]))
            elif "readme-test" in lines[above]:
                markers.append(("malformed", lines[above].strip()))
            above -= 1
        info = fence.group(2).lower()
        blocks.append(Block(info, i + 1, heading, "\n".join(lines[i + 1 : end]), markers))
        i = end + 1
    counts: dict[str, int] = {}
    for block in blocks:
        slug = re.sub(r"[^a-z0-9]+", "-", block.heading.lower()).strip("-") or "top"
        counts[slug] = counts.get(slug, 0) + 1
        block.id = f"{slug}-{counts[slug]}"
    return [b for b in blocks if b.info in TESTED_INFOS]


def split_comment(text: str) -> tuple[str, str]:
    """``cmd args  # comment`` -> (``cmd args``, ``comment``), quotes respected."""
    quote = None
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"':
                continue
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i].rstrip(), text[i + 1 :].strip()
    return text.rstrip(), ""


def command_lines(text: str, first: int, console: bool = False) -> list[Line]:
    out: list[Line] = []
    pending: list[str] = []
    start = first
    for offset, raw in enumerate(text.splitlines()):
        if console and not pending:
            if not raw.startswith("$ "):
                continue  # output
            raw = raw[2:]
        if not pending:
            start = first + offset
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        command, comment = split_comment(" ".join(part.strip() for part in pending))
        pending = []
        if not command:
            continue
        skip = comment if LINE_SKIP.search(comment) else None
        if skip and stands_in_for(command):
            skip = None
        out.append(Line(start, command, comment, skip))
    return out


def cron_lines(text: str, first: int) -> list[Line]:
    """The command of each crontab entry (five time fields or an @nickname first)."""
    out = []
    for offset, raw in enumerate(text.splitlines()):
        entry = raw.strip()
        if not entry or entry.startswith("#") or re.match(r"^[A-Za-z_]+\s*=", entry):
            continue
        fields = entry.split(None, 1 if entry.startswith("@") else 5)
        command, comment = split_comment(fields[-1])
        out.append(Line(first + offset, command, comment))
    return out


def unit_lines(text: str, first: int) -> list[Line]:
    """Each ``ExecStart=`` of a systemd unit, as a shell line: systemd's quoting is the
    shell's for these commands; ``%h`` is the home folder."""
    out = []
    for offset, raw in enumerate(text.splitlines()):
        found = re.match(r"^\s*ExecStart(?:Pre|Post)?\s*=\s*[-@:+!]*(.+)$", raw)
        if not found:
            continue
        argv = shlex.split(found.group(1))
        command = " ".join(
            '"$HOME"'.join(shlex.quote(part) if part else "" for part in arg.split("%h"))
            for arg in argv
        )
        out.append(Line(first + offset, command))
    return out


def simple_commands(command: str) -> list[tuple[dict[str, str], list[str]]]:
    """The simple commands of a shell line: (env assignments, argv) each."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return []
    out: list[tuple[dict[str, str], list[str]]] = []
    current: list[str] = []
    for token in [*tokens, ";"]:
        if token in {"&&", "||", ";", "|", "&", ";;", "|&"}:
            env: dict[str, str] = {}
            while current and re.match(r"^[A-Za-z_]\w*=", current[0]):
                name, _, value = current.pop(0).partition("=")
                env[name] = value
            if current:
                out.append((env, current))
            current = []
        else:
            current.append(token)
    return out


def _is_reviewer(argv: list[str]) -> bool:
    return bool(argv) and argv[0].rsplit("/", 1)[-1] == "reviewer"


def _needs_model(argv: list[str], env: dict[str, str]) -> bool:
    """A writing command that has no model here (none configured, none set on the line)."""
    if not _is_reviewer(argv) or "REVIEWER_MODEL" in env or "--help" in argv:
        return False
    sub, options = (argv[1] if len(argv) > 1 else ""), set(argv[2:])
    if sub == "summarize":
        return True
    if sub in {"related-work", "compare"}:
        return "--extractive" not in options
    if sub == "export":
        return "--summarize" in options
    if sub == "digest":
        return bool(options & {"--summarize", "--name-themes"})
    return False


def stands_in_for(command: str) -> bool:
    """A network line this test can serve on loopback: arXiv queries, from the stand-in."""
    commands = simple_commands(command)
    return bool(commands) and all(
        _is_reviewer(argv) and argv[1:2] == ["ingest"] and "--arxiv" in argv for _, argv in commands
    )


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def _cases() -> Iterator[object]:
    for block in BLOCKS:
        yield pytest.param(block, None, id=block.id)
        if block.marker("skip"):
            continue
        for index, line in enumerate(block.lines, 1):
            if line.skip:
                yield pytest.param(block, line, id=f"{block.id}-line{index}")


# -- the sandbox ---------------------------------------------------------------------


def program() -> list[str]:
    """How the tests call the program: the repository's own .venv (which the README's test
    command creates), else the `reviewer` on PATH, else this Python's module."""
    venv = ROOT / ".venv" / "bin" / "reviewer"
    if venv.exists():
        return [str(venv)]
    found = shutil.which("reviewer")
    return [found] if found else [sys.executable, "-m", "reviewer"]


def clean_env() -> dict[str, str]:
    """This process's environment without settings, models or keys."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REVIEWER_")
        and not name.endswith(("_API_KEY", "_API_BASE", "_API_TOKEN"))
        and name not in {"OLLAMA_HOST", "LITELLM_MODEL"}
    }


class SavedArxivResponse:
    """The arXiv API on loopback: every query gets the same real saved API response (one
    paper, so an `ingest --arxiv` costs one embedding)."""

    def __init__(self) -> None:
        body = (REAL / "arxiv_api_id_list_2.xml").read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/query"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Kit:
    """What every block's sandbox is made from (built once per module)."""

    bin: Path  # the folder the program's commands are in
    files: Path  # refs.bib, feeds/, outline.md
    home: Path  # the seeded REVIEWER_HOME
    smtp: SMTPServer
    arxiv_url: str


@pytest.fixture(scope="module")
def kit(seeded_home_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    base = tmp_path_factory.mktemp("readme")
    cmd = program()
    if len(cmd) == 1:
        bin_dir = Path(cmd[0]).parent
    else:  # a `reviewer` that runs this Python's module
        bin_dir = base / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "reviewer"
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m reviewer "$@"\n')
        shim.chmod(0o755)
    files = base / "files"
    (files / "feeds").mkdir(parents=True)
    shutil.copy(DATA / "bibtex" / "zotero.bib", files / "refs.bib")
    shutil.copy(DATA / "rss" / "arxiv_cs_AI_rss2_sample.xml", files / "feeds")
    scratch = base / "outline-home"
    shutil.copytree(seeded_home_template, scratch)
    made = subprocess.run(
        [*cmd, "related-work", TOPIC, "--outline", "--extractive", "-o", str(files / "outline.md")],
        env={**clean_env(), "REVIEWER_HOME": str(scratch)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    arxiv = SavedArxivResponse()
    with SMTPServer() as smtp:
        yield Kit(bin_dir, files, seeded_home_template, smtp, arxiv.url)
    arxiv.close()


@dataclass
class Sandbox:
    cwd: Path
    env: dict[str, str]
    runs: Path  # each line's exit code and output, outside cwd


def make_sandbox(kit: Kit, block: Block, tmp_path: Path) -> Sandbox:
    home = tmp_path / "reviewer-home"
    shutil.copytree(kit.home, home)
    env = clean_env()
    env.update(
        PATH=f"{kit.bin}{os.pathsep}{env.get('PATH', '')}",
        REVIEWER_HOME=str(home),
        ANONYMIZED_TELEMETRY="False",
    )
    if block.developer:
        cwd = repo_copy(tmp_path / "repo", kit.home)
    else:
        cwd = tmp_path / "work"
        shutil.copytree(kit.files, cwd)
        user = tmp_path / "user"  # HOME: the cron line's `cd $HOME`, the unit's %h/.local/bin
        (user / ".local" / "state").mkdir(parents=True)
        (user / ".local" / "bin").mkdir()
        (user / ".local" / "bin" / "reviewer").symlink_to(kit.bin / "reviewer")
        env.update(
            HOME=str(user),
            REVIEWER_SMTP_HOST="127.0.0.1",
            REVIEWER_SMTP_PORT=str(kit.smtp.port),
            REVIEWER_SMTP_SECURITY="none",
            REVIEWER_MAIL_FROM="Lab digest <digest@example.org>",
            REVIEWER_ARXIV_API_URL=kit.arxiv_url,
        )
    runs = tmp_path / "runs"
    runs.mkdir()
    return Sandbox(cwd, env, runs)


def repo_copy(dest: Path, seeded_home: Path) -> Path:
    """The repository's files without its git data, caches and virtualenv, ``.venv``
    linked to the real one; the retrieval eval's store cache is the seeded store, which is
    what that eval's first run builds (the same seed files, ingested)."""
    skip_top = {".git", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist"}

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        ignored = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        if here == ROOT:
            ignored |= skip_top & set(names)
        if here == ROOT / "evals":
            ignored |= {".cache", "results"} & set(names)
        return ignored

    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    venv = ROOT / ".venv" if (ROOT / ".venv").exists() else Path(sys.prefix)
    (dest / ".venv").symlink_to(venv.resolve())
    shutil.copytree(seeded_home, dest / "evals" / ".cache" / "seeds")
    # The checkout's lint and type caches, hard-linked (mypy and ruff replace a cache file,
    # never write into one): a warm mypy takes seconds, a cold one most of a minute.
    for cache in (".mypy_cache", ".ruff_cache"):
        if (ROOT / cache).is_dir():
            try:
                shutil.copytree(ROOT / cache, dest / cache, copy_function=os.link)
            except OSError:  # another file system: start cold
                shutil.rmtree(dest / cache, ignore_errors=True)
    return dest


def free_ports(block_text: str) -> str:
    """A fixed `--port N` of the README that is taken here becomes a free one."""
    for port in sorted(set(re.findall(r"--port (\d{4,5})\b", block_text))):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", int(port)))
                continue
            except OSError:
                pass
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = str(probe.getsockname()[1])
        block_text = re.sub(rf"(?<![\d.]){port}(?!\d)", free, block_text)
    return block_text


# -- running a block -------------------------------------------------------------------


@dataclass
class Ran:
    line: Line
    rc: int | None  # None: not run, an earlier line failed
    out: str
    err: str
    timed_out: bool = False


def run_lines(lines: list[Line], box: Sandbox, timeout: float | None = BLOCK_TIMEOUT) -> list[Ran]:
    """The lines as one bash script (so `cd`, `export`, `&` and `kill %1` work across
    lines), stopping at the first line whose exit code is not the expected one. A line's
    exit code is its first failing command's (an ERR trap), so the failure of `a` in
    `a; kill %1` counts."""
    script = [
        "set -o pipefail",
        "trap 'kill $(jobs -p) 2>/dev/null' EXIT",
        "trap '__failed=${__failed:-$?}' ERR",
    ]
    for i, line in enumerate(lines):
        out, err, rc = (shlex.quote(str(box.runs / f"{i}.{kind}")) for kind in ("out", "err", "rc"))
        expected = 3 if line.needs_model else 0
        script += [
            f"# README.md:{line.number}",
            "__failed=",
            f"{{ {line.command}\n}} >{out} 2>{err} </dev/null",
            "__rc=$?; [ $__rc -ne 0 ] || __rc=${__failed:-0}",
            f"echo $__rc >{rc}; [ $__rc -eq {expected} ] || exit 0",
        ]
    path = box.runs / "block.sh"
    path.write_text("\n".join(script) + "\n", encoding="utf-8")
    timed_out = False
    with (box.runs / "shell.log").open("wb") as log:
        shell = subprocess.Popen(
            ["bash", str(path)],
            cwd=box.cwd,
            env=box.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            shell.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            stop_group(shell)

    def read(i: int, kind: str) -> str:
        file = box.runs / f"{i}.{kind}"
        return ANSI.sub("", file.read_text(errors="replace")) if file.exists() else ""

    results: list[Ran] = []
    for i, line in enumerate(lines):
        rc = read(i, "rc").strip()
        ran = Ran(line, int(rc) if rc else None, read(i, "out"), read(i, "err"))
        if timed_out and rc == "" and (i == 0 or results[-1].rc is not None):
            ran.timed_out = True
        results.append(ran)
    return results


def stop_group(shell: subprocess.Popen[bytes]) -> None:
    """End the block's shell and whatever it left running (servers started with `&`)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(shell.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(shell.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            continue
        break
    shell.wait()


def problem(ran: Ran) -> str | None:
    if ran.timed_out:
        return "still running when the block's time ran out"
    if ran.rc is None:
        return "not run: an earlier line failed"
    if TRACEBACK in ran.err:
        return f"exit {ran.rc} with a Python traceback"
    if ran.rc == 2 and ran.line.runs_reviewer:
        return "exit 2, a usage error: the README no longer matches the command line"
    if ran.line.needs_model:
        errors = [e for e in ran.err.splitlines() if e.startswith("error:")]
        if ran.rc == 3 and len(errors) == 1 and "REVIEWER_MODEL" in errors[0]:
            return None
        return (
            f"exit {ran.rc}: without a model this command must stop with exit 3 and one "
            "'error:' line naming REVIEWER_MODEL"
        )
    return None if ran.rc == 0 else f"exit {ran.rc}, expected 0"


def tail(text: str, lines: int = 15) -> str:
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join("    " + line for line in kept) or "    (nothing)"


def report(block: Block, results: list[Ran]) -> str:
    parts = [f"README.md block {block.id} (line {block.number}) failed:"]
    for ran in results:
        why = problem(ran)
        if why is None:
            continue
        if ran.rc is None and not ran.timed_out:
            parts.append(f"\n(and {sum(r.rc is None for r in results)} later line(s) not run)")
            break
        parts.append(f"\nREADME.md:{ran.line.number}: {ran.line.command}\n  {why}")
        parts.append(f"  stderr:\n{tail(ran.err)}\n  stdout:\n{tail(ran.out)}")
    return "\n".join(parts)


# -- the tests -------------------------------------------------------------------------


def test_the_readme_has_command_blocks_and_every_marker_is_known() -> None:
    assert any(b.info in COMMAND_INFOS for b in BLOCKS), "no command block found in README.md"
    for block in BLOCKS:
        kinds = [kind for kind, _ in block.markers]
        assert set(kinds) <= {"skip", "slow"}, f"{block.id}: unknown marker {block.markers}"
        assert len(kinds) <= 1, f"{block.id}: one readme-test marker per block"


@pytest.mark.parametrize(("block", "skipped_line"), list(_cases()))
def test_readme_block(block: Block, skipped_line: Line | None, kit: Kit, tmp_path: Path) -> None:
    if skipped_line is not None:
        pytest.skip(f"README.md:{skipped_line.number}: {skipped_line.skip}")
    reason = block.marker("skip")
    if reason is not None:
        assert ALLOWED_SKIP.search(reason), (
            f"README.md block {block.id} (line {block.number}) is skipped for a reason the "
            f"rule does not allow: {reason!r}. Only a block that needs a network, the package "
            "registry or a hosted key may be skipped; make it run instead."
        )
        pytest.skip(f"README.md:{block.number}: {reason}")
    slow = block.marker("slow")
    if slow is not None and os.environ.get(SLOW_ENV) != "1":
        pytest.skip(f"README.md:{block.number}: slow, set {SLOW_ENV}=1 to run: {slow}")

    if block.info == "toml":
        check_config_file(block, kit, tmp_path)
        return
    if block.info == "ini":  # a systemd unit: INI with repeatable keys
        configparser.ConfigParser(strict=False, interpolation=None).read_string(block.text)
    lines = [line for line in block.lines if not line.skip]
    if not lines:
        return  # nothing to run (a timer unit)
    box = make_sandbox(kit, block, tmp_path)
    if block.developer:
        ported = free_ports("\n".join(line.command for line in lines)).split("\n")
        lines = [
            Line(line.number, cmd, line.comment) for line, cmd in zip(lines, ported, strict=True)
        ]
    sent_before = len(kit.smtp.messages)
    results = run_lines(lines, box, timeout=None if slow else BLOCK_TIMEOUT)
    if any(problem(ran) for ran in results):
        pytest.fail(report(block, results), pytrace=False)

    mails = [
        ran.line
        for ran in results
        for _, argv in simple_commands(ran.line.command)
        if _is_reviewer(argv) and argv[1:2] == ["digest"] and "--dry-run" not in argv
    ]
    if mails and not block.developer:
        assert len(kit.smtp.messages) > sent_before, (
            f"{block.id}: `{mails[0].command}` exited 0 but no message reached the SMTP server"
        )
    if any("tests/smtp_server.py" in line.command for line in lines):
        assert any("--- from " in ran.out for ran in results), (
            f"{block.id}: the loopback SMTP server printed no received message:\n"
            + "\n".join(tail(ran.out) for ran in results)
        )


def check_config_file(block: Block, kit: Kit, tmp_path: Path) -> None:
    """A TOML block is a config file reviewer accepts, read where the README puts it
    (REVIEWER_HOME/config.toml), with its values reported back."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(block.text + "\n", encoding="utf-8")
    env = {**clean_env(), "REVIEWER_HOME": str(home), "PATH": f"{kit.bin}:{os.environ['PATH']}"}
    shown = subprocess.run(
        [str(kit.bin / "reviewer"), "config", "show", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0 and TRACEBACK not in shown.stderr, (
        f"README.md:{block.number}: reviewer refuses this config file:\n{shown.stderr}"
    )
    settings = json.loads(shown.stdout)
    sections = [settings, *(v for v in settings.values() if isinstance(v, dict))]
    for key, value in tomllib.loads(block.text).items():
        if key == "smtp_password":
            continue  # never shown
        for section in sections:
            if key in section:
                assert section[key] == value, f"{key}: {section[key]!r} != {value!r}"
