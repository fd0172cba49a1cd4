"""The one way writing tasks talk to a model.

Answers are streamed and assembled into one ordinary response (litellm's
``stream_chunk_builder``), so ``REVIEWER_LLM_TIMEOUT`` bounds the silence before the first
token and between tokens (httpx's read timeout is per read), never the whole answer: a slow
model that keeps writing is never cut off, and the caller's ``Reporter`` hears its progress
(``tokens``). A server that cannot stream is asked once more without streaming, and that
client does not stream again.

Two kinds of retry, kept apart and both bounded:
- transport (429, 5xx, connection resets, unreadable responses) is retried by tenacity
  around each HTTP request, honouring Retry-After;
- validation (an answer that is not the schema, or fails a grounding rule) is
  re-asked by instructor, which sends the validation errors back to the model.
A timeout (the model went silent for the whole timeout) is neither: the same request
would most likely go silent again, so it ends the call with one error naming the setting.

Every HTTP attempt is a row in the call log; a repeated task is answered from
the response cache and logged as a cache hit, with no model call.

The cache keeps every answer of a request and whether the last one passed validation.
A request that failed (every answer rejected) is replayed as the same failure: no value,
the same errors and rejected count, and a call-log row that carries the errors; it is not
asked again, so a run is repeatable and costs nothing the second time. ``refresh=True``
asks the model again and replaces what is cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from reviewer.errors import BudgetExceeded, ConfigError, LLMError
from reviewer.llm.cost import Budget, Price, price_for
from reviewer.llm.db import CachedAnswer, CallRecord, LLMDatabase
from reviewer.progress import Reporter
from reviewer.prompts import RenderedPrompt
from reviewer.settings import Settings

T = TypeVar("T", bound=BaseModel)

# Environment variables that may hold secrets: their values are masked in any
# error text before it is logged or printed.
SECRET_ENV_SUFFIXES = ("_KEY", "_TOKEN", "_SECRET", "_PASSWORD")


def redact(text: str, settings: Settings | None = None) -> str:
    secrets = [
        v for k, v in os.environ.items() if k.upper().endswith(SECRET_ENV_SUFFIXES) and len(v) >= 6
    ]
    if settings is not None and settings.api_key is not None:
        secrets.append(settings.api_key.get_secret_value())
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def require_model(settings: Settings) -> str:
    """The configured model, or a ConfigError naming the settings to set."""
    if not settings.model:
        raise ConfigError(
            "no model configured: set REVIEWER_MODEL (plus REVIEWER_API_BASE for an "
            "OpenAI-compatible server, or the provider's key such as OPENAI_API_KEY)",
            hint="e.g. REVIEWER_MODEL=gpt-4o-mini with OPENAI_API_KEY, "
            "REVIEWER_MODEL=ollama/llama3.1, "
            "or REVIEWER_MODEL=openai/<name> REVIEWER_API_BASE=http://127.0.0.1:8080/v1; "
            "`reviewer config show` lists what is set.",
        )
    if settings.api_base is None:
        from reviewer.llm.litellm_import import litellm

        missing = [
            k
            for k in litellm.validate_environment(settings.model).get("missing_keys", [])
            if "KEY" in k or "TOKEN" in k
        ]
        if missing:
            raise ConfigError(
                f"model {settings.model} needs {', '.join(missing)}, which is not set",
                hint="Export the key, or point REVIEWER_MODEL/REVIEWER_API_BASE at another server.",
            )
    return settings.model


def timed_out(exc: BaseException) -> bool:
    """The request timed out: the server sent nothing for the whole timeout. litellm may
    wrap it (a timeout in the middle of a stream comes as MidStreamFallbackError, a 503
    that carries the original), so the chain of causes is searched."""
    import httpx

    from reviewer.llm.litellm_import import litellm

    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return False
        if isinstance(current, (litellm.Timeout, httpx.TimeoutException, TimeoutError)):
            return True
        current = (
            getattr(current, "original_exception", None) or current.__cause__ or current.__context__
        )
    return False


def _is_transient(exc: BaseException) -> bool:
    from reviewer.llm.litellm_import import litellm

    if timed_out(exc):
        # Not retried: a model that stayed silent for REVIEWER_LLM_TIMEOUT would most
        # likely stay silent again, and a slow one that keeps writing never times out.
        return False
    if isinstance(exc, litellm.APIConnectionError):
        return True
    if isinstance(
        exc, (litellm.AuthenticationError, litellm.BadRequestError, litellm.NotFoundError)
    ):
        return False
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status in (408, 409, 425, 429) or status >= 500
    return isinstance(exc, (litellm.APIError, json.JSONDecodeError))


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After or retry-after-ms), if any."""
    headers: dict[str, str] = {}
    for source in (
        getattr(exc, "headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
        getattr(exc, "litellm_response_headers", None),
    ):
        if source:
            headers.update({str(k).lower(): str(v) for k, v in dict(source).items()})
    if "retry-after-ms" in headers:
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class ContextWindowExceeded(LLMError):
    """The conversation (prompt plus re-asks) no longer fits the model's context."""


class TimeBudgetExceeded(LLMError):
    """A call given a time budget (``structured(time_budget=...)``) ran out of it; nothing
    more is asked (no retry, no re-ask)."""


class _NotStreamed(Exception):
    """A streamed request came back without a single streamed token (the server ignores
    ``stream``, e.g. answers plain JSON): ask again without streaming."""


@dataclass
class Outcome(Generic[T]):
    """The result of one structured request. A cache hit carries what the request that
    was cached got: the same value (or None), errors and rejected count."""

    value: T | None  # validated against the context; None when every answer failed
    contents: list[str]  # every answer's raw text, oldest first (what the cache stores)
    errors: list[str]  # validation errors of the last answer
    cache_hit: bool
    answers: int  # answers received now (1 + re-asks); 0 on a cache hit
    rejected: int  # answers the validators rejected (on a cache hit: when it was cached)

    @property
    def failed(self) -> bool:
        """Every answer failed validation: ``contents`` may still be pruned, never trusted."""
        return self.value is None


@dataclass
class _Call:
    """One structured request: what it asks, and what happened to it so far."""

    prompt: RenderedPrompt
    key: str
    task: str
    subject: str | None
    reask: int = 0
    attempt: int = 0
    last_call_id: int | None = None
    contents: list[str] = field(default_factory=list)
    answers: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    deadline: float | None = None  # time.monotonic() by which the call must end
    capped: bool = False  # the last request's timeout was cut to the deadline
    streamed: int = 0  # tokens the last streamed request received


class LLMClient:
    """One per command run (run_id groups its calls in the log).

    ``refresh=True``: do not answer from the cache what was cached before this client
    asked; ask the model and replace the cached entry with the new answers (whether they
    pass or fail). A request repeated within the same client is then answered from the
    fresh entry, so a refreshed run asks each distinct request once.

    ``reporter`` hears each streamed answer's progress (``Reporter.tokens``)."""

    def __init__(
        self,
        settings: Settings,
        db: LLMDatabase,
        budget: Budget | None = None,
        sleep: Callable[[float], None] = time.sleep,
        refresh: bool = False,
        reporter: Reporter | None = None,
    ) -> None:
        self.settings = settings
        self.model = require_model(settings)
        self.db = db
        self.budget = budget or Budget(None)
        self.run_id = uuid.uuid4().hex[:12]
        self.price: Price = price_for(settings)
        self.refresh = refresh
        self._sleep = sleep
        self._refreshed: set[str] = set()  # keys this client has asked the model anew
        self._refreshed_lock = threading.Lock()
        self.reporter = reporter
        self.streams = True  # False once the server answered a stream without streaming

    # -- the public call --------------------------------------------------------------

    def cache_key(
        self,
        prompt: RenderedPrompt,
        response_model: type[BaseModel],
        context: Mapping[str, Any] | None = None,
    ) -> str:
        """What identifies a request: the model and server, the prompt and its rendered
        messages, the schema, the parameters, and the validation context (JSON data) that
        decides whether an answer passes: the same answer may pass one and fail another."""
        blob = json.dumps(
            {
                "model": self.model,
                "api_base": self.settings.api_base,
                "prompt": [prompt.id, prompt.version],
                "messages": list(prompt.messages),
                "schema": response_model.model_json_schema(),
                "params": [
                    self.settings.temperature,
                    self.settings.max_tokens,
                    self.settings.llm_reasks,
                ],
                "context": dict(context or {}),
            },
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def structured(
        self,
        prompt: RenderedPrompt,
        response_model: type[T],
        *,
        context: dict[str, Any],
        task: str,
        subject: str | None = None,
        time_budget: float | None = None,
    ) -> Outcome[T]:
        """Ask for an answer of ``response_model``, re-asking with the validation errors.
        ``time_budget``: seconds the whole call (retries and re-asks included) may take;
        when they run out, TimeBudgetExceeded."""
        key = self.cache_key(prompt, response_model, context)
        if not self.refresh or key in self._refreshed:
            cached = self.db.cache_get(key)
            if cached is not None:
                hit = self._replay(
                    _Call(prompt, key, task, subject), cached, response_model, context
                )
                if hit is not None:
                    return hit

        import instructor

        from reviewer.llm.litellm_import import litellm

        state = _Call(prompt, key, task, subject)
        if time_budget is not None:
            state.deadline = time.monotonic() + time_budget

        def complete(*args: Any, **kwargs: Any) -> Any:
            state.reask += 1
            return self._transport(state, kwargs, litellm)

        client = instructor.from_litellm(complete, mode=instructor.Mode.JSON_SCHEMA)

        def on_parse_error(error: Exception, **_: Any) -> None:
            state.rejected += 1
            state.errors = _error_lines(error)
            if state.last_call_id is not None:
                self.db.mark_invalid(state.last_call_id, redact("; ".join(state.errors))[:2000])

        client.on("parse:error", on_parse_error)
        params: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in prompt.messages],
            "max_tokens": self.settings.max_tokens,
            "temperature": self.settings.temperature,
        }
        if self.settings.api_base:
            params["api_base"] = self.settings.api_base
            params["api_key"] = (
                self.settings.api_key.get_secret_value() if self.settings.api_key else "not-needed"
            )
        value: T | None
        try:
            value = client.chat.completions.create(
                response_model=response_model,
                max_retries=self.settings.llm_reasks,
                context=context,
                **params,
            )
            state.errors = []
        except Exception as exc:
            inner = _unwrap(exc)
            if isinstance(inner, ContextWindowExceeded) and state.contents:
                # A re-ask outgrew the context window: stop re-asking and keep the
                # answers we have, exactly as when the re-asks run out.
                state.errors.append("re-asks stopped: the conversation exceeds the context window")
            elif isinstance(inner, (BudgetExceeded, LLMError, ConfigError)):
                if inner is exc:
                    raise
                raise inner from None
            elif not state.contents:
                raise LLMError(
                    f"{self.model}: {redact(str(inner), self.settings)[:300]}",
                    hint="`reviewer logs` shows every attempt.",
                ) from None
            value = None  # every answer failed validation; the last one is kept below
        if state.contents:
            self.db.cache_put(
                key,
                self.model,
                prompt.id,
                prompt.version,
                state.contents,
                valid=value is not None,
                rejected=state.rejected,
                errors=state.errors,
            )
            if self.refresh:
                with self._refreshed_lock:
                    self._refreshed.add(key)
        return Outcome(value, state.contents, state.errors, False, state.answers, state.rejected)

    # -- internals ---------------------------------------------------------------------

    def _replay(
        self,
        call: _Call,
        cached: CachedAnswer,
        response_model: type[T],
        context: dict[str, Any],
    ) -> Outcome[T] | None:
        """The cached request's outcome again, or None when it must be asked anew."""
        if not cached.valid:
            # A failure stays a failure: no value, the original errors and rejected count,
            # and a log row that says so (status "cache" with the errors).
            note = f"cached answer failed validation ({cached.rejected} rejected): "
            self._log(
                call,
                status="cache",
                cache_hit=True,
                error=redact(note + "; ".join(cached.errors), self.settings)[:2000],
            )
            return Outcome(None, cached.contents, list(cached.errors), True, 0, cached.rejected)
        value, _ = self._validate(cached.contents[-1], response_model, context)
        if value is None:
            # It passed when cached but fails today's validators (their rules changed):
            # the stored verdict no longer holds, so the model is asked again.
            return None
        self._log(call, status="cache", cache_hit=True)
        return Outcome(value, cached.contents, [], True, 0, cached.rejected)

    def _validate(
        self, content: str, response_model: type[T], context: dict[str, Any]
    ) -> tuple[T | None, list[str]]:
        try:
            return response_model.model_validate_json(strip_fences(content), context=context), []
        except ValidationError as exc:
            return None, _error_lines(exc)

    def _transport(self, state: _Call, kwargs: dict[str, Any], litellm: Any) -> Any:
        from tenacity import Retrying, retry_if_exception, stop_after_attempt

        attempts = self.settings.llm_retries + 1
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            retry=retry_if_exception(_is_transient),
            wait=lambda rs: self._wait(
                rs.outcome.exception() if rs.outcome else None, rs.attempt_number
            ),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    state.attempt = attempt.retry_state.attempt_number
                    return self._request(state, kwargs, litellm)
        except (BudgetExceeded, LLMError):
            raise
        except litellm.ContextWindowExceededError as exc:
            raise ContextWindowExceeded(
                f"{self.model}: the request exceeds the model's context window",
                hint="Lower REVIEWER_LLM_REASKS or REVIEWER_MAX_TOKENS, or use a model with a "
                "longer context.",
            ) from exc
        except Exception as exc:
            if timed_out(exc):
                raise self._timeout_error(state) from None
            transient = _is_transient(exc)
            detail = redact(str(exc), self.settings).splitlines()[0][:300] if str(exc) else ""
            raise LLMError(
                f"{self.model}: {type(exc).__name__}{': ' + detail if detail else ''}"
                + (
                    f" (gave up after {state.attempt} attempt{'s' if state.attempt > 1 else ''})"
                    if transient
                    else ""
                ),
                hint="Check REVIEWER_MODEL / REVIEWER_API_BASE and the key; "
                "`reviewer logs` shows every attempt.",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _timeout_error(self, state: _Call) -> LLMError:
        """What a timeout means, said once: the call ends here (no retry, no re-ask)."""
        if state.capped:
            return TimeBudgetExceeded(f"{self.model}: the call ran out of its time budget")
        timeout = self.settings.llm_timeout
        silent = (
            f"went silent for {timeout:g} s after {state.streamed} tokens"
            if state.streamed
            else f"sent no answer within {timeout:g} s"
        )
        return LLMError(
            f"{self.model}: the model {silent} (REVIEWER_LLM_TIMEOUT); not retried",
            hint="REVIEWER_LLM_TIMEOUT bounds the wait for the first token and between "
            "tokens, never a whole answer that keeps coming: raise it for a model that is "
            "slow to start (a long prompt on a busy machine). `reviewer logs` shows every "
            "attempt.",
        )

    def _request(self, state: _Call, kwargs: dict[str, Any], litellm: Any) -> Any:
        """One answer: streamed, or once more without streaming when the server cannot
        stream (remembered: this client then never streams again)."""
        if self.streams:
            try:
                return self._request_once(state, kwargs, litellm, stream=True)
            except Exception as exc:
                if not _cannot_stream(exc, litellm):
                    raise
                self.streams = False
        return self._request_once(state, kwargs, litellm, stream=False)

    def _request_once(
        self, state: _Call, kwargs: dict[str, Any], litellm: Any, *, stream: bool
    ) -> Any:
        """One HTTP request, logged whatever happens."""
        timeout = self.settings.llm_timeout
        state.capped, state.streamed = False, 0
        if state.deadline is not None:
            left = state.deadline - time.monotonic()
            if left <= 0:
                raise TimeBudgetExceeded(f"{self.model}: the call ran out of its time budget")
            if left < timeout:
                timeout, state.capped = left, True
        estimate = self._estimate(kwargs, litellm)
        self.budget.reserve(estimate)
        started = time.perf_counter()
        try:
            if stream:
                response = self._streamed(state, kwargs, litellm, timeout)
            else:
                response = litellm.completion(
                    **kwargs, timeout=timeout, num_retries=0, max_retries=0
                )
            content = response.choices[0].message.content
            if content is None:
                raise LLMError(f"{self.model} returned an empty answer")
        except BaseException as exc:
            self.budget.settle(estimate, 0.0)
            latency = (time.perf_counter() - started) * 1000
            error = f"{type(exc).__name__}: {redact(str(exc), self.settings)}"[:2000]
            self._log(state, status="error", error=error, latency=latency)
            raise
        latency = (time.perf_counter() - started) * 1000
        usage = getattr(response, "usage", None)
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = self.price.cost(tokens_in, tokens_out)
        self.budget.settle(estimate, cost)
        state.answers += 1
        state.contents.append(content)
        state.last_call_id = self._log(
            state,
            status="ok",
            latency=latency,
            tokens=(tokens_in, tokens_out),
            cost=cost,
        )
        if response.choices[0].finish_reason == "length":
            # instructor raises on a cut-off answer without re-asking; let it parse
            # instead, so the broken JSON is re-asked with its parse error like any
            # other invalid answer (within the same re-ask bound).
            response.choices[0].finish_reason = "stop"
        return response

    def _streamed(self, state: _Call, kwargs: dict[str, Any], litellm: Any, timeout: float) -> Any:
        """Stream the answer, reporting progress, and assemble the chunks into the response
        a non-streamed request would have given (content, finish reason, usage: the
        server's own count when it sends one, else litellm's token count). ``timeout`` is
        httpx's read timeout: it bounds each wait for the next bytes, not the stream."""
        subject = state.subject or ""
        if len(subject) > 40:  # a judge's claim or a theme title: enough to tell calls apart
            subject = subject[:39] + "…"
        label = f"{self.model} ({subject})" if subject else self.model
        chunks: list[Any] = []
        rate, first, shown = 0.0, 0.0, 0.0
        self._tokens(label, 0, 0.0)
        params = {**kwargs, "stream": True, "stream_options": {"include_usage": True}}
        stream = litellm.completion(**params, timeout=timeout, num_retries=0, max_retries=0)
        try:
            for chunk in stream:
                chunks.append(chunk)
                if _delta_text(chunk):
                    # A streamed chunk carries one token on the servers we know (llama.cpp,
                    # OpenAI, vLLM, Ollama): a count good enough to show progress.
                    state.streamed += 1
                    now = time.monotonic()
                    first = first or now
                    if now > first:
                        rate = (state.streamed - 1) / (now - first)
                    if now - shown >= 0.5:
                        self._tokens(label, state.streamed, rate)
                        shown = now
                if state.deadline is not None and time.monotonic() > state.deadline:
                    raise TimeBudgetExceeded(f"{self.model}: the call ran out of its time budget")
        finally:
            _close(stream)
            self._tokens(label, state.streamed, rate, done=True)
        if not state.streamed:
            raise _NotStreamed("the server answered without streaming a token")
        return litellm.stream_chunk_builder(chunks, messages=kwargs.get("messages"))

    def _tokens(self, label: str, count: int, rate: float, done: bool = False) -> None:
        report = getattr(self.reporter, "tokens", None)  # a caller's Reporter may lack it
        if report is not None:
            report(label, count, rate, done)

    def _estimate(self, kwargs: dict[str, Any], litellm: Any) -> float:
        if self.budget.max_cost is None or not self.price.known:
            return 0.0
        try:
            tokens = litellm.token_counter(model=self.model, messages=kwargs.get("messages", []))
        except ValueError:
            tokens = sum(len(str(m.get("content", ""))) for m in kwargs.get("messages", [])) // 3
        return self.price.cost(tokens, int(kwargs.get("max_tokens") or self.settings.max_tokens))

    def _wait(self, exc: BaseException | None, number: int) -> float:
        cap = self.settings.llm_retry_max_wait
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is not None:
            return min(asked, cap)
        return min(cap, 2 ** (number - 1)) * (0.5 + random.random() / 2)

    def _log(
        self,
        call: _Call,
        *,
        status: str,
        cache_hit: bool = False,
        error: str | None = None,
        latency: float = 0.0,
        tokens: tuple[int, int] = (0, 0),
        cost: float = 0.0,
    ) -> int:
        return self.db.log_call(
            CallRecord(
                run_id=self.run_id,
                task=call.task,
                subject=call.subject,
                prompt_id=call.prompt.id,
                prompt_version=call.prompt.version,
                prompt_hash=call.prompt.hash,
                model=self.model,
                cache_key=call.key,
                cache_hit=cache_hit,
                attempt=call.attempt,
                reask=max(0, call.reask - 1),
                status=status,
                error=error,
                input_tokens=tokens[0],
                output_tokens=tokens[1],
                cost_usd=cost,
                priced=self.price.known,
                latency_ms=round(latency, 1),
            )
        )


def _unwrap(exc: BaseException) -> BaseException:
    """instructor wraps what it cannot retry; find the error we raised, if any."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, (BudgetExceeded, LLMError, ConfigError)):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return exc


def _cannot_stream(exc: BaseException, litellm: Any) -> bool:
    """The server refused or ignored ``stream``: a stream without a token, or a 400 / 422 /
    501 that names streaming."""
    if isinstance(exc, _NotStreamed):
        return True
    if isinstance(exc, litellm.ContextWindowExceededError):
        return False
    return getattr(exc, "status_code", None) in (400, 422, 501) and "stream" in str(exc).lower()


def _delta_text(chunk: Any) -> str:
    """The text a streamed chunk adds (the answer, or a reasoning model's thinking)."""
    choices = getattr(chunk, "choices", None) or []
    delta = getattr(choices[0], "delta", None) if choices else None
    if delta is None:
        return ""
    return str(getattr(delta, "content", None) or getattr(delta, "reasoning_content", None) or "")


def _close(stream: Any) -> None:
    """Close a stream we stop reading, so the server stops writing it."""
    close = getattr(stream, "close", None) or getattr(
        getattr(stream, "completion_stream", None), "close", None
    )
    if callable(close):
        with contextlib.suppress(Exception):  # best effort: the outcome is already decided
            close()


def _error_lines(error: BaseException) -> list[str]:
    if isinstance(error, ValidationError):
        lines = []
        for item in error.errors():
            where = ".".join(str(p) for p in item.get("loc", ())) or "answer"
            lines.append(f"{where}: {item.get('msg', '')}")
        return lines
    return [f"{type(error).__name__}: {error}"]


def strip_fences(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def best_answer(contents: Sequence[str], schema: type[T], problems: Callable[[T], int]) -> T | None:
    """When every answer failed validation: of those that at least fit the schema, the one
    with the fewest problems (the latest on a tie), for the caller to prune."""
    best: tuple[int, T] | None = None
    for content in contents:
        try:
            draft = schema.model_validate_json(strip_fences(content))
        except ValidationError:
            continue
        n = problems(draft)
        if best is None or n <= best[0]:
            best = (n, draft)
    return None if best is None else best[1]
