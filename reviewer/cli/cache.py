"""Commands over the response cache of the model's answers: cache clear, cache stats.

The logic is LLMDatabase's (reviewer/llm/db.py); these commands only call and render it.
"""

from __future__ import annotations

import math

import typer

from reviewer.cli.output import JSON_OPT, emit_json, info, open_reviewer, reflow


def _positive_days(text: str) -> float:
    """--older-than: a positive, finite number of days (typer turns the error into a
    usage error, exit 2)."""
    try:
        days = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of days") from None
    if not math.isfinite(days) or days <= 0:
        raise ValueError(f"{text!r} is not a positive number of days")
    return days


OLDER_THAN_OPT = typer.Option(
    None,
    "--older-than",
    metavar="DAYS",
    parser=_positive_days,
    help="Only the answers cached more than DAYS days ago (a positive number; 0.5 is 12 hours).",
    show_default=False,
)


def cache_clear(older_than: float | None = OLDER_THAN_OPT, as_json: bool = JSON_OPT) -> None:
    """Delete the model's cached answers: all of them, or those cached more than DAYS days
    ago. The next run asks the model again for what was deleted.

    The call log and cost ledger (`reviewer logs`) and the stored summaries are left alone:
    the summaries of `summarize` stay current, and are exported and reused as before.

    Says how many were deleted on stderr, or prints {"deleted", "remaining",
    "older_than_days"} as JSON on stdout with --json."""
    result = open_reviewer().clear_cache(older_than)
    deleted, remaining = result.deleted, result.remaining
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    which = "" if older_than is None else f" (cached more than {older_than:g} days ago)"
    info(
        f"Deleted {deleted} cached answer{'' if deleted == 1 else 's'}{which}; {remaining} left. "
        "The call log and the stored summaries are kept."
    )


def cache_stats(as_json: bool = JSON_OPT) -> None:
    """Show what the response cache holds: entries (one per request, with its re-asks),
    how many of them failed validation (replayed as failures until refreshed or cleared),
    their size, and when the oldest and newest were cached."""
    data = open_reviewer().cache_stats().model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        typer.echo(f"{key.ljust(width)}  {'' if value is None else value}")


def register(app: typer.Typer) -> None:
    cache = typer.Typer(
        help="The cache of the model's answers: clear it, or see what it holds.",
        no_args_is_help=True,
    )
    cache.command("clear", help=reflow(cache_clear.__doc__))(cache_clear)
    cache.command("stats", help=reflow(cache_stats.__doc__))(cache_stats)
    app.add_typer(cache, name="cache")
