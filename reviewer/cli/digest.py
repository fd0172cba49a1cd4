"""The weekly digest email: reviewer digest."""

from __future__ import annotations

from pathlib import Path

import typer

from reviewer.cli.output import JSON_OPT, REFRESH_OPT, emit_json, open_reviewer, reflow

# The library's default (reviewer.tasks.digest.DEFAULT_MIN_SCORE), repeated here so that
# `--help` needs no pipeline import; tests/test_architecture.py keeps the two equal.
DEFAULT_MIN_SCORE = 0.29


def digest(
    since: str | None = typer.Option(
        None, "--since", help="First publication date (YYYY-MM-DD), inclusive.", show_default=False
    ),
    until: str | None = typer.Option(
        None,
        "--until",
        help="Last publication date, inclusive (default: today).",
        show_default=False,
    ),
    week: str | None = typer.Option(
        None,
        "--week",
        help="An ISO week, Monday to Sunday: 2025-W36, or last / this.",
        show_default=False,
    ),
    new: bool = typer.Option(
        False, "--new", help="Papers added to the store since the last digest to the recipients."
    ),
    topics: list[str] = typer.Option(
        None,
        "--topic",
        help="Keep only papers relevant to these topics (hybrid search); repeat or list several.",
        show_default=False,
    ),
    min_score: float = typer.Option(
        DEFAULT_MIN_SCORE,
        "--min-score",
        help="With --topic: the relevance a paper needs for some topic (0 to 1): how much "
        "more similar to the topic it is than the store's typical paper, and how it uses "
        "the topic's words (together, in the title or first sentences, not once in passing).",
    ),
    to: list[str] = typer.Option(
        None,
        "--to",
        help="Recipients; repeat or list several (default: mail_to in the settings).",
        show_default=False,
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Build the digest but send nothing and record nothing."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Also write the digest to FILE: .eml (the whole message), .html or .txt.",
        show_default=False,
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Send even if this digest was sent already, repeating papers sent before.",
    ),
    skip_empty: bool = typer.Option(
        False, "--skip-empty", help="Send nothing when no paper is selected."
    ),
    summarize: bool = typer.Option(
        False,
        "--summarize",
        help="First summarize the selected papers lacking a current summary (needs "
        "REVIEWER_MODEL); otherwise a TL;DR is a cached summary's or the abstract's first "
        "sentence.",
    ),
    max_themes: int = typer.Option(5, "--max-themes", min=1, max=12, help="At most N themes."),
    name_themes: bool = typer.Option(
        False,
        "--name-themes",
        help="Ask the model (REVIEWER_MODEL) to name the themes, using only words of their "
        "titles; the clustering's names stay when its answer fails that check.",
    ),
    refresh: bool = REFRESH_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Email a digest of papers: those published in a date window (or added since the
    last digest with --new), optionally only those relevant to --topic, grouped into
    themes, each with a TL;DR, its authors, date, abstract link and code link.

    Date windows (--since/--until, --week) go by first publication: revisions of older
    papers are left out (a v4 listed this week of a 2024 paper is not new). A paper whose
    first day is unknown (its month taken from the arXiv id) counts for the whole month.

    The message has a plain-text and an HTML part. SMTP comes from REVIEWER_SMTP_HOST,
    _PORT, _SECURITY (starttls, ssl or none), _USER, _PASSWORD and REVIEWER_MAIL_FROM,
    or the same keys in the config file. Transient failures are retried.

    A sent ledger in REVIEWER_HOME/mail.sqlite makes it safe to re-run: the same digest
    (recipients, window, topics) is sent once (--force sends it again), a paper already
    sent to a recipient is not repeated, and a digest that could not be sent is kept and
    sent by the next run."""
    run = open_reviewer().digest(
        since=since,
        until=until,
        week=week,
        new=new,
        topics=list(topics or []),
        min_score=min_score,
        to=list(to or []),
        dry_run=dry_run,
        output=output,
        force=force,
        skip_empty=skip_empty,
        summarize=summarize,
        name_themes=name_themes,
        max_themes=max_themes,
        refresh=refresh,
    )
    if as_json:
        emit_json(run.to_json())
    elif run.status == "dry_run" and run.text is not None:
        typer.echo(run.text, nl=False)


def register(app: typer.Typer) -> None:
    app.command("digest", help=reflow(digest.__doc__))(digest)
