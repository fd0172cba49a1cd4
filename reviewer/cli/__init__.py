"""The `reviewer` command. Thin: each command group lives in its own module and
imports its heavy dependencies (chromadb, onnxruntime, bm25s) inside the command,
so `reviewer --help` stays fast."""

from __future__ import annotations

import os
import sys

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
    """Entry point: runs the app and turns ReviewerErrors into one red line and an exit code."""
    from reviewer.errors import ReviewerError

    try:
        app(args=expand_multi_value_options(sys.argv[1:]), standalone_mode=False)
    except ReviewerError as exc:
        if os.environ.get("REVIEWER_RAISE_ERRORS") == "1":
            raise
        _print_error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _print_error(
            "interrupted", "Run the same command again: finished work is kept, none is duplicated."
        )
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _print_error("aborted", None)
        sys.exit(1)
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


def _print_error(message: str, hint: str | None) -> None:
    red = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    prefix = "\x1b[31merror:\x1b[0m" if red else "error:"
    sys.stderr.write(f"{prefix} {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")
