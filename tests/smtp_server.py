"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the digest
tests and for trying `reviewer digest` by hand.

    with SMTPServer() as smtp:                       # a free port on 127.0.0.1
        ... REVIEWER_SMTP_HOST=127.0.0.1 REVIEWER_SMTP_PORT=smtp.port ...
        smtp.messages[0].message                     # an email.message.EmailMessage

``replies`` scripts the answers to DATA, one per message, before it is accepted:
``SMTPServer(replies=["451 4.3.0 try again later"])`` refuses the first message with a
451 and accepts the next. ``users={"name": "password"}`` turns on AUTH (PLAIN and LOGIN,
allowed without TLS: loopback only).

By hand (prints each message it receives; --refuse 4 answers the first four with 451):

    .venv/bin/python tests/smtp_server.py --port 8025 [--save DIR] [--refuse N]
"""

from __future__ import annotations

import argparse
import socket
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)  # type: ignore[return-value]


@dataclass
class _Handler:
    replies: list[str] = field(default_factory=list)
    messages: list[Received] = field(default_factory=list)
    refused: int = 0
    echo: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.replies:
            self.refused += 1
            return self.replies.pop(0)
        login = session.auth_data.login.decode() if session.authenticated else None
        received = Received(
            envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), login
        )
        self.messages.append(received)
        if self.echo:
            _print(received)
        return "250 2.0.0 OK: queued"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SMTPServer:
    def __init__(
        self,
        replies: list[str] | None = None,
        users: dict[str, str] | None = None,
        port: int | None = None,
        echo: bool = False,
    ) -> None:
        self.handler = _Handler(replies=list(replies or []), echo=echo)
        self.port = port or free_port()
        self.users = users or {}
        kwargs: dict[str, Any] = {}
        if users:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self.logins: list[tuple[str, str]] = []

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((mechanism, login))
        ok = self.users.get(login) == password
        # handled=False: aiosmtpd answers (235 or 535) itself.
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def refused(self) -> int:
        return self.handler.refused

    def env(self) -> dict[str, str]:
        """REVIEWER_ settings that point the CLI here."""
        return {
            "REVIEWER_SMTP_HOST": "127.0.0.1",
            "REVIEWER_SMTP_PORT": str(self.port),
            "REVIEWER_SMTP_SECURITY": "none",
            "REVIEWER_MAIL_FROM": "Reviewer <reviewer@example.org>",
            "REVIEWER_SMTP_RETRY_WAIT": "0",
        }

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def _print(received: Received) -> None:
    message = received.message
    print(f"--- from {received.sender} to {', '.join(received.recipients)}", flush=True)
    for name in ("Subject", "Message-ID", "Content-Type"):
        print(f"{name}: {message[name]}", flush=True)
    for part in message.walk():
        if part.get_content_maintype() == "text":
            print(f"  part {part.get_content_type()}: {len(part.get_content())} characters")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--save", help="folder to write each message to as N.eml")
    parser.add_argument(
        "--refuse", type=int, default=0, help="answer the first N messages with a 451"
    )
    args = parser.parse_args()
    replies = ["451 4.3.0 Try again later"] * args.refuse
    with SMTPServer(port=args.port, echo=True, replies=replies) as server:
        print(f"SMTP on 127.0.0.1:{args.port}; Ctrl-C stops", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.2)
                if args.save:
                    for received in server.messages[seen:]:
                        seen += 1
                        with open(f"{args.save}/{seen}.eml", "wb") as out:
                            out.write(received.data)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
