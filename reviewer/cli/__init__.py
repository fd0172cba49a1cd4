"""The `reviewer` command. Thin: each command group lives in its own module and
imports its heavy dependencies (chromadb, onnxruntime, bm25s) inside the command,
so `reviewer --help` stays fast."""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import typer

from reviewer import __version__

app = typer.Typer(
    name="reviewer",
    help=(
        "Literature-review agent: ingest paper abstracts from listings, feeds, BibTeX and JSON, "
        "search them (hybrid dense + BM25), and write grounded related-work drafts, comparison "
        "tables and summaries whose every citation is a paper in the store.\n\n"
        "State lives in REVIEWER_HOME (default: your user data folder); "
        "REVIEWER_CHROMA_URL points at a Chroma server instead of the embedded store."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reviewer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Literature-review agent."""


from reviewer.cli import corpus as _corpus  # noqa: E402  (registers commands)

_corpus.register(app)

from reviewer.cli import llm as _llm  # noqa: E402

_llm.register(app)

from reviewer.cli import export as _export  # noqa: E402

_export.register(app)

from reviewer.cli import write as _write  # noqa: E402

_write.register(app)

from reviewer.cli import check as _check  # noqa: E402

_check.register(app)

from reviewer.cli import digest as _digest  # noqa: E402

_digest.register(app)

from reviewer.cli import cache as _cache  # noqa: E402

_cache.register(app)

from reviewer.cli import mcp as _mcp  # noqa: E402

_mcp.register(app)

# Options that take several values: `--ids A B C` is read as `--ids A --ids B --ids C`.
MULTI_VALUE_OPTIONS = {"--ids", "--include", "--exclude", "--to", "--topic"}


def expand_multi_value_options(argv: list[str]) -> list[str]:
    out: list[str] = []
    current: str | None = None
    for token in argv:
        if token in MULTI_VALUE_OPTIONS:
            current = token
            out.append(token)
            continue
        if current and not token.startswith("-") and out and out[-1] != current:
            out.extend([current, token])
            continue
        if token.startswith("-"):
            current = None
        out.append(token)
    return out


def main() -> None:
    """Entry point: runs the app and turns every error a user can cause into one
    ``error:`` line (and at most one ``hint:`` line) on stderr and an exit code:
    a ReviewerError's own code, 2 for a usage error (unknown command or option,
    bad or missing value), 130 for Ctrl-C. ``REVIEWER_RAISE_ERRORS=1`` re-raises."""
    from reviewer.errors import ReviewerError

    raise_errors = os.environ.get("REVIEWER_RAISE_ERRORS") == "1"
    try:
        result = app(
            args=expand_multi_value_options(sys.argv[1:]),
            prog_name="reviewer",
            standalone_mode=False,
        )
    except ReviewerError as exc:
        if raise_errors:
            raise
        _print_error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _interrupted()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort as exc:
        # click turns Ctrl-C into Abort; typer >= 0.26 into a returned 130 (below)
        if isinstance(exc.__context__, KeyboardInterrupt):
            _interrupted()
        _print_error("aborted", None)
        sys.exit(1)
    except Exception as exc:
        # With standalone_mode=False click's errors reach us instead of being printed
        # as a usage block (or, by typer, as a rich box). Typer >= 0.26 vendors click
        # as typer._click, whose exceptions are not click's: both are recognised.
        if raise_errors:
            raise
        if not _is_click_error(exc):
            _unexpected(exc)
        if _is_no_args_help(exc):
            # `reviewer` or `reviewer config` alone: the help text, as with --help.
            # Rich help is printed while the exception is built; plain help is its message.
            text = exc.format_message()  # type: ignore[attr-defined]
            if text.strip():
                sys.stdout.write(text.rstrip("\n") + "\n")
            sys.exit(0)
        message, hint = _describe_click_error(exc)
        _print_error(message, hint)
        sys.exit(2 if _is_usage_error(exc) else _exit_code(exc))
    # With standalone_mode off, click returns (rather than raises) the code of a
    # `typer.Exit(n)` raised in a command body; typer >= 0.26 returns 130 for Ctrl-C.
    if isinstance(result, int) and not isinstance(result, bool) and result != 0:
        if result == 130:
            _interrupted()
        sys.exit(result)


def _unexpected(exc: BaseException) -> NoReturn:
    """A failure nobody planned for (a bug, or an OS error deep in a library): still one
    line, with the way to see the traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        message = f"{exc.strerror}{where}"
    else:
        message = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    _print_error(
        f"unexpected failure: {message}",
        "REVIEWER_RAISE_ERRORS=1 shows the traceback; please report it if it is a bug.",
    )
    sys.exit(1)


def _interrupted() -> NoReturn:
    _print_error(
        "interrupted", "Run the same command again: finished work is kept, none is duplicated."
    )
    sys.exit(130)


_CLICK_EXCEPTION_MODULES = ("click.exceptions", "typer._click.exceptions")


def _click_base_classes() -> tuple[type, ...]:
    """ClickException of click and of typer's vendored copy, where either is loaded.

    Only modules already imported are looked at: an exception of a module that was
    never imported cannot have been raised, and importing one would slow every error.
    """
    found = []
    for name in _CLICK_EXCEPTION_MODULES:
        cls = getattr(sys.modules.get(name), "ClickException", None)
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _is_click_error(exc: BaseException) -> bool:
    if isinstance(exc, _click_base_classes()):
        return True
    # Duck typing for a click of some other layout: the two things click's own
    # handler uses.
    return isinstance(getattr(exc, "exit_code", None), int) and callable(
        getattr(exc, "format_message", None)
    )


def _is_usage_error(exc: BaseException) -> bool:
    return "UsageError" in _class_names(exc) or _exit_code(exc) == 2


def _is_no_args_help(exc: BaseException) -> bool:
    return "NoArgsIsHelpError" in _class_names(exc)


def _exit_code(exc: BaseException) -> int:
    code = getattr(exc, "exit_code", 1)
    return code if isinstance(code, int) and code != 0 else 1


def _describe_click_error(exc: BaseException) -> tuple[str, str | None]:
    """The one-line message and the hint: `Try 'reviewer CMD --help'.`, and for an
    unknown command the nearest names when this typer does not suggest them itself."""
    raw = str(exc.format_message())  # type: ignore[attr-defined]
    message = (
        " ".join(line.strip() for line in raw.splitlines() if line.strip()) or type(exc).__name__
    )
    ctx = getattr(exc, "ctx", None)
    hint = None
    if ctx is None:  # raised by the option parser before a context was made
        hint = f"Try '{_command_path(sys.argv[1:])} --help'."
    else:
        try:
            if ctx.command.get_help_option(ctx) is not None:
                hint = f"Try '{ctx.command_path} {ctx.help_option_names[0]}'."
        except (AttributeError, TypeError):  # a click without these: no hint
            hint = None
        if message.startswith("No such command") and "Did you mean" not in message:
            # typer < 0.20 does not suggest; later ones put it in the message as here
            suggestion = _suggest_command(ctx, message)
            if suggestion:
                message = f"{message.rstrip('.')}. {suggestion}"
    return message, hint


def _command_path(argv: list[str]) -> str:
    """`reviewer CMD [SUB]` as far as the arguments name known (sub)commands."""
    path = ["reviewer"]
    command: Any = typer.main.get_command(app)
    for token in argv:
        commands = getattr(command, "commands", None)
        if token.startswith("-") or not commands or token not in commands:
            break
        path.append(token)
        command = commands[token]
    return " ".join(path)


def _suggest_command(ctx: Any, message: str) -> str | None:
    from difflib import get_close_matches

    typo = message.split("'")[1] if message.count("'") >= 2 else ""
    try:
        names = list(ctx.command.list_commands(ctx))
    except (AttributeError, TypeError):  # a click without list_commands: no suggestion
        return None
    matches = get_close_matches(typo, names) if typo else []
    if not matches:
        return None
    return "Did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"


def _print_error(message: str, hint: str | None) -> None:
    red = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    prefix = "\x1b[31merror:\x1b[0m" if red else "error:"
    sys.stderr.write(f"{prefix} {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")
