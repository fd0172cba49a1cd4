"""Commands over the model: summarize, logs, config show."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import typer

from reviewer.cli.output import JSON_OPT, emit_json, emit_rows, info, reflow

if TYPE_CHECKING:
    from reviewer.corpus.model import Paper
    from reviewer.settings import Settings
    from reviewer.tasks.summarize import SummarizeReport

CONCURRENCY_OPT = typer.Option(
    None,
    "--concurrency",
    "-j",
    min=1,
    max=64,
    help="Model calls in flight at once (default REVIEWER_CONCURRENCY, 4).",
    show_default=False,
)
MAX_COST_OPT = typer.Option(
    None,
    "--max-cost",
    min=0.0,
    help="Stop before a model call could take this run's cost past USD.",
    show_default=False,
)


def _papers_for(ids: list[str] | None, query: str | None, k: int) -> list[Paper]:
    from reviewer.cli.corpus import _open_store
    from reviewer.errors import NotFoundError, ReviewerError

    store = _open_store()
    papers: list[Paper] = []
    if ids:
        missing = []
        for ref in ids:
            stored = store.resolve(ref)
            if stored is None:
                missing.append(ref)
            elif stored.paper.id not in {p.id for p in papers}:
                papers.append(stored.paper)
        if missing:
            raise NotFoundError(
                f"not in the store: {', '.join(missing)}",
                hint="`reviewer search` or `reviewer list` shows the ids.",
            )
    if query:
        from reviewer.index.search import search

        for hit in search(store, query, k=k):
            if hit.paper.id not in {p.id for p in papers}:
                papers.append(hit.paper)
    if not ids and not query:
        raise ReviewerError(
            "say which papers: --ids ID... or --query TEXT [-k N]",
            hint="`reviewer export wiki --summarize` summarizes every paper.",
        )
    return papers


def stored_summaries(settings: Settings, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The stored summaries (of ``ids``, or all), without creating the LLM database
    when there is none."""
    if not settings.llm_db_path.exists():
        return {}
    from reviewer.llm.db import LLMDatabase

    db = LLMDatabase(settings.llm_db_path)
    try:
        return db.get_summaries(ids)
    finally:
        db.close()


def run_summaries(
    papers: list[Paper], concurrency: int | None, max_cost: float | None, settings: Settings
) -> SummarizeReport:
    """Summarize with a progress bar and a cost footer on stderr; shared by export."""
    from reviewer.cli.corpus import _progress_bar
    from reviewer.llm.client import LLMClient
    from reviewer.llm.cost import Budget
    from reviewer.llm.db import LLMDatabase
    from reviewer.tasks.summarize import summarize_papers

    db = LLMDatabase(settings.llm_db_path)
    client = LLMClient(settings, db, Budget(max_cost))
    workers = concurrency or settings.concurrency
    info(f"Summarizing {len(papers)} papers with {client.model} ({workers} at a time)…")
    bar, advance = _progress_bar(len(papers), "summarizing")

    def on_done(paper: Any, summary: Any, why: str | None) -> None:
        if advance:
            advance(1)
        if summary is not None and summary.dropped:
            _report_dropped(bar, paper.id, summary.dropped)
        if why:
            _say(bar, f"failed: {paper.id}: {why}")

    report = None
    try:
        report = summarize_papers(client, papers, workers, on_done)
    finally:
        if bar is not None:
            bar.stop()
        # The footer is printed even when the run stops on an error: what was spent
        # is spent, and finished summaries are stored.
        done = (
            f"{len(report.summaries)} summarized, {len(report.failed)} failed; " if report else ""
        )
        info(done + calls_footer(db.totals(client.run_id)))
        db.close()
    return report


def calls_footer(totals: dict[str, Any]) -> str:
    """Model calls, rejections, cache hits, tokens and cost of one run, on one line."""
    cost = f"${totals['cost_usd']:.4f}" if totals["priced"] else "cost unknown (no price for model)"
    return (
        f"{totals['model_calls']} model calls ({totals['rejected']} answers rejected "
        f"by the validators, {totals['errors']} transport errors), {totals['cache_hits']} "
        f"cache hits; {totals['input_tokens']}+{totals['output_tokens']} tokens; {cost}"
    )


def _say(bar: Any, line: str) -> None:
    if bar is not None:
        bar.console.print(line, markup=False, highlight=False)
    else:
        info(line)


def _report_dropped(bar: Any, paper_id: str, dropped: list[Any]) -> None:
    _say(bar, f"dropped from {paper_id} (failed validation after the re-asks):")
    for item in dropped:
        _say(bar, f"  - {item.field}: {item.reason}: {item.value[:100]!r}")


