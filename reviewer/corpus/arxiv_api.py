"""Fetching papers from the arXiv API (https://info.arxiv.org/help/api/).

Politely: at most one request every 3 seconds (arXiv's stated limit), pages of
at most 100 results, a User-Agent that names the tool, bounded retries on
timeouts and 5xx answers with the same 3-second spacing.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from reviewer import __version__
from reviewer.corpus.model import Paper
from reviewer.corpus.readers import atom
from reviewer.errors import NetworkError

API_URL = "https://export.arxiv.org/api/query"
DELAY_SECONDS = 3.0
PAGE_SIZE = 100
ATTEMPTS = 3


class _TransientError(NetworkError):
    """A failure worth another try: timeouts, refused connections, 429 and 5xx."""


def query_url(query: str, start: int, max_results: int, base: str | None = None) -> str:
    params = {
        "search_query": query,
        "start": str(start),
        "max_results": str(max_results),
        "sortBy": "submittedDate",
        "sortOrder": "descending",
    }
    return f"{base or API_URL}?{urllib.parse.urlencode(params)}"


def fetch(
    query: str,
    max_results: int,
    base_url: str | None = None,
    delay: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_page: Callable[[int], None] | None = None,
) -> list[Paper]:
    """Up to ``max_results`` newest papers matching ``query`` (arXiv query syntax)."""
    base_url = base_url or os.environ.get("REVIEWER_ARXIV_API_URL") or API_URL
    delay = DELAY_SECONDS if delay is None else delay
    papers: list[Paper] = []
    start = 0
    last_request = 0.0
    while len(papers) < max_results:
        size = min(PAGE_SIZE, max_results - len(papers))
        url = query_url(query, start, size, base_url)
        text = None
        for attempt in range(1, ATTEMPTS + 1):
            wait = last_request + delay - time.monotonic()
            if wait > 0:
                sleep(wait)
            last_request = time.monotonic()
            try:
                text = _get(url)
                break
            except _TransientError:
                if attempt == ATTEMPTS:
                    raise
        assert text is not None
        page = atom.read(text, url) if "<entry>" in text else []
        if on_page:
            on_page(len(page))
        papers.extend(page)
        if len(page) < size:
            break  # no more results
        start += len(page)
    return papers[:max_results]


def _get(url: str) -> str:
    request = urllib.request.Request(
        url, headers={"User-Agent": f"reviewer/{__version__} (literature-review tool)"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise _TransientError(f"the arXiv API answered {exc.code} for {url}") from None
        raise NetworkError(
            f"the arXiv API refused the query ({exc.code} {exc.reason})",
            hint="Check the query syntax: https://info.arxiv.org/help/api/user-manual.html",
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _TransientError(
            f"cannot reach the arXiv API at {url.split('?')[0]} ({reason})",
            hint="Check your network connection, or ingest saved files instead.",
        ) from None
