"""How the library tells its caller what it is doing, without printing.

Long work (embedding, model calls, writing paragraphs) reports through a ``Reporter``:
``note`` for a line a person would want to read ("Embedding 423 papers…", a dropped
sentence, a retry), ``start``/``advance``/``finish`` for a count of done items, ``tokens``
for a model's answer while it streams in. The default reporter sends notes to the
``reviewer`` logger and ignores progress; the CLI passes one that writes to stderr and
draws a progress bar on a terminal; the MCP server and the evals pass their own or none.
Nothing in the library calls ``print``.
"""

from __future__ import annotations

import logging
from typing import Protocol

logger = logging.getLogger("reviewer")


class Reporter(Protocol):
    def note(self, message: str) -> None:
        """A line for a person: what is happening, what was dropped, what to do next."""

    def start(self, total: int, label: str) -> None:
        """``total`` items of ``label`` work begin (embedding, summarizing, writing…)."""

    def advance(self, done: int = 1) -> None:
        """``done`` more items finished."""

    def finish(self) -> None:
        """The counted work ended (normally or not)."""

    def tokens(self, label: str, count: int, rate: float, done: bool = False) -> None:
        """A model call streaming its answer: ``count`` tokens so far at ``rate`` tokens a
        second (``label`` names the model and what it is asked about). Called with 0
        tokens when the request is sent, often while tokens arrive, and once with
        ``done`` when the stream ends (normally or not). Reporters may ignore it."""


class LogReporter:
    """Notes to the ``reviewer`` logger (INFO), progress to DEBUG."""

    def note(self, message: str) -> None:
        logger.info(message)

    def start(self, total: int, label: str) -> None:
        logger.debug("%s: %d to do", label, total)

    def advance(self, done: int = 1) -> None:
        logger.debug("%d done", done)

    def finish(self) -> None:
        logger.debug("done")

    def tokens(self, label: str, count: int, rate: float, done: bool = False) -> None:
        if done:
            logger.debug("%s: %d tokens, %.1f tok/s", label, count, rate)


class CollectingReporter:
    """Keeps every note (for tests, the MCP server and programs that show them later)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.done = 0
        self.total = 0
        self.streamed: list[tuple[str, int, float, bool]] = []  # every ``tokens`` report

    def note(self, message: str) -> None:
        self.notes.append(message)

    def start(self, total: int, label: str) -> None:
        self.total += total

    def advance(self, done: int = 1) -> None:
        self.done += done

    def finish(self) -> None:
        pass

    def tokens(self, label: str, count: int, rate: float, done: bool = False) -> None:
        self.streamed.append((label, count, rate, done))
