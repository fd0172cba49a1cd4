"""`reviewer ingest --arxiv`: paging, politeness, retries, and a cassette replay."""

from __future__ import annotations

import json

import pytest
from arxiv_standin import ArxivStandIn
from conftest import run_cli

from reviewer.corpus import arxiv_api
from reviewer.errors import NetworkError


def test_fetch_pages_politely_and_stops_at_the_last_page() -> None:
    slept: list[float] = []
    with ArxivStandIn() as api:
        papers = arxiv_api.fetch("all:testing", 150, base_url=api.url, sleep=slept.append)
    assert len(papers) == 101  # 100 on the first page, 1 on the second (which was short)
    assert [r["query"]["start"] for r in api.requests] == ["0", "100"]
    assert [r["query"]["max_results"] for r in api.requests] == ["100", "50"]
    assert api.requests[0]["query"]["search_query"] == "all:testing"
    assert api.requests[0]["user_agent"].startswith("reviewer/")
    # One request every 3 s: the second waited (almost) the full delay.
    assert len(slept) == 1 and 2.5 < slept[0] <= 3.0
    assert papers[0].arxiv_id == "2202.12139" and papers[0].authors[0] == "Mohit Kumar Ahuja"


def test_transient_failures_are_retried_with_the_same_spacing() -> None:
    slept: list[float] = []
    with ArxivStandIn(failures=[503, 429]) as api:
        papers = arxiv_api.fetch("all:testing", 100, base_url=api.url, sleep=slept.append)
    assert len(papers) == 100 and len(api.requests) == 3 and len(slept) == 2


def test_a_refused_query_is_not_retried_and_says_why() -> None:
    with (
        ArxivStandIn(failures=[400]) as api,
        pytest.raises(NetworkError, match="refused the query"),
    ):
        arxiv_api.fetch("all:testing", 10, base_url=api.url, sleep=lambda s: None)
    assert len(api.requests) == 1


def test_unreachable_api_is_a_clear_error_after_bounded_retries() -> None:
    with ArxivStandIn() as api:
        url = api.url
    with pytest.raises(NetworkError, match="cannot reach the arXiv API"):
        arxiv_api.fetch("all:testing", 10, base_url=url, sleep=lambda s: None)


def test_cli_ingest_arxiv_through_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    with ArxivStandIn() as api:
        result = run_cli(
            "ingest",
            "--arxiv",
            "all:testing",
            "--max",
            "100",
            "--json",
            env={"REVIEWER_ARXIV_API_URL": api.url},
            check=True,
        )
    report = json.loads(result.stdout)
    assert report["files"] == [{"path": "arxiv:all:testing", "format": "arxiv-api", "entries": 100}]
    assert report["new"] == 100


@pytest.mark.vcr
def test_fetch_replays_cassette_recorded_from_the_local_standin() -> None:
    # Replay only (record mode none): no server is running at this address.
    papers = arxiv_api.fetch(
        "all:testing", 100, base_url="http://127.0.0.1:9/api/query", sleep=lambda s: None
    )
    assert len(papers) == 100
    assert papers[0].title.startswith("Testing Deep Learning Models")
    assert all(p.arxiv_id and p.authors and p.published for p in papers)
