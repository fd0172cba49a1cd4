"""LLMClient's error paths against a fault-injecting stand-in server (tests/fault_server.py):
streamed answers (a slow stream outlasting the timeout completes and reports progress; a
stream gone silent fails once, unretried; a server that cannot stream; time budgets),
bounded transport retries (429 with Retry-After, 5xx, resets, unreadable bodies),
errors that must not be retried (400, 401), the key kept out of every message and log,
bounded validation re-asks, the response cache (a failed answer replayed as a failure;
refresh) and the budget. The answers the server gives are hand-written JSON, each only as
good as its test needs: most are meant to fail validation or to tell two answers apart."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from fault_server import FaultServer, pieces
from pydantic import BaseModel, Field, ValidationInfo, model_validator

from reviewer.errors import BudgetExceeded, LLMError
from reviewer.llm.client import LLMClient, Outcome, TimeBudgetExceeded
from reviewer.llm.cost import Budget
from reviewer.llm.db import LLMDatabase
from reviewer.progress import CollectingReporter
from reviewer.prompts import RenderedPrompt
from reviewer.settings import Settings, load_settings
from reviewer.tasks.expand import expand

SECRET = "sk-test-SECRET-123456"
VALID = json.dumps({"text": "a short answer"})
TOO_LONG = json.dumps({"text": "x" * 80})
# Two more hand-written answers, told apart by the Grounded tests' validators.
HANDWRITTEN_A = json.dumps({"text": "a"})
HANDWRITTEN_B = json.dumps({"text": "b"})
# A hand-written valid answer long enough (14 pieces) to stream for seconds.
SLOW = json.dumps({"text": "a hand-written answer that streams in slowly"})
PROMPT = RenderedPrompt(
    "fault_test",
    1,
    (
        {"role": "system", "content": "Answer in JSON."},
        {"role": "user", "content": "Say something short."},
    ),
)


# OpenAI's wording, which litellm maps to ContextWindowExceededError.
CONTEXT_ERROR = (
    "This model's maximum context length is 4096 tokens. However, your messages "
    "resulted in 4229 tokens. Please reduce the length of the messages."
)


class Answer(BaseModel):
    text: str = Field(max_length=50)


@pytest.fixture(scope="module", autouse=True)
def _warm_imports() -> None:
    """Import litellm and instructor once, so no test's timing includes the import."""
    import instructor  # noqa: F401

    import reviewer.llm.litellm_import  # noqa: F401


@pytest.fixture
def fault(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    """A started fault server with an empty script, REVIEWER_MODEL/API_BASE pointing at it
    and settings that keep the tests fast (real waits are replaced per test)."""
    with FaultServer() as server:
        monkeypatch.setenv("REVIEWER_MODEL", "openai/fault-test")
        monkeypatch.setenv("REVIEWER_API_BASE", server.url)
        monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "5")
        for name in (
            "REVIEWER_API_KEY",
            "REVIEWER_LLM_RETRIES",
            "REVIEWER_LLM_RETRY_MAX_WAIT",
            "REVIEWER_LLM_REASKS",
            "REVIEWER_MAX_TOKENS",
            "REVIEWER_INPUT_COST_PER_MTOK",
            "REVIEWER_OUTPUT_COST_PER_MTOK",
        ):
            monkeypatch.delenv(name, raising=False)
        yield server


class Waits:
    """An injectable sleep: records what the client asked for; really sleeps if told to."""

    def __init__(self, real: bool = False) -> None:
        self.asked: list[float] = []
        self.real = real

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if self.real:
            time.sleep(seconds)


def make_client(
    budget: Budget | None = None,
    sleep: Callable[[float], None] | None = None,
    reporter: CollectingReporter | None = None,
) -> tuple[LLMClient, LLMDatabase, Settings]:
    settings = load_settings()
    db = LLMDatabase(settings.llm_db_path)
    client = LLMClient(settings, db, budget, sleep=sleep or Waits(), reporter=reporter)
    return client, db, settings


def ask(client: LLMClient) -> Outcome[Answer]:
    return client.structured(PROMPT, Answer, context={}, task="fault_test", subject="p1")


