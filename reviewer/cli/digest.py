"""The weekly digest email: reviewer digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from reviewer.cli.output import JSON_OPT, emit_json, info, reflow, write_output

if TYPE_CHECKING:
    from reviewer.mail import Digest, MailLedger
    from reviewer.settings import Settings
    from reviewer.tasks.digest import DigestContent, Window

OUTPUT_SUFFIXES = (".eml", ".html", ".htm", ".txt")


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
        0.4,
        "--min-score",
        help="With --topic: the relevance a paper needs for some topic, the mean of its dense "
        "similarity to the topic and the share of the topic's terms it uses (0 to 1).",
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
    as_json: bool = JSON_OPT,
) -> None:
    """Email a digest of papers: those published in a date window (or added since the
    last digest with --new), optionally only those relevant to --topic, grouped into
    themes, each with a TL;DR, its authors, date, abstract link and code link.

    The message has a plain-text and an HTML part. SMTP comes from REVIEWER_SMTP_HOST,
    _PORT, _SECURITY (starttls, ssl or none), _USER, _PASSWORD and REVIEWER_MAIL_FROM,
    or the same keys in the config file. Transient failures are retried.

    A sent ledger in REVIEWER_HOME/mail.sqlite makes it safe to re-run: the same digest
    (recipients, window, topics) is sent once (--force sends it again), a paper already
    sent to a recipient is not repeated, and a digest that could not be sent is kept and
    sent by the next run."""
    from reviewer.errors import ReviewerError
    from reviewer.mail import check_address, check_smtp_settings
    from reviewer.settings import load_settings
    from reviewer.tasks.digest import DEFAULT_MIN_SCORE, check_min_score, date_window

    # Everything the user typed is checked before the store or the ledger is opened.
    window = date_window(since, until, week, new, date.today())
    topic_list = [t for t in (topics or []) if t.strip()]
    if topics and not topic_list:
        raise ReviewerError("--topic: give a topic, e.g. --topic 'SAM adaptation'")
    if topic_list:
        check_min_score(min_score)
    elif min_score != DEFAULT_MIN_SCORE:
        raise ReviewerError("--min-score applies to --topic; give a topic too")
    if output is not None and output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ReviewerError(
            f"-o {output}: the file name must end in .eml, .html or .txt",
            hint=".eml holds the whole message (headers, text and HTML parts).",
        )
    settings = load_settings()
    recipients = [check_address(r, "--to") for r in (to or [])] or [
        check_address(r, "mail_to") for r in settings.mail_to
    ]
    if not dry_run:
        if not recipients:
            raise ReviewerError(
                "no recipients: give --to ADDR (or set mail_to / REVIEWER_MAIL_TO)",
                hint="--dry-run -o digest.html builds the digest without sending it.",
            )
        check_smtp_settings(settings)
    if summarize or name_themes:
        from reviewer.llm.client import require_model

        require_model(settings)

    from reviewer.mail import MailLedger

    request = _Request(
        window,
        topic_list,
        min_score,
        recipients,
        dry_run,
        output,
        force,
        skip_empty,
        summarize,
        name_themes,
        max_themes,
        as_json,
    )
    if dry_run and not settings.mail_db_path.exists():
        _run(settings, None, request)  # a dry run creates no ledger
        return
    ledger = MailLedger(settings)
    try:
        if dry_run:
            _run(settings, ledger, request)
        else:
            with ledger.lock():
                _run(settings, ledger, request)
    finally:
        ledger.close()


@dataclass(frozen=True)
class _Request:
    window: Window | None  # None: --new, whose start the ledger knows
    topics: list[str]
    min_score: float
    recipients: list[str]
    dry_run: bool
    output: Path | None
    force: bool
    skip_empty: bool
    summarize: bool
    name_themes: bool
    max_themes: int
    as_json: bool


def _run(settings: Settings, ledger: MailLedger | None, request: _Request) -> None:
    from reviewer.cli.corpus import _open_store
    from reviewer.cli.llm import stored_summaries
    from reviewer.render.email import build_message, plural, render_html, render_text
    from reviewer.tasks.digest import build_digest, digest_key, new_window, now_utc

    report: dict[str, Any] = {"recipients": request.recipients, "dry_run": request.dry_run}
    flushed: set[str] = set()
    if ledger is not None:
        waiting = ledger.pending()
        if request.dry_run and waiting:
            info(f"{len(waiting)} digest(s) wait in the outbox; a real run sends them first.")
        elif waiting:
            report["sent_from_outbox"] = []
            for held in waiting:
                info(
                    f"Sending the digest an earlier run could not send: {held.subject!r} "
                    f"(built {held.created}) to {', '.join(held.recipients)}"
                )
                _send(settings, ledger, held)
                flushed.add(held.key)
                report["sent_from_outbox"].append(_held_json(held))

    now = now_utc()
    window = request.window
    if window is None:  # --new: from the recipients' last digest
        last = ledger.last_new_upto(request.recipients) if ledger is not None else {}
        window = new_window(last if request.recipients else {}, now)
        if window.first_new:
            info("No earlier digest to these recipients: --new starts a week back.")
    key = digest_key(request.recipients, window, request.topics, request.min_score)
    report.update(key=key, window=window.spec(), window_label=window.label())
    prior = ledger.last_sent(key) if ledger is not None else None
    resend = request.force
    if prior is not None and not request.force and request.dry_run:
        info(
            f"This digest was sent already ({prior.sent_at}): a real run sends nothing. "
            "Previewing it as --force would send it."
        )
        resend = True
    elif prior is not None and not request.force:
        if prior.key in flushed:
            report["status"] = "sent_from_outbox"
        else:
            info(
                f"This digest was sent already ({prior.sent_at}, {prior.subject!r}, "
                f"Message-ID {prior.message_id}); nothing sent. --force sends it again."
            )
            report.update(status="already_sent", message_id=prior.message_id)
        if request.as_json:
            emit_json(report)
        return

    store = _open_store()
    summaries = stored_summaries(settings)

    def already_sent(ids: Any) -> set[str]:
        if resend or ledger is None or not request.recipients:
            return set()
        return ledger.already_sent(request.recipients, ids)

    content = build_digest(
        store,
        window,
        request.topics,
        request.min_score,
        already_sent,
        summaries,
        max_themes=request.max_themes,
    )
    if request.summarize and content.count:
        content = _with_summaries(settings, content)
    if request.name_themes and len(content.themes) > 1:
        _name_themes(settings, content)
    _say_what_was_left_out(content)
    report.update(content.to_json())

    if window.new and not resend and content.in_window == len(content.left_out_sent):
        info(f"Nothing was added to the store since {window.added_since}; nothing sent.")
        report["status"] = "nothing_new"
        if request.as_json:
            emit_json(report)
        return
    if content.count == 0 and request.skip_empty:
        info(f"No papers for {window.label()}; --skip-empty: nothing sent.")
        report["status"] = "skipped_empty"
        if request.as_json:
            emit_json(report)
        return

    message = build_message(content, request.recipients, settings.mail_from, key)
    report.update(subject=str(message["Subject"]), message_id=str(message["Message-ID"]))
    if request.output is not None:
        _write(request.output, message, content)
        info(
            f"Wrote {request.output} ({plural(content.count, 'paper')} in "
            f"{plural(len(content.themes), 'theme')})."
        )
    if request.dry_run:
        if request.output is None and not request.as_json:
            typer.echo(render_text(content), nl=False)
        elif request.output is None:
            report["text"] = render_text(content)
            report["html"] = render_html(content)
        report["status"] = "dry_run"
        info(f"Dry run: nothing sent. Subject: {message['Subject']}")
        if request.as_json:
            emit_json(report)
        return

    assert ledger is not None
    spec = {
        "key": key,
        "window": window.spec(),
        "topics": request.topics,
        "store_upto": now.isoformat(timespec="seconds"),
    }
    held = ledger.add_pending(
        key, message, request.recipients, [p.paper.id for p in content.papers], spec
    )
    _send(settings, ledger, held)
    report["status"] = "sent"
    if request.as_json:
        emit_json(report)


def _send(settings: Settings, ledger: MailLedger, held: Digest) -> None:
    """Deliver a stored digest and record it; a failure is recorded and re-raised, the
    digest staying in the outbox for the next run (unless the server refused the message
    itself)."""
    from reviewer.errors import NetworkError
    from reviewer.mail import MessageRejected, deliver, redact_secrets, server_name

    def on_retry(reason: str, wait: float) -> None:
        info(f"{server_name(settings)}: {reason}; retrying in {wait:g} s")

    try:
        result = deliver(held.message, held.recipients, settings, on_retry=on_retry)
    except NetworkError as exc:
        rejected = isinstance(exc, MessageRejected)
        ledger.record_failure(held, redact_secrets(exc.message, settings), rejected=rejected)
        if rejected:
            exc.hint = (
                "The server refused this message, so it is not kept for a retry. Fix what it "
                "names (an address, the sender), then run the command again to build it anew."
            )
        raise
    ledger.mark_sent(held, result.accepted)
    for address, why in result.refused.items():
        info(f"warning: {server_name(settings)} refused {address}: {why}")
    info(
        f"Sent {held.subject!r} to {', '.join(result.accepted)} through {server_name(settings)} "
        f"(Message-ID {held.message_id})."
    )


def _held_json(held: Digest) -> dict[str, Any]:
    return {
        "subject": held.subject,
        "message_id": held.message_id,
        "recipients": held.recipients,
        "built": held.created,
    }


def _say_what_was_left_out(content: DigestContent) -> None:
    from reviewer.render.email import why_kept

    if content.left_out_sent:
        k = len(content.left_out_sent)
        info(f"Left out {k} paper{'s' if k != 1 else ''} already sent to a recipient.")
    if content.left_out_topics:
        info(f"Left out {content.left_out_topics} paper(s) that match no topic.")
    for item in content.papers:
        for match in item.matches:
            info(f"{item.paper.id}: {why_kept(match)}")


def _with_summaries(settings: Settings, content: DigestContent) -> DigestContent:
    """--summarize: summarize the selected papers without a current summary, then
    take their TL;DRs from the new summaries."""
    from reviewer.cli.llm import run_summaries, stored_summaries
    from reviewer.tasks.digest import tldr_for

    todo = [p.paper for p in content.papers if p.tldr_source != "summary" and p.paper.abstract]
    if not todo:
        return content
    report = run_summaries(todo, None, None, settings)
    fresh = stored_summaries(settings)
    for item in content.papers:
        item.tldr, item.tldr_source = tldr_for(item.paper, fresh.get(item.paper.id))
    if report.stopped is not None:
        raise report.stopped
    return content


def _name_themes(settings: Settings, content: DigestContent) -> None:
    from reviewer.llm.client import LLMClient
    from reviewer.llm.db import LLMDatabase
    from reviewer.tasks.digest import name_themes_with_model

    db = LLMDatabase(settings.llm_db_path)
    try:
        why = name_themes_with_model(LLMClient(settings, db), content.themes)
    finally:
        db.close()
    if why:
        info(f"Kept the clustering's theme names: the model's failed validation ({why}).")
    else:
        info("Theme names: " + "; ".join(t.title for t in content.themes))


def _write(path: Path, message: Any, content: DigestContent) -> None:
    from reviewer.render.email import render_html, render_text

    suffix = path.suffix.lower()
    if suffix == ".eml":
        write_output(path, message.as_bytes())
    elif suffix in (".html", ".htm"):
        write_output(path, render_html(content))
    else:
        write_output(path, render_text(content))


def register(app: typer.Typer) -> None:
    app.command("digest", help=reflow(digest.__doc__))(digest)