def summarize(
    ids: list[str] = typer.Option(
        None,
        "--ids",
        help="Paper ids (or arXiv ids / DOIs); repeat or list after --ids.",
        show_default=False,
    ),
    query: str | None = typer.Option(
        None, "--query", "-q", help="Summarize the top hits of this search.", show_default=False
    ),
    k: int = typer.Option(5, "-k", min=1, help="With --query: how many hits."),
    as_json: bool = JSON_OPT,
    concurrency: int | None = CONCURRENCY_OPT,
    max_cost: float | None = MAX_COST_OPT,
) -> None:
    """Write a grounded summary of each paper: TL;DR, problem, method, task, modality,
    anatomy, datasets, metrics with values, findings with quotes, limitations, code.

    Every quote must occur verbatim in the abstract and every number in it; answers that
    fail are sent back to the model, and what still fails is dropped and listed on stderr.
    Summaries are cached: repeating a run makes no model call. Needs REVIEWER_MODEL."""
    from reviewer.llm.client import require_model
    from reviewer.settings import load_settings

    settings = load_settings()
    require_model(settings)
    papers = _papers_for(list(ids or []), query, k)
    report = run_summaries(papers, concurrency, max_cost, settings)
    data = [s.model_dump(mode="json") for s in report.summaries]
    if as_json:
        emit_json(data)
    else:
        _print_summaries(data)
    if report.stopped is not None:
        raise report.stopped
    if report.failed and not report.summaries:
        from reviewer.errors import LLMError

        raise LLMError(
            f"no paper could be summarized ({len(report.failed)} failed)",
            hint="`reviewer logs` shows every answer and why it was rejected.",
        )


def _print_summaries(data: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    for s in data:
        console.print(f"[bold]{escape(s['title'])}[/bold]  [dim]{s['paper_id']}[/dim]")
        label = "" if s["tldr_source"] == "model" else " [dim](abstract's first sentence)[/dim]"
        console.print(f"  TL;DR{label}: {escape(s['tldr'])}")
        if s["abstract_truncated"]:
            console.print("  [yellow]The abstract is truncated in every source.[/yellow]")
        failed = set(s["failed_fields"])

        def shown(field: str, value: str, failed: set[str] = failed) -> str:
            if field in failed:
                return "[dim](every answer failed validation)[/dim]"
            return escape(value or "not reported")

        for field in ("problem", "method", "task", "modality", "anatomy"):
            console.print(f"  {field}: {shown(field, s[field])}")
        console.print(f"  datasets: {shown('datasets', ', '.join(s['datasets']))}")
        metrics = [f"{m['name']} {m['value']}" for m in s["metrics"]]
        console.print(f"  metrics: {shown('metrics', '; '.join(metrics))}")
        for f in s["findings"]:
            console.print(f"  finding: {escape(f['finding'])}\n    “{escape(f['quote'])}”")
        for f in s["limitations"]:
            console.print(f"  limitation: {escape(f['limitation'])}\n    “{escape(f['quote'])}”")
        code = s["code"]
        console.print(f"  code: {code['available']} {escape(' '.join(code['urls']))}".rstrip())
        console.print()


def logs(
    limit: int = typer.Option(20, "--limit", "-n", min=0, help="Last N calls (0 = all)."),
    task: str | None = typer.Option(
        None, "--task", help="Only calls of this task.", show_default=False
    ),
    run: str | None = typer.Option(
        None, "--run", help="Only calls of this run id.", show_default=False
    ),
    totals: bool = typer.Option(False, "--totals", help="Print totals (the cost ledger) only."),
    as_json: bool = JSON_OPT,
) -> None:
    """Show the model call log: every attempt with prompt id/version/hash, model, tokens,
    cost, latency, cache hit, attempt, re-ask and error."""
    from reviewer.llm.db import LLMDatabase
    from reviewer.settings import load_settings

    settings = load_settings()
    if not settings.llm_db_path.exists():
        if as_json:
            emit_json({"totals": None, "calls": []} if totals else [])
        else:
            info("No model calls yet.")
        return
    db = LLMDatabase(settings.llm_db_path)
    if totals:
        data = db.totals(run)
        emit_json(data) if as_json else info(
            f"{data['model_calls']} model calls, {data['cache_hits']} cache hits, "
            f"{data['rejected']} rejected answers, {data['errors']} errors, "
            f"{data['input_tokens']}+{data['output_tokens']} tokens, ${data['cost_usd']:.4f}"
            + ("" if data["priced"] else " (some calls had no price)")
        )
        return
    rows = db.calls(limit or None, run_id=run, task=task)
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        row["prompt"] = f"{row['prompt_id']}@{row['prompt_version']}"
        row["tokens"] = f"{row['input_tokens']}+{row['output_tokens']}"
        row["what"] = "cache hit" if row["cache_hit"] else row["status"]
        row["cost"] = f"{row['cost_usd']:.5f}"
        row["ts"] = row["ts"][:19].replace("T", " ")
        row["latency_ms"] = round(row["latency_ms"])
        # The table shows what was wrong, not the re-ask preamble; --json has it all.
        error = (row["error"] or "").split("where the abstract is silent:", 1)[-1]
        error = " ".join(error.split()).lstrip("- ")
        row["error"] = error if len(error) <= 80 else error[:79] + "…"
    emit_rows(
        rows,
        "table",
        [
            ("ts", "time"),
            ("task", "task"),
            ("subject", "paper"),
            ("prompt", "prompt"),
            ("model", "model"),
            ("what", "status"),
            ("reask", "re-ask"),
            ("attempt", "try"),
            ("tokens", "tokens"),
            ("cost", "USD"),
            ("latency_ms", "ms"),
            ("error", "error"),
        ],
        title="model calls",
    )


KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "TOGETHERAI_API_KEY",
    "OPENROUTER_API_KEY",
    "AZURE_API_KEY",
    "DEEPSEEK_API_KEY",
    "OLLAMA_API_BASE",
)


