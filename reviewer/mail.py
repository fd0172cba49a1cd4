"""SMTP delivery with bounded retries, and the sent ledger with its outbox.

The ledger (``REVIEWER_HOME/mail.sqlite``) makes digests idempotent:

- every built digest is stored, whole (the exact bytes to send, Message-ID included),
  as ``pending`` *before* the first SMTP connection, so a crash or a failure between
  building and sending loses nothing: the next run sends that stored message;
- a digest is ``sent`` once the server accepted it, with the papers it carried per
  recipient (``deliveries``), so the same digest (same recipients, window, topics) is
  not sent twice and a paper already sent to a recipient is not repeated later.

The window between the server's acceptance and the ledger update is one SQLite write;
a crash inside it is the one case that can send a digest twice.

Transient SMTP failures (refused or reset connections, timeouts, a server that hangs
up, any 4xx reply) are retried with a doubling wait; the default total is 3.5 s so a
cron run fails fast and the next run delivers. Permanent ones (5xx, a failed login,
a TLS error, an unknown host) stop at once. The SMTP password is never logged,
printed or written: error texts are redacted before they reach the ledger or the
terminal.
"""

from __future__ import annotations

import contextlib
import json
import smtplib
import socket
import sqlite3
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from reviewer.errors import ConfigError, NetworkError, ReviewerError, UsageError
from reviewer.locks import exclusive_lock
from reviewer.settings import Settings

MIGRATIONS = (
    """
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        message_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        recipients TEXT NOT NULL,
        spec TEXT NOT NULL,
        paper_ids TEXT NOT NULL,
        message BLOB NOT NULL,
        status TEXT NOT NULL, -- pending | sent | rejected
        created TEXT NOT NULL,
        sent_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0, -- runs that tried to send it
        last_error TEXT
    );
    CREATE INDEX digests_key ON digests(key, status);
    CREATE TABLE receipts (
        digest_id INTEGER NOT NULL REFERENCES digests(id),
        recipient TEXT NOT NULL,
        PRIMARY KEY (digest_id, recipient)
    );
    CREATE TABLE deliveries (
        recipient TEXT NOT NULL,
        paper_id TEXT NOT NULL,
        digest_id INTEGER NOT NULL REFERENCES digests(id),
        sent_at TEXT NOT NULL,
        PRIMARY KEY (recipient, paper_id, digest_id)
    );
    """,
)

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def normalize_address(address: str) -> str:
    """The bare address, lower-cased: how the ledger knows a recipient."""
    return getaddresses([address])[0][1].strip().lower()


def check_address(address: str, what: str) -> str:
    """``address`` if it is one mailbox (``a@b.org`` or ``Name <a@b.org>``), else a
    one-line error naming it."""
    parsed = getaddresses([address])
    bare = parsed[0][1] if len(parsed) == 1 else ""
    local, _, domain = bare.rpartition("@")
    if not local or not domain or any(c.isspace() for c in bare) or "," in address:
        raise UsageError(
            f"{what}: {address!r} is not an email address",
            hint="Give one address per value, e.g. --to lab@example.org other@example.org.",
        )
    return address.strip()


@dataclass
class Digest:
    """A digest as the ledger holds it."""

    id: int
    key: str
    message_id: str
    subject: str
    recipients: list[str]
    paper_ids: list[str]
    message: bytes
    status: str  # pending | sent
    created: str
    sent_at: str | None
    attempts: int
    last_error: str | None
    spec: dict[str, Any]

    def parsed(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.message)