def statuses(db: LLMDatabase) -> list[tuple[str, int, int]]:
    return [(r["status"], r["attempt"], r["reask"]) for r in db.calls()]


# -- transport retries ---------------------------------------------------------------


def test_429_retry_after_is_honoured(fault: FaultServer) -> None:
    fault.push(("status", 429, {"Retry-After": "1"}), ("answer", VALID))
    waits = Waits(real=True)
    client, db, _ = make_client(sleep=waits)

    outcome = ask(client)

    assert outcome.value is not None and outcome.value.text == "a short answer"
    assert not outcome.cache_hit and outcome.answers == 1
    assert len(fault.requests) == 2
    assert waits.asked == [1.0]
    # The server's own receive times: the second request came after the Retry-After.
    assert fault.gaps()[0] >= 0.9
    rows = db.calls()
    assert [(r["status"], r["attempt"]) for r in rows] == [("error", 1), ("ok", 2)]
    assert "RateLimitError" in rows[0]["error"]
    assert rows[1]["input_tokens"] > 0 and rows[1]["output_tokens"] > 0


def test_5xx_retried_with_bounded_waits(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_LLM_RETRY_MAX_WAIT", "1.5")
    # The second 500 asks for 30 s: the cap wins.
    fault.push(("status", 500), ("status", 500, {"Retry-After": "30"}), ("answer", VALID))
    waits = Waits()
    client, db, settings = make_client(sleep=waits)

    outcome = ask(client)

    assert outcome.value is not None and outcome.value.text == "a short answer"
    assert len(fault.requests) == 3
    assert len(waits.asked) == 2
    assert all(0 < w <= settings.llm_retry_max_wait for w in waits.asked)
    assert waits.asked[1] == settings.llm_retry_max_wait
    assert statuses(db) == [("error", 1, 0), ("error", 2, 0), ("ok", 3, 0)]
    # A transport retry resends the same request, not a re-ask.
    assert fault.requests[0].messages == fault.requests[2].messages


def test_a_timeout_is_not_retried(fault: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server silent for the whole timeout (no first token) ends the call: the same
    request would most likely go silent again. The answer queued next is never asked for."""
    monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "1")
    fault.push(("sleep", 3), ("answer", VALID))
    waits = Waits()
    client, db, _ = make_client(sleep=waits)

    with pytest.raises(LLMError) as info:
        ask(client)

    assert len(fault.requests) == 1
    assert waits.asked == []
    assert "sent no answer within 1 s (REVIEWER_LLM_TIMEOUT); not retried" in info.value.message
    assert "\n" not in info.value.message
    assert info.value.hint and "REVIEWER_LLM_TIMEOUT bounds the wait" in info.value.hint
    rows = db.calls()
    assert [(r["status"], r["attempt"]) for r in rows] == [("error", 1)]
    assert "Timeout" in rows[0]["error"]


def test_connection_reset_then_answer(fault: FaultServer) -> None:
    fault.push(("reset",), ("answer", VALID))
    client, db, _ = make_client()

    outcome = ask(client)

    assert outcome.value is not None and outcome.value.text == "a short answer"
    assert len(fault.requests) == 2
    assert [r["status"] for r in db.calls()] == ["error", "ok"]
    assert "Connection error" in db.calls()[0]["error"]


def test_malformed_body_then_answer(fault: FaultServer) -> None:
    fault.push(("malformed",), ("answer", VALID))
    client, db, _ = make_client()

    outcome = ask(client)

    assert outcome.value is not None and outcome.value.text == "a short answer"
    assert outcome.rejected == 0  # unreadable transport, not a rejected answer
    assert len(fault.requests) == 2
    assert [r["status"] for r in db.calls()] == ["error", "ok"]


def test_always_500_gives_up_after_bounded_retries(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_LLM_RETRIES", "2")
    fault.default = ("status", 500)
    client, db, _ = make_client()

    with pytest.raises(LLMError) as info:
        ask(client)

    assert len(fault.requests) == 3
    message = str(info.value)
    assert "\n" not in message
    assert "gave up after 3 attempts" in message
    assert statuses(db) == [("error", 1, 0), ("error", 2, 0), ("error", 3, 0)]
    assert db.cache_get(client.cache_key(PROMPT, Answer)) is None


def test_400_is_not_retried(fault: FaultServer) -> None:
    fault.default = ("status", 400)
    waits = Waits()
    client, db, _ = make_client(sleep=waits)

    with pytest.raises(LLMError) as info:
        ask(client)

    assert len(fault.requests) == 1
    assert waits.asked == []
    assert "BadRequestError" in str(info.value)
    assert "gave up" not in str(info.value)
    assert statuses(db) == [("error", 1, 0)]


def test_401_key_never_leaks(fault: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWER_API_KEY", SECRET)
    # A careless server echoing the key back in its error message.
    fault.default = ("status", 401, None, f"Incorrect API key provided: {SECRET}")
    client, db, settings = make_client()

    with pytest.raises(LLMError) as info:
        ask(client)

    assert len(fault.requests) == 1
    assert fault.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in str(info.value)
    assert SECRET not in (info.value.hint or "")
    assert "AuthenticationError" in str(info.value)
    rows = db.calls()
    assert len(rows) == 1 and rows[0]["status"] == "error"
    assert "***" in rows[0]["error"]
    for row in rows:
        assert SECRET not in json.dumps(row)
    db.close()
    files = [p for p in settings.home.rglob("*") if p.is_file()]
    assert settings.llm_db_path in files
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path


# -- validation re-asks ---------------------------------------------------------------


def test_invalid_answer_is_reasked(fault: FaultServer) -> None:
    fault.push(("answer", TOO_LONG), ("answer", VALID))
    client, db, _ = make_client()

    outcome = ask(client)

    assert outcome.value is not None and outcome.value.text == "a short answer"
    assert (outcome.answers, outcome.rejected) == (2, 1)
    assert len(fault.requests) == 2
    first, second = (json.dumps(r.messages) for r in fault.requests)
    assert "at most 50 characters" not in first
    assert "at most 50 characters" in second  # instructor sent the error back
    assert len(fault.requests[1].messages) > len(fault.requests[0].messages)
    rows = db.calls()
    assert [(r["status"], r["reask"]) for r in rows] == [("invalid", 0), ("ok", 1)]
    assert "at most 50 characters" in rows[0]["error"]


def test_reasks_are_bounded(fault: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWER_LLM_REASKS", "1")
    fault.default = ("answer", TOO_LONG)
    client, db, _ = make_client()

    outcome = ask(client)

    assert len(fault.requests) == 2
    assert outcome.value is None
    assert outcome.errors and any("at most 50 characters" in e for e in outcome.errors)
    assert outcome.rejected == 2
    assert outcome.answers == 2
    assert [(r["status"], r["reask"]) for r in db.calls()] == [("invalid", 0), ("invalid", 1)]


def test_reask_past_the_context_window_keeps_the_answers_so_far(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_LLM_REASKS", "2")
    fault.push(("answer", TOO_LONG), ("status", 400, {}, CONTEXT_ERROR))
    client, db, _ = make_client()

    outcome = ask(client)  # no exception: the run goes on with what it has

    assert len(fault.requests) == 2
    assert outcome.value is None and outcome.contents == [TOO_LONG]
    assert any("context window" in e for e in outcome.errors)
    assert [r["status"] for r in db.calls()] == ["invalid", "error"]
    assert "ContextWindowExceeded" in (db.calls()[1]["error"] or "")


def test_context_window_exceeded_on_the_first_request_is_an_error(fault: FaultServer) -> None:
    fault.push(("status", 400, {}, CONTEXT_ERROR))
    client, _, _ = make_client()
    with pytest.raises(LLMError, match="context window"):
        ask(client)
    assert len(fault.requests) == 1


# -- cache and budget ---------------------------------------------------------------------


def test_second_call_is_served_from_cache(fault: FaultServer) -> None:
    fault.push(("answer", VALID))
    client, db, _ = make_client()

    first = ask(client)
    second = ask(client)

    assert len(fault.requests) == 1
    assert not first.cache_hit and first.answers == 1
    assert second.cache_hit and second.answers == 0
    assert first.value is not None and second.value is not None
    assert second.value.text == first.value.text == "a short answer"
    rows = db.calls()
    assert [r["status"] for r in rows] == ["ok", "cache"]
    assert rows[1]["cache_hit"] is True
    assert rows[1]["cost_usd"] == 0


class Grounded(BaseModel):
    """Passes only when its text is one of the context's ``allowed`` words and not one
    that today's validators have ``BANNED``: validation that depends on more than the
    request, as the grounding rules do."""

    text: str

    @model_validator(mode="after")
    def _allowed(self, info: ValidationInfo) -> Grounded:
        allowed = (info.context or {}).get("allowed")
        if allowed is not None and self.text not in allowed:
            raise ValueError(f"{self.text!r} is not one of {allowed}")
        if self.text in BANNED:
            raise ValueError(f"{self.text!r} is banned")
        return self


BANNED: set[str] = set()


def ask_grounded(client: LLMClient, allowed: list[str]) -> Outcome[Grounded]:
    return client.structured(
        PROMPT, Grounded, context={"allowed": allowed}, task="fault_test", subject="p1"
    )


def test_a_failed_answer_is_replayed_as_the_same_failure(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_LLM_REASKS", "1")
    fault.default = ("answer", TOO_LONG)
    first_client, db, _ = make_client()
    first = ask(first_client)
    assert first.failed and (first.answers, first.rejected) == (2, 2)

    client, _, _ = make_client()  # another run on the same cache
    again = ask(client)

    assert len(fault.requests) == 2  # no new request
    assert again.cache_hit and again.failed and again.value is None
    assert (again.answers, again.rejected) == (0, 2)
    assert again.errors == first.errors and any("at most 50" in e for e in again.errors)
    assert again.contents == first.contents == [TOO_LONG, TOO_LONG]
    rows = db.calls(run_id=client.run_id)
    assert [(r["status"], r["cache_hit"]) for r in rows] == [("cache", True)]
    assert "failed validation (2 rejected)" in rows[0]["error"]
    assert "at most 50 characters" in rows[0]["error"]
    run = db.totals(client.run_id)
    assert (run["model_calls"], run["cache_hits"], run["cache_invalid"]) == (0, 1, 1)
    # The ledger counts each rejected answer once: the replay made no new one.
    assert db.totals()["rejected"] == 2


def test_a_valid_hit_carries_the_rejections_it_took(fault: FaultServer) -> None:
    fault.push(("answer", TOO_LONG), ("answer", VALID))
    client, db, _ = make_client()

    first = ask(client)
    again = ask(client)

    assert len(fault.requests) == 2
    assert (first.answers, first.rejected) == (2, 1)
    assert again.cache_hit and again.value is not None and not again.failed
    assert (again.answers, again.rejected, again.errors) == (0, 1, [])
    assert again.value.text == "a short answer"
    assert db.calls()[-1]["status"] == "cache" and db.calls()[-1]["error"] is None
    assert db.totals(client.run_id)["cache_invalid"] == 0


def test_a_failure_in_one_context_is_not_replayed_in_another(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same request checked against another context is another cache entry: an
    answer that failed against the first is never replayed as passing the second."""
    monkeypatch.setenv("REVIEWER_LLM_REASKS", "0")
    fault.default = ("answer", HANDWRITTEN_A)
    client, _, _ = make_client()

    failed = ask_grounded(client, allowed=["b"])
    passed = ask_grounded(client, allowed=["a"])

    assert failed.failed and not failed.cache_hit
    assert passed.value is not None and not passed.cache_hit
    assert len(fault.requests) == 2
    assert client.cache_key(PROMPT, Grounded, {"allowed": ["b"]}) != client.cache_key(
        PROMPT, Grounded, {"allowed": ["a"]}
    )
    assert ask_grounded(client, allowed=["b"]).failed  # each replays its own verdict
    assert ask_grounded(client, allowed=["a"]).value is not None
    assert len(fault.requests) == 2


def test_a_cached_answer_failing_todays_validators_is_asked_again(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{__name__}.BANNED", set())
    fault.push(("answer", HANDWRITTEN_A), ("answer", HANDWRITTEN_B))
    client, db, _ = make_client()
    assert ask_grounded(client, allowed=["a", "b"]).value is not None

    BANNED.add("a")  # a stricter rule since the answer was cached
    outcome = ask_grounded(client, allowed=["a", "b"])

    assert not outcome.cache_hit and len(fault.requests) == 2
    assert outcome.value is not None and outcome.value.text == "b"
    cached = db.cache_get(client.cache_key(PROMPT, Grounded, {"allowed": ["a", "b"]}))
    assert cached is not None and cached.contents == [HANDWRITTEN_B]


# -- refresh -----------------------------------------------------------------------------


def test_refresh_asks_again_and_replaces_the_entry(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_LLM_REASKS", "0")
    fault.push(("answer", TOO_LONG), ("answer", VALID))
    plain, db, settings = make_client()
    assert ask(plain).failed
    assert ask(plain).failed and len(fault.requests) == 1  # replayed, not re-asked

    refreshing = LLMClient(settings, db, sleep=Waits(), refresh=True)
    fresh = ask(refreshing)
    again = ask(refreshing)  # the same request in the same run: the fresh answer

    assert len(fault.requests) == 2
    assert not fresh.cache_hit and fresh.value is not None and fresh.answers == 1
    assert again.cache_hit and again.value is not None and again.rejected == 0
    later, _, _ = make_client()
    replayed = ask(later)
    assert replayed.cache_hit and replayed.value is not None
    assert replayed.value.text == "a short answer" and replayed.rejected == 0
    assert len(fault.requests) == 2
    assert [r["status"] for r in db.calls(run_id=refreshing.run_id)] == ["ok", "cache"]


def test_refresh_replaces_a_good_entry_with_a_failure_too(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refresh keeps what the model says now, good or bad: the entry is never a mix."""
    monkeypatch.setenv("REVIEWER_LLM_REASKS", "0")
    fault.push(("answer", VALID), ("answer", TOO_LONG))
    plain, db, settings = make_client()
    assert ask(plain).value is not None

    fresh = ask(LLMClient(settings, db, sleep=Waits(), refresh=True))

    assert fresh.failed and not fresh.cache_hit
    replayed = ask(make_client()[0])
    assert replayed.cache_hit and replayed.failed and replayed.rejected == 1
    assert replayed.contents == [TOO_LONG]


def test_refresh_that_fails_in_transport_keeps_the_cached_entry(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault.push(("answer", VALID), ("status", 400))
    plain, db, settings = make_client()
    assert ask(plain).value is not None

    with pytest.raises(LLMError):
        ask(LLMClient(settings, db, sleep=Waits(), refresh=True))

    kept = ask(make_client()[0])
    assert kept.cache_hit and kept.value is not None and kept.value.text == "a short answer"
    assert len(fault.requests) == 2


def test_budget_refuses_before_any_request(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_INPUT_COST_PER_MTOK", "1000000")
    monkeypatch.setenv("REVIEWER_OUTPUT_COST_PER_MTOK", "1000000")
    fault.default = ("answer", VALID)
    budget = Budget(0.5)
    client, db, _ = make_client(budget=budget)

    with pytest.raises(BudgetExceeded):
        ask(client)

    assert fault.requests == []
    assert budget.spent == 0
    assert all(r["status"] != "ok" for r in db.calls())


# -- streamed answers ----------------------------------------------------------------------


def test_a_slow_stream_longer_than_the_timeout_completes_and_reports_progress(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timeout bounds silence, not the answer: 14 pieces 0.4 s apart take about 5.6 s
    against a 2 s timeout, and the answer is the one streamed."""
    monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "2")
    fault.push(("slow", SLOW, 0.4))
    reporter = CollectingReporter()
    client, db, _ = make_client(reporter=reporter)

    started = time.monotonic()
    outcome = ask(client)
    elapsed = time.monotonic() - started

    assert elapsed > 2 * 2  # well past the timeout
    assert outcome.value is not None and outcome.value.text == json.loads(SLOW)["text"]
    assert len(fault.requests) == 1 and fault.requests[0].body["stream"] is True
    assert client.streams
    # The call log has the server's own usage (its last chunk), as for an unstreamed answer.
    rows = db.calls()
    assert [r["status"] for r in rows] == ["ok"]
    assert (rows[0]["input_tokens"], rows[0]["output_tokens"]) == (20, len(pieces(SLOW)))
    # Progress: announced at 0, counts that grow while the answer streams, then done.
    reports = reporter.streamed
    assert reports[0] == ("openai/fault-test (p1)", 0, 0.0, False)
    counts = [count for _, count, _, _ in reports]
    assert counts == sorted(counts)
    assert any(0 < count < len(pieces(SLOW)) for count in counts[1:-1])
    _, count, rate, done = reports[-1]
    assert done and count == len(pieces(SLOW))
    assert 1.5 < rate < 3.5  # 13 gaps of 0.4 s: 2.5 tokens a second


def test_a_stream_gone_silent_fails_once_and_is_not_retried(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "1")
    fault.push(("stall", SLOW, 3, 4.0), ("answer", VALID))
    reporter = CollectingReporter()
    waits = Waits()
    client, db, _ = make_client(sleep=waits, reporter=reporter)

    with pytest.raises(LLMError) as info:
        ask(client)

    assert len(fault.requests) == 1 and waits.asked == []
    message = info.value.message
    assert "went silent for 1 s after 3 tokens (REVIEWER_LLM_TIMEOUT); not retried" in message
    assert info.value.hint and "REVIEWER_LLM_TIMEOUT" in info.value.hint
    assert [r["status"] for r in db.calls()] == ["error"]
    _, count, _, done = reporter.streamed[-1]
    assert (count, done) == (3, True)


def test_no_reask_after_a_timeout(fault: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first answer fails validation; its re-ask goes silent: nothing more is asked."""
    monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "1")
    monkeypatch.setenv("REVIEWER_LLM_REASKS", "2")
    fault.push(("answer", TOO_LONG), ("stall", VALID, 2, 4.0), ("answer", VALID))
    client, db, _ = make_client()

    with pytest.raises(LLMError, match="not retried"):
        ask(client)

    assert len(fault.requests) == 2
    assert [(r["status"], r["reask"]) for r in db.calls()] == [("invalid", 0), ("error", 1)]


@pytest.mark.parametrize(
    "refusal",
    [("plain", VALID), ("status", 400, {}, "stream is not supported by this server")],
    ids=["answers-without-streaming", "refuses-stream"],
)
def test_a_server_that_cannot_stream_is_asked_without_streaming(
    fault: FaultServer, refusal: tuple[Any, ...]
) -> None:
    fault.push(refusal, ("answer", VALID), ("answer", HANDWRITTEN_A))
    client, db, _ = make_client()

    outcome = ask(client)

    assert outcome.value is not None and outcome.value.text == "a short answer"
    assert [r.body.get("stream") for r in fault.requests] == [True, None]
    assert [r["status"] for r in db.calls()] == ["error", "ok"]
    # The client remembers: its next request is not streamed.
    other = RenderedPrompt("fault_test", 1, ({"role": "user", "content": "Say 'a'."},))
    client.structured(other, Answer, context={}, task="fault_test")
    assert len(fault.requests) == 3 and fault.requests[2].body.get("stream") is None


@pytest.mark.parametrize(
    "action",
    [("sleep", 4.0, SLOW), ("slow", SLOW, 0.4)],
    ids=["silent-server", "slow-stream"],
)
def test_query_variants_are_skipped_when_their_budget_runs_out(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch, action: tuple[Any, ...]
) -> None:
    """The query-variant step gets its own budget, shorter than the timeout here: a silent
    server and a slow stream are both cut at the budget and related-work goes on."""
    monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "30")
    fault.push(action, ("answer", VALID))
    client, db, _ = make_client()

    started = time.monotonic()
    found = expand(client, "a topic", task="related-work", budget=1.0, noun="topic")
    elapsed = time.monotonic() - started

    assert found.queries == [] and found.hypothetical is None
    assert elapsed < 2.5
    assert found.notes == [
        "query variants skipped: the model took longer than 1 s; searched the topic only"
    ]
    assert len(fault.requests) == 1
    assert [r["status"] for r in db.calls()] == ["error"]
    with pytest.raises(TimeBudgetExceeded):  # a spent budget asks nothing at all
        client.structured(PROMPT, Answer, context={}, task="fault_test", time_budget=0.0)
    assert len(fault.requests) == 1


def test_the_throttle_proxy_paces_a_stream(
    fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/llm_server.py's ``--throttle`` proxy (used in front of the real local server by
    tests/test_e2e_slow_model.py), checked here in front of the stand-in: an answer the
    stand-in streams at once arrives at 10 events a second."""
    import threading

    from llm_server import ThrottleProxy, free_port

    proxy = ThrottleProxy(fault.url.removesuffix("/v1"), free_port(), rate=10)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        port = proxy.httpd.server_address[1]
        monkeypatch.setenv("REVIEWER_API_BASE", f"http://127.0.0.1:{port}/v1")
        monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "1")
        fault.push(("answer", SLOW))
        reporter = CollectingReporter()
        client, _, _ = make_client(reporter=reporter)

        started = time.monotonic()
        outcome = ask(client)
        elapsed = time.monotonic() - started
    finally:
        proxy.httpd.shutdown()
        proxy.httpd.server_close()

    assert outcome.value is not None and outcome.value.text == json.loads(SLOW)["text"]
    assert elapsed > 1.3  # 14 pieces at 10 a second (the stand-in alone takes milliseconds)
    _, count, rate, done = reporter.streamed[-1]
    assert done and count == len(pieces(SLOW)) and 5 < rate < 12


def test_console_reporter_writes_a_line_now_and_then_when_not_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reviewer.cli.output import ConsoleReporter

    quiet = ConsoleReporter()  # every 15 s: a short answer prints nothing
    quiet.tokens("m", 0, 0.0)
    quiet.tokens("m", 12, 4.0)
    quiet.tokens("m", 12, 4.0, done=True)
    assert capsys.readouterr().err == ""

    chatty = ConsoleReporter(interval=0.0)
    chatty.tokens("m (\x1b[31mp1)", 0, 0.0)  # the request is sent: nothing to say yet
    chatty.tokens("m (\x1b[31mp1)", 312, 4.06)
    chatty.tokens("m (\x1b[31mp1)", 320, 4.1, done=True)
    assert capsys.readouterr().err == "m (p1): 312 tokens, 4.1 tok/s\n"  # no escape sequence


# -- the CLI ----------------------------------------------------------------------------------


def test_cli_summarize_fails_cleanly_on_persistent_500(
    seeded_home: Path, fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_LLM_RETRIES", "1")
    listed = run_cli("list", "--json", check=True)
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    paper_id = rows[0]["id"]
    fault.default = ("status", 500)

    result = run_cli("summarize", "--ids", paper_id)

    assert result.returncode == 7, result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    assert "gave up after 2 attempts" in error_lines[0]
    assert len(fault.requests) == 2


def test_cli_summarize_against_a_silent_model_is_one_error_line(
    seeded_home: Path, fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWER_LLM_TIMEOUT", "1")
    listed = run_cli("list", "--json", check=True)
    paper_id = json.loads(listed.stdout)[0]["id"]
    fault.default = ("sleep", 4.0)

    result = run_cli("summarize", "--ids", paper_id)

    assert result.returncode == 7, result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    assert "sent no answer within 1 s (REVIEWER_LLM_TIMEOUT); not retried" in error_lines[0]
    assert "hint: REVIEWER_LLM_TIMEOUT bounds the wait" in result.stderr
    assert len(fault.requests) == 1
