"""One error vocabulary: every failure a user can cause or fix is a ReviewerError.

The CLI's single handler prints ``message`` (and ``hint``) on one line each and
exits with ``exit_code``; ``REVIEWER_RAISE_ERRORS=1`` re-raises for debugging.
"""

from __future__ import annotations


class ReviewerError(Exception):
    """A failure with a message for the user and an optional hint on what to do."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(ReviewerError):
    """A call the program cannot act on as given: an unknown choice, a bad date, a
    missing argument. The same exit code as the command line's own usage errors."""

    exit_code = 2


class InputError(ReviewerError):
    """A file that cannot be read as papers: names the file, where, and what is wrong."""

    exit_code = 2

    def __init__(
        self, path: str, problem: str, where: str | None = None, hint: str | None = None
    ) -> None:
        self.path = path
        self.problem = problem
        self.where = where
        location = f"{path}, {where}" if where else path
        super().__init__(f"{location}: {problem}", hint)


class ConfigError(ReviewerError):
    """A setting is missing or invalid."""

    exit_code = 3


class StoreError(ReviewerError):
    """The store cannot be opened or written."""

    exit_code = 4


class NotFoundError(ReviewerError):
    """A paper id or other named thing does not exist."""

    exit_code = 5


class NetworkError(ReviewerError):
    """A remote service could not be reached or answered with an error."""

    exit_code = 6


class LLMError(ReviewerError):
    """The model server failed, or kept failing after the bounded retries."""

    exit_code = 7


class BudgetExceeded(ReviewerError):
    """The next model call would take the run past --max-cost."""

    exit_code = 8