class MailLedger:
    """The sent ledger and outbox; one process sends at a time (see ``lock``)."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.mail_db_path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA busy_timeout=30000")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._conn.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")

    def close(self) -> None:
        self._conn.close()

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """One sending run at a time per REVIEWER_HOME: two cron runs racing would
        otherwise both find the digest unsent."""
        return exclusive_lock(
            self.path.parent / ".mail.lock",
            ReviewerError(
                "another `reviewer digest` is sending from this REVIEWER_HOME",
                hint="Wait for it to finish, then run this again.",
            ),
        )

    def _digest(self, row: sqlite3.Row) -> Digest:
        return Digest(
            id=row["id"],
            key=row["key"],
            message_id=row["message_id"],
            subject=row["subject"],
            recipients=json.loads(row["recipients"]),
            paper_ids=json.loads(row["paper_ids"]),
            message=bytes(row["message"]),
            status=row["status"],
            created=row["created"],
            sent_at=row["sent_at"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            spec=json.loads(row["spec"]),
        )

    def pending(self) -> list[Digest]:
        rows = self._conn.execute("SELECT * FROM digests WHERE status='pending' ORDER BY id")
        return [self._digest(r) for r in rows]

    def last_sent(self, key: str) -> Digest | None:
        row = self._conn.execute(
            "SELECT * FROM digests WHERE key=? AND status='sent' ORDER BY id DESC LIMIT 1",
            (key,),
        ).fetchone()
        return self._digest(row) if row else None

    def add_pending(
        self,
        key: str,
        message: EmailMessage,
        recipients: Sequence[str],
        paper_ids: Sequence[str],
        spec: dict[str, Any],
    ) -> Digest:
        """Store a built digest before any attempt to send it."""
        with self._conn:
            cursor = self._conn.execute(
                "INSERT INTO digests (key, message_id, subject, recipients, spec, paper_ids, "
                "message, status, created) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (
                    key,
                    str(message["Message-ID"]),
                    str(message["Subject"]),
                    json.dumps(list(recipients)),
                    json.dumps(spec, sort_keys=True),
                    json.dumps(list(paper_ids)),
                    message.as_bytes(policy=policy.SMTP),
                    _now(),
                ),
            )
        row = self._conn.execute("SELECT * FROM digests WHERE id=?", (cursor.lastrowid,))
        return self._digest(row.fetchone())

    def record_failure(self, digest: Digest, error: str, rejected: bool = False) -> None:
        """A run could not send the digest. It stays in the outbox for the next run,
        unless the server ``rejected`` the message itself (a 5xx to its sender,
        recipients or content): sending the same bytes again would fail the same way
        and hold up every later digest, so it leaves the outbox (status ``rejected``)
        and the next run of its command builds it anew."""
        with self._conn:
            self._conn.execute(
                "UPDATE digests SET attempts = attempts + 1, last_error=?, status=? WHERE id=?",
                (error[:500], "rejected" if rejected else "pending", digest.id),
            )

    def mark_sent(self, digest: Digest, accepted: Sequence[str]) -> None:
        """The digest went out: remember which papers each accepted recipient has."""
        when = _now()
        with self._conn:
            self._conn.execute(
                "UPDATE digests SET status='sent', sent_at=?, attempts = attempts + 1, "
                "last_error=NULL WHERE id=?",
                (when, digest.id),
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO receipts VALUES (?, ?)",
                [(digest.id, normalize_address(r)) for r in accepted],
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?)",
                [
                    (normalize_address(r), pid, digest.id, when)
                    for r in accepted
                    for pid in digest.paper_ids
                ],
            )

    def already_sent(self, recipients: Sequence[str], paper_ids: Sequence[str]) -> set[str]:
        """Papers among ``paper_ids`` that any of these recipients already received."""
        wanted = list(dict.fromkeys(paper_ids))
        people = sorted({normalize_address(r) for r in recipients})
        if not wanted or not people:
            return set()
        found: set[str] = set()
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            rows = self._conn.execute(
                f"SELECT DISTINCT paper_id FROM deliveries WHERE paper_id IN "
                f"({','.join('?' * len(chunk))}) AND recipient IN "
                f"({','.join('?' * len(people))})",
                [*chunk, *people],
            )
            found.update(r[0] for r in rows)
        return found

    def last_new_upto(self, recipients: Sequence[str]) -> dict[str, str | None]:
        """For each recipient, the store's newest ``added_at`` when the last digest they
        received was built (the start of their next ``--new`` digest); None if none."""
        out: dict[str, str | None] = {}
        for recipient in recipients:
            row = self._conn.execute(
                "SELECT MAX(json_extract(d.spec, '$.store_upto')) FROM digests d "
                "JOIN receipts r ON r.digest_id = d.id "
                "WHERE r.recipient = ? AND d.status = 'sent'",
                (normalize_address(recipient),),
            ).fetchone()
            out[recipient] = row[0]
        return out


# -- delivery ------------------------------------------------------------------------


def redact_secrets(text: str, settings: Settings) -> str:
    """Error text with every secret masked: the SMTP password, the model key and any
    environment variable that looks like a secret."""
    from reviewer.llm.client import redact

    text = redact(text, settings)
    if settings.smtp_password is not None:
        secret = settings.smtp_password.get_secret_value()
        if secret:
            text = text.replace(secret, "***")
    return text


def mail_settings_report(settings: Settings) -> dict[str, Any]:
    """The mail settings for `reviewer config show`: the password only as set or not."""
    from reviewer.settings import config_path

    password = settings.smtp_password is not None and bool(
        settings.smtp_password.get_secret_value()
    )
    return {
        "smtp_host": settings.smtp_host,
        "smtp_port": settings.smtp_port_in_use,
        "smtp_security": settings.smtp_security,
        "smtp_user": settings.smtp_user,
        "smtp_password": "*** (set)" if password else None,
        "mail_from": settings.mail_from,
        "mail_to": settings.mail_to,
        "ledger": str(settings.mail_db_path),
        "config_file": str(config_path()),
    }


def server_name(settings: Settings) -> str:
    return f"{settings.smtp_host}:{settings.smtp_port_in_use}"


def check_smtp_settings(settings: Settings) -> None:
    """A ConfigError naming what is missing or unsafe, before anything is built."""
    missing = [
        name
        for name, value in (
            ("REVIEWER_SMTP_HOST", settings.smtp_host),
            ("REVIEWER_MAIL_FROM", settings.mail_from),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"cannot send mail: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "not set",
            hint="Set them in the environment or in the config file (smtp_host, mail_from; "
            "see `reviewer config show`), or use --dry-run -o digest.eml.",
        )
    if settings.mail_from:
        check_address(settings.mail_from, "REVIEWER_MAIL_FROM")
    has_password = settings.smtp_password is not None and bool(
        settings.smtp_password.get_secret_value()
    )
    if settings.smtp_user and not has_password:
        raise ConfigError(
            "REVIEWER_SMTP_USER is set but REVIEWER_SMTP_PASSWORD is not",
            hint="Set both to log in, or neither to send without AUTH.",
        )
    if (
        has_password
        and settings.smtp_security == "none"
        and (settings.smtp_host or "").lower() not in LOOPBACK_HOSTS
    ):
        raise ConfigError(
            f"refusing to send the SMTP password unencrypted to {settings.smtp_host} "
            "(REVIEWER_SMTP_SECURITY=none)",
            hint="Use REVIEWER_SMTP_SECURITY=starttls or ssl; none is for a server on loopback.",
        )


class MessageRejected(NetworkError):
    """The server refused the message itself (5xx to its sender, recipients or data)."""


class TransientSMTPError(Exception):
    """A failure worth retrying; ``reason`` is already redacted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {' '.join(text.split())}".strip()