def mask(value: str) -> str:
    if len(value) <= 8:
        return "***"
    return f"{value[:3]}…{value[-4:]}"


def config_show(as_json: bool = JSON_OPT) -> None:
    """Show the settings in use: model, server, keys (masked), what is missing, paths, and
    the mail settings of the digest (the SMTP password only as set or not)."""
    from reviewer.mail import mail_settings_report
    from reviewer.prompts import prompts_dir
    from reviewer.settings import load_settings

    settings = load_settings()
    missing: list[str] = []
    needed: list[str] = []
    if not settings.model:
        missing.append("REVIEWER_MODEL (writing commands need a model)")
    elif settings.api_base is None:
        from reviewer.llm.litellm_import import litellm

        needed = list(litellm.validate_environment(settings.model).get("missing_keys", []))
        missing += [k for k in needed if "KEY" in k or "TOKEN" in k]
    keys = {k: mask(v) for k in KEY_VARIABLES if (v := os.environ.get(k))}
    if settings.api_key is not None:
        keys["REVIEWER_API_KEY"] = mask(settings.api_key.get_secret_value())
    llm_settings = {
        "timeout_s": settings.llm_timeout,
        "transport_retries": settings.llm_retries,
        "reasks": settings.llm_reasks,
        "max_tokens": settings.max_tokens,
        "temperature": settings.temperature,
        "concurrency": settings.concurrency,
        "input_cost_per_mtok": settings.input_cost_per_mtok,
        "output_cost_per_mtok": settings.output_cost_per_mtok,
    }
    data: dict[str, Any] = {
        "model": settings.model,
        "api_base": settings.api_base,
        "keys": keys,
        "key_sent": (
            "REVIEWER_API_KEY"
            if settings.api_base and settings.api_key
            else "none (custom server)"
            if settings.api_base
            else "the provider's variable"
        ),
        "missing": missing,
        "llm": llm_settings,
        "home": str(settings.home),
        "store": settings.chroma_url or str(settings.chroma_path),
        "embedder": settings.embedder,
        "call_log": str(settings.llm_db_path),
        "prompts": str(prompts_dir()),
        "mail": mail_settings_report(settings),
    }
    if as_json:
        emit_json(data)
        return
    out = sys.stdout.write
    out(f"model:      {data['model'] or '(not set)'}\n")
    out(f"api base:   {data['api_base'] or '(provider default)'}\n")
    out(f"key sent:   {data['key_sent']}\n")
    for name, value in keys.items():
        out(f"  {name} = {value}\n")
    for name, setting in llm_settings.items():
        out(f"{name + ':':<21} {setting if setting is not None else '(litellm price map)'}\n")
    for name in ("home", "store", "embedder", "call_log", "prompts"):
        out(f"{name + ':':<11} {data[name]}\n")
    for name, setting in data["mail"].items():
        out(f"{name + ':':<14} {setting if setting not in (None, []) else '(not set)'}\n")
    for item in missing:
        out(f"missing:    {item}\n")


def register(app: typer.Typer) -> None:
    app.command("summarize", help=reflow(summarize.__doc__))(summarize)
    app.command("logs", help=reflow(logs.__doc__))(logs)
    config = typer.Typer(help="Show the configuration in use.", no_args_is_help=True)
    config.command("show", help=reflow(config_show.__doc__))(config_show)
    app.add_typer(config, name="config")
