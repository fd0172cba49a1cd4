"""Commands over the response cache of the model's answers: cache clear, cache stats.

The logic is LLMDatabase's (reviewer/llm/db.py); these commands only call and render it.
"""

from __future__ import annotations

import math
from typing import Any

import typer

from reviewer.cli.output import JSON_OPT, emit_json, info, reflow


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


def _open_db() -> Any:
    """The LLM database, or None when there is none yet (it is not created here)."""
    from reviewer.llm.db import LLMDatabase
    from reviewer.settings import load_settings

    settings = load_settings()
    if not settings.llm_db_path.exists():
        return None
    return LLMDatabase(settings.llm_db_path)


def cache_clear(older_than: float | None = OLDER_THAN_OPT, as_json: bool = JSON_OPT) -> None:
    """Delete the model's cached answers: all of them, or those cached more than DAYS days
    ago. The next run asks the model again for what was deleted.

    The call log and cost ledger (`reviewer logs`) and the stored summaries are left alone:
    the summaries of `summarize` stay current, and are exported and reused as before.

    Says how many were deleted on stderr, or prints {"deleted", "remaining",
    "older_than_days"} as JSON on stdout with --json."""
    from datetime import timedelta

    db = _open_db()
    deleted = remaining = 0
    if db is not None:
        try:
            # timedelta holds at most 999999999 days; nothing is cached that long ago.
            age = None if older_than is None else timedelta(days=min(older_than, 999_999_999))
            deleted = db.clear_cache(age)
            remaining = db.cache_stats().entries
        finally:
            db.close()
    if as_json:
        emit_json({"deleted": deleted, "remaining": remaining, "older_than_days": older_than})
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
    from dataclasses import asdict

    from reviewer.llm.db import CacheStats

    db = _open_db()
    if db is None:
        stats = CacheStats(entries=0, failed=0, size_bytes=0, oldest=None, newest=None)
    else:
        try:
            stats = db.cache_stats()
        finally:
            db.close()
    data = asdict(stats)
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