_MESSAGE_LEVEL = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


def _classify(exc: BaseException) -> tuple[bool, str]:
    """(transient?, what happened) for an exception raised while talking SMTP."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        )
        return all(400 <= c < 500 for c in codes), f"every recipient was refused ({detail})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False, f"login refused ({_reply(exc)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500, f"the server answered {_reply(exc)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, "the server closed the connection"
    if isinstance(exc, ssl.SSLError):
        return False, f"TLS failed ({exc.__class__.__name__}: {exc.reason or exc})"
    if isinstance(exc, socket.gaierror):
        return False, "unknown host"
    if isinstance(exc, ConnectionRefusedError):
        return True, "connection refused"
    if isinstance(exc, ConnectionResetError):
        return True, "connection reset"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return True, "timed out"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return False, f"the server does not support it: {exc}"
    if isinstance(exc, OSError):
        return True, f"{exc.__class__.__name__}: {exc.strerror or exc}"
    if isinstance(exc, smtplib.SMTPException):
        return False, f"{exc.__class__.__name__}: {exc}"
    raise exc


def _send_once(
    message: bytes, sender: str, recipients: Sequence[str], settings: Settings
) -> dict[str, Any]:
    """One connection: connect, secure, log in, send. Returns the refused recipients."""
    host = settings.smtp_host or ""
    port = settings.smtp_port_in_use
    timeout = settings.smtp_timeout
    client: smtplib.SMTP
    if settings.smtp_security == "ssl":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        client.ehlo()
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.smtp_user and settings.smtp_password is not None:
            client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        refused = client.sendmail(sender, list(recipients), message)
    return dict(refused)


@dataclass
class DeliveryResult:
    accepted: list[str]
    refused: dict[str, str]
    attempts: int


def deliver(
    message: bytes,
    recipients: Sequence[str],
    settings: Settings,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[str, float], None] | None = None,
) -> DeliveryResult:
    """Send ``message`` (bytes, headers included) to ``recipients``, retrying transient
    failures; a NetworkError naming the server when it cannot be sent."""
    from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt

    check_smtp_settings(settings)
    sender = normalize_address(settings.mail_from or "")
    bare = [normalize_address(r) for r in recipients]
    attempts = 0

    def wait(state: Any) -> float:
        return float(settings.smtp_retry_wait * 2 ** (state.attempt_number - 1))

    def before_sleep(state: Any) -> None:
        if on_retry and state.outcome is not None:
            error = state.outcome.exception()
            reason = error.reason if isinstance(error, TransientSMTPError) else str(error)
            on_retry(reason, state.next_action.sleep if state.next_action else 0.0)

    retrying = Retrying(
        stop=stop_after_attempt(settings.smtp_retries + 1),
        retry=retry_if_exception_type(TransientSMTPError),
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=False,
    )
    try:
        for attempt in retrying:
            with attempt:
                attempts = attempt.retry_state.attempt_number
                try:
                    refused = _send_once(message, sender, bare, settings)
                except (smtplib.SMTPException, OSError) as exc:
                    transient, reason = _classify(exc)
                    reason = redact_secrets(reason, settings)
                    if transient:
                        raise TransientSMTPError(reason) from None
                    kind = MessageRejected if isinstance(exc, _MESSAGE_LEVEL) else NetworkError
                    raise kind(
                        f"cannot send the digest through {server_name(settings)}: {reason}",
                        hint=_hint(settings),
                    ) from None
    except RetryError as exc:
        last = exc.last_attempt.exception()
        reason = last.reason if isinstance(last, TransientSMTPError) else str(last)
        raise NetworkError(
            f"cannot send the digest through {server_name(settings)}: {reason} "
            f"(gave up after {attempts} attempt{'s' if attempts > 1 else ''})",
            hint=_hint(settings),
        ) from None
    refused_text = {
        addr: redact_secrets(
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}", settings
        )
        for addr, (code, msg) in refused.items()
    }
    accepted = [r for r, b in zip(recipients, bare, strict=True) if b not in refused]
    return DeliveryResult(accepted=accepted, refused=refused_text, attempts=attempts)


def _hint(settings: Settings) -> str:
    return (
        "The digest is kept in the outbox (REVIEWER_HOME/mail.sqlite): run the same command "
        "again to send it. Check REVIEWER_SMTP_HOST, _PORT and _SECURITY "
        f"(now {settings.smtp_security})."
    )
