"""reviewer: a literature-review agent over a store of paper abstracts.

The Python API is ``reviewer.Reviewer`` (``reviewer.api``); it is imported on first
use, so ``import reviewer`` (and the CLI's start-up) stays light."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Reviewer", "__version__"]

if TYPE_CHECKING:
    from reviewer.api import Reviewer


def __getattr__(name: str) -> Any:
    if name == "Reviewer":
        from reviewer.api import Reviewer

        return Reviewer
    raise AttributeError(f"module 'reviewer' has no attribute {name!r}")
