"""One run of the weekly digest: send what waits in the outbox, decide whether this
digest was sent already, build it, write it to a file if asked, store it in the outbox,
and send it. The sent ledger (``reviewer.mail.MailLedger``) makes every step safe to
repeat; ``Reviewer.digest`` is the way in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer.errors import UsageError
from reviewer.results import DigestRun, HeldDigest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reviewer.api import Reviewer
    from reviewer.mail import Digest, MailLedger
    from reviewer.settings import Settings
    from reviewer.tasks.digest import DigestContent, Window

OUTPUT_SUFFIXES = (".eml", ".html", ".htm", ".txt")


@dataclass(frozen=True)
class DigestRequest:
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
    refresh: bool = False

    @classmethod
    def checked(
        cls,
        settings: Settings,
        *,
        since: date | str | None,
        until: date | str | None,
        week: str | None,
        new: bool,
        topics: Sequence[str],
        min_score: float | None,
        to: Sequence[str],
        dry_run: bool,
        output: Path | None,
        force: bool,
        skip_empty: bool,
        summarize: bool,
        name_themes: bool,
        max_themes: int,
        refresh: bool,
        today: date,
    ) -> DigestRequest:
        """Everything the caller asked for, checked before the store or the ledger is
        opened (one-line errors, nothing written)."""
        from reviewer.mail import check_address, check_smtp_settings
        from reviewer.tasks.digest import DEFAULT_MIN_SCORE, check_min_score, date_window

        window = date_window(
            since.isoformat() if isinstance(since, date) else since,
            until.isoformat() if isinstance(until, date) else until,
            week,
            new,
            today,
        )
        topic_list = [t for t in topics if t.strip()]
        if topics and not topic_list:
            raise UsageError("--topic: give a topic, e.g. --topic 'SAM adaptation'")
        if topic_list:
            check_min_score(DEFAULT_MIN_SCORE if min_score is None else min_score)
        elif min_score is not None and min_score != DEFAULT_MIN_SCORE:
            raise UsageError("--min-score applies to --topic; give a topic too")
        if output is not None and output.suffix.lower() not in OUTPUT_SUFFIXES:
            raise UsageError(
                f"-o {output}: the file name must end in .eml, .html or .txt",
                hint=".eml holds the whole message (headers, text and HTML parts).",
            )
        if not 1 <= max_themes <= 12:
            raise UsageError(f"--max-themes: {max_themes} is not between 1 and 12")
        recipients = [check_address(r, "--to") for r in to] or [
            check_address(r, "mail_to") for r in settings.mail_to
        ]
        if not dry_run:
            if not recipients:
                raise UsageError(
                    "no recipients: give --to ADDR (or set mail_to / REVIEWER_MAIL_TO)",
                    hint="--dry-run -o digest.html builds the digest without sending it.",
                )
            check_smtp_settings(settings)
        if summarize or name_themes:
            from reviewer.llm.client import require_model

            require_model(settings)
        return cls(
            window,
            topic_list,
            DEFAULT_MIN_SCORE if min_score is None else min_score,
            recipients,
            dry_run,
            output,
            force,
            skip_empty,
            summarize,
            name_themes,
            max_themes,
            refresh,
        )


def run_digest(rv: Reviewer, request: DigestRequest) -> DigestRun:
    """The whole run; a dry run with no ledger yet creates none."""
    from reviewer.mail import MailLedger

    settings = rv.settings
    if request.dry_run and not settings.mail_db_path.exists():
        return _Run(rv, None, request).run()
    ledger = MailLedger(settings)
    try:
        if request.dry_run:
            return _Run(rv, ledger, request).run()
        with ledger.lock():
            return _Run(rv, ledger, request).run()
    finally:
        ledger.close()


class _Run:
    def __init__(self, rv: Reviewer, ledger: MailLedger | None, request: DigestRequest) -> None:
        self.rv = rv
        self.settings = rv.settings
        self.note = rv.reporter.note
        self.ledger = ledger
        self.request = request
        self.report = DigestRun(recipients=request.recipients, dry_run=request.dry_run)

    def run(self) -> DigestRun:
        from reviewer.render.email import build_message, plural, render_html, render_text
        from reviewer.tasks.digest import build_digest, digest_key, new_window, now_utc

        request, ledger, report = self.request, self.ledger, self.report
        flushed = self._flush_outbox()
        now = now_utc()
        window = request.window
        if window is None:  # --new: from the recipients' last digest
            last = ledger.last_new_upto(request.recipients) if ledger is not None else {}
            window = new_window(last if request.recipients else {}, now)
            if window.first_new:
                self.note("No earlier digest to these recipients: --new starts a week back.")
        key = digest_key(request.recipients, window, request.topics, request.min_score)
        report.key, report.window, report.window_label = key, window.spec(), window.label()
        prior = ledger.last_sent(key) if ledger is not None else None
        resend = request.force
        if prior is not None and not request.force and request.dry_run:
            self.note(
                f"This digest was sent already ({prior.sent_at}): a real run sends nothing. "
                "Previewing it as --force would send it."
            )
            resend = True
        elif prior is not None and not request.force:
            if prior.key in flushed:
                report.status = "sent_from_outbox"
            else:
                self.note(
                    f"This digest was sent already ({prior.sent_at}, {prior.subject!r}, "
                    f"Message-ID {prior.message_id}); nothing sent. --force sends it again."
                )
                report.status, report.message_id = "already_sent", prior.message_id
            return report

        def already_sent(ids: Any) -> set[str]:
            if resend or ledger is None or not request.recipients:
                return set()
            return ledger.already_sent(request.recipients, ids)

        content = build_digest(
            self.rv.store,
            window,
            request.topics,
            request.min_score,
            already_sent,
            self.rv.summaries(),
            max_themes=request.max_themes,
        )
        if request.summarize and content.count:
            content = self._with_summaries(content)
        if request.name_themes and len(content.themes) > 1:
            self._name_themes(content)
        self._say_what_was_left_out(content)
        for name, value in content.to_json().items():
            setattr(report, name, value)

        if window.new and not resend and content.in_window == len(content.left_out_sent):
            self.note(f"Nothing was added to the store since {window.added_since}; nothing sent.")
            report.status = "nothing_new"
            return report
        if content.count == 0 and request.skip_empty:
            self.note(f"No papers for {window.label()}; --skip-empty: nothing sent.")
            report.status = "skipped_empty"
            return report

        message = build_message(content, request.recipients, self.settings.mail_from, key)
        report.subject, report.message_id = str(message["Subject"]), str(message["Message-ID"])
        if request.output is not None:
            _write(request.output, message, content)
            self.note(
                f"Wrote {request.output} ({plural(content.count, 'paper')} in "
                f"{plural(len(content.themes), 'theme')})."
            )
        if request.dry_run:
            if request.output is None:
                report.text = render_text(content)
                report.html = render_html(content)
            report.status = "dry_run"
            self.note(f"Dry run: nothing sent. Subject: {message['Subject']}")
            return report

        assert ledger is not None
        spec = {
            "key": key,
            "window": window.spec(),
            "topics": request.topics,
            "store_upto": self.rv.store.new_upto(now),
        }
        held = ledger.add_pending(
            key, message, request.recipients, [p.paper.id for p in content.papers], spec
        )
        self._send(held)
        report.status = "sent"
        return report

    def _flush_outbox(self) -> set[str]:
        """Send the digests an earlier run could not send; their keys."""
        flushed: set[str] = set()
        if self.ledger is None:
            return flushed
        waiting = self.ledger.pending()
        if self.request.dry_run and waiting:
            self.note(f"{len(waiting)} digest(s) wait in the outbox; a real run sends them first.")
        elif waiting:
            self.report.sent_from_outbox = []
            for held in waiting:
                self.note(
                    f"Sending the digest an earlier run could not send: {held.subject!r} "
                    f"(built {held.created}) to {', '.join(held.recipients)}"
                )
                self._send(held)
                flushed.add(held.key)
                self.report.sent_from_outbox.append(
                    HeldDigest(
                        subject=held.subject,
                        message_id=held.message_id,
                        recipients=held.recipients,
                        built=held.created,
                    )
                )
        return flushed

    def _send(self, held: Digest) -> None:
        """Deliver a stored digest and record it; a failure is recorded and re-raised, the
        digest staying in the outbox for the next run (unless the server refused the
        message itself)."""
        from reviewer.errors import NetworkError
        from reviewer.mail import MessageRejected, deliver, redact_secrets, server_name

        assert self.ledger is not None
        settings = self.settings

        def on_retry(reason: str, wait: float) -> None:
            self.note(f"{server_name(settings)}: {reason}; retrying in {wait:g} s")

        try:
            result = deliver(held.message, held.recipients, settings, on_retry=on_retry)
        except NetworkError as exc:
            rejected = isinstance(exc, MessageRejected)
            self.ledger.record_failure(
                held, redact_secrets(exc.message, settings), rejected=rejected
            )
            if rejected:
                exc.hint = (
                    "The server refused this message, so it is not kept for a retry. Fix what "
                    "it names (an address, the sender), then run the command again to build "
                    "it anew."
                )
            raise
        self.ledger.mark_sent(held, result.accepted)
        for address, why in result.refused.items():
            self.note(f"warning: {server_name(settings)} refused {address}: {why}")
        self.note(
            f"Sent {held.subject!r} to {', '.join(result.accepted)} through "
            f"{server_name(settings)} (Message-ID {held.message_id})."
        )

    def _say_what_was_left_out(self, content: DigestContent) -> None:
        from reviewer.render.email import why_kept

        if content.left_out_sent:
            k = len(content.left_out_sent)
            self.note(f"Left out {k} paper{'s' if k != 1 else ''} already sent to a recipient.")
        if content.left_out_topics:
            self.note(f"Left out {content.left_out_topics} paper(s) that match no topic.")
        for item in content.papers:
            for match in item.matches:
                self.note(f"{item.paper.id}: {why_kept(match)}")

    def _with_summaries(self, content: DigestContent) -> DigestContent:
        """Summarize the selected papers without a current summary, then take their
        TL;DRs from the new summaries."""
        from reviewer.tasks.digest import tldr_for

        todo = [p.paper for p in content.papers if p.tldr_source != "summary" and p.paper.abstract]
        if not todo:
            return content
        result = self.rv.summarize(papers=todo, refresh=self.request.refresh)
        fresh = self.rv.summaries()
        for item in content.papers:
            item.tldr, item.tldr_source = tldr_for(item.paper, fresh.get(item.paper.id))
        result.raise_if_stopped()
        return content

    def _name_themes(self, content: DigestContent) -> None:
        from reviewer.llm.client import LLMClient
        from reviewer.llm.db import LLMDatabase
        from reviewer.tasks.digest import name_themes_with_model

        db = LLMDatabase(self.settings.llm_db_path)
        try:
            client = LLMClient(
                self.settings, db, refresh=self.request.refresh, reporter=self.rv.reporter
            )
            why = name_themes_with_model(client, content.themes)
        finally:
            db.close()
        if why:
            self.note(f"Kept the clustering's theme names: the model's failed validation ({why}).")
        else:
            self.note("Theme names: " + "; ".join(t.title for t in content.themes))


def _write(path: Path, message: Any, content: DigestContent) -> None:
    from reviewer.fileio import write_output
    from reviewer.render.email import render_html, render_text

    suffix = path.suffix.lower()
    if suffix == ".eml":
        write_output(path, message.as_bytes())
    elif suffix in (".html", ".htm"):
        write_output(path, render_html(content))
    else:
        write_output(path, render_text(content))
