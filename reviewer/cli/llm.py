"""Commands over the model: summarize, logs, config show."""

from __future__ import annotations

import sys
from typing import Any

import typer

from reviewer.cli.output import (
    CONCURRENCY_OPT,
    JSON_OPT,
    MAX_COST_OPT,
    PROFILE_OPT,
    REFRESH_OPT,
    VERIFY_OPT,
    Column,
    emit_json,
    emit_rows,
    info,
    open_reviewer,
    reflow,
)
from reviewer.render.safe import strip_controls
from reviewer.render.tex import tex_to_text


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
    profile: str | None = PROFILE_OPT,
    as_json: bool = JSON_OPT,
    concurrency: int | None = CONCURRENCY_OPT,
    max_cost: float | None = MAX_COST_OPT,
    refresh: bool = REFRESH_OPT,
    verify: bool | None = VERIFY_OPT,
) -> None:
    """Write a grounded summary of each paper: a TL;DR and the fields of the summary
    profile. The default, general, has problem, contribution, method, task, datasets,
    metrics with values, findings with quotes, limitations and code; medical-imaging adds
    modality and anatomy; your own profiles add any field (`reviewer profiles`).

    Every quote must occur verbatim in the abstract and every number in it; answers that
    fail are sent back to the model, and what still fails is dropped and listed on stderr.
    With --verify a judge model reads the TL;DR and each finding against the abstract, and
    what it does not support is dropped the same way.
    Summaries are cached: repeating a run makes no model call. Needs REVIEWER_MODEL."""
    result = open_reviewer().summarize(
        list(ids or []),
        query=query,
        k=k,
        profile=profile,
        concurrency=concurrency,
        max_cost=max_cost,
        refresh=refresh,
        verify=verify,
    )
    data = [s.model_dump(mode="json") for s in result.summaries]
    if as_json:
        emit_json(data)
    else:
        _print_summaries(data)
    result.raise_if_stopped()
    if result.verification is not None:
        result.verification.raise_if_stopped()
    if result.failed and not result.summaries:
        from reviewer.errors import LLMError

        raise LLMError(
            f"no paper could be summarized ({len(result.failed)} failed)",
            hint="`reviewer logs` shows every answer and why it was rejected.",
        )


def _print_summaries(data: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape

    from reviewer.results import SUMMARY_CORE_FIELDS

    def text(value: str) -> str:
        """Stored text as a reader sees it (TeX as Unicode), safe from rich markup."""
        return escape(strip_controls(tex_to_text(value)))

    console = Console()
    for s in data:
        console.print(f"[bold]{text(s['title'])}[/bold]  [dim]{escape(s['paper_id'])}[/dim]")
        label = "" if s["tldr_source"] == "model" else " [dim](abstract's first sentence)[/dim]"
        console.print(f"  TL;DR{label}: {text(s['tldr'])}")
        if s["abstract_truncated"]:
            console.print("  [yellow]The abstract is truncated in every source.[/yellow]")
        failed = set(s["failed_fields"])
        for field, value in s.items():
            if field in SUMMARY_CORE_FIELDS:
                continue
            if field in failed:
                console.print(f"  {field}: [dim](every answer failed validation)[/dim]")
            elif isinstance(value, dict):  # a link
                urls = " ".join(value.get("urls", []))
                console.print(f"  {field}: {value.get('available')} {escape(urls)}".rstrip())
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for item in value:
                    if "quote" in item:
                        claim = next(v for k, v in item.items() if k != "quote")
                        console.print(f"  {field}: {text(claim)}\n    “{text(item['quote'])}”")
                    else:  # a metric: a score, or a gain over a baseline
                        on = item.get("dataset", "not reported")
                        where = "" if on == "not reported" else f" ({on})"
                        number = str(item.get("value", ""))
                        if item.get("kind") == "gain":
                            sign = "" if number.startswith(("+", "-", "\u2212")) else "+"
                            number = f"{sign}{number} (gain over a baseline)"
                        console.print(
                            f"  {field}: {text(item.get('name', ''))} "
                            f"{escape(number)}{escape(where)}"
                        )
            elif isinstance(value, list):
                console.print(f"  {field}: {text(', '.join(value) or 'not reported')}")
            else:
                console.print(f"  {field}: {text(str(value) or 'not reported')}")
        console.print()


def profiles(
    name: str | None = typer.Argument(
        None, help="Show this profile's fields (a name or a TOML file).", show_default=False
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """List the summary profiles, or show one's fields.

    A profile names the fields `reviewer summarize` extracts, each with a kind that
    decides its grounding rule: text (free text; its numbers must be in the abstract),
    name / names (copied from the abstract, checked to occur there), metrics (name and
    reported value, both found in the abstract, each a score or a gain over a baseline
    as the abstract gives it), quotes (claims, each with a verbatim quote; with
    states = "limitation", each quote must state a limitation) and link (a URL from the
    abstract or metadata). It also sets compare's
    default columns and the wiki export's summary schema.

    Add your own as REVIEWER_HOME/profiles/NAME.toml, e.g.:

        name = "ecology"
        description = "field ecology"      # named in the prompt; optional
        extends = "general"                # start from general's fields
        compare_columns = ["task", "species", "datasets", "metrics", "results"]

        [[fields]]
        name = "species"
        kind = "names"
        description = "Species studied, as the abstract names them."

    Select one with --profile NAME (or a file's path) or REVIEWER_PROFILE."""
    rv = open_reviewer()
    shown = [rv.profile(name)] if name else rv.profiles()
    if as_json:
        emit_json([p.model_dump(mode="json") for p in shown])
        return
    default = rv.settings.profile
    for p in shown:
        mark = "  (selected)" if p.name == default else ""
        typer.echo(f"{p.name}{mark}  [{p.source}]")
        if p.description:
            typer.echo(f"  for: {p.description}")
        for f in p.fields:
            states = f", states a {f.states}" if f.states else ""
            typer.echo(f"  {f.name} ({f.kind}{states}): {f.description}")
        typer.echo(f"  compare columns: {', '.join(p.compare_columns)}")
        typer.echo("")


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
    rv = open_reviewer()
    if totals:
        data = rv.call_totals(run)
        if as_json:
            emit_json(data if data is not None else {"totals": None, "calls": []})
        elif data is None:
            info("No model calls yet.")
        else:
            info(
                f"{data['model_calls']} model calls, {data['cache_hits']} cache hits, "
                f"{data['rejected']} rejected answers, {data['errors']} errors, "
                f"{data['input_tokens']}+{data['output_tokens']} tokens, "
                f"${data['cost_usd']:.4f}"
                + ("" if data["priced"] else " (some calls had no price)")
            )
        return
    rows = rv.calls(limit=limit or None, run=run, task=task)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        info("No model call matches --run/--task." if run or task else "No model calls yet.")
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
            Column("ts", "time", block="head"),
            Column("task", "task", block="head"),
            Column("subject", "paper", block="head"),
            Column("what", "status", block="head"),
            Column("prompt", "prompt"),
            Column("model", "model"),
            Column("reask", "re-ask", justify="right"),
            Column("attempt", "try", justify="right"),
            Column("tokens", "tokens", justify="right"),
            Column("cost", "USD", justify="right"),
            Column("latency_ms", "ms", justify="right"),
            Column("error", "error", kind="text", max_lines=3, min_width=24, ratio=2),
        ],
        title="model calls",
    )


def config_show(as_json: bool = JSON_OPT) -> None:
    """Show the settings in use: model, server, keys (masked), what is missing, paths, and
    the mail settings of the digest (the SMTP password only as set or not)."""
    data = open_reviewer().config_report()
    keys, llm_settings, missing = data["keys"], data["llm"], data["missing"]
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
    judge = data["judge"]
    out(f"judge:      {judge['model'] or '(not set: --verify is off)'}\n")
    if judge["model"]:
        out(f"judge base: {judge['api_base'] or '(provider default)'}\n")
        out(f"judge key:  {judge['key_sent']}\n")
    for name in ("home", "store", "embedder", "call_log", "prompts"):
        out(f"{name + ':':<11} {data[name]}\n")
    for name, setting in data["mail"].items():
        out(f"{name + ':':<14} {setting if setting not in (None, []) else '(not set)'}\n")
    for item in missing:
        out(f"missing:    {item}\n")


def register(app: typer.Typer) -> None:
    app.command("profiles", help=reflow(profiles.__doc__))(profiles)
    app.command("summarize", help=reflow(summarize.__doc__))(summarize)
    app.command("logs", help=reflow(logs.__doc__))(logs)
    config = typer.Typer(help="Show the configuration in use.", no_args_is_help=True)
    config.command("show", help=reflow(config_show.__doc__))(config_show)
    app.add_typer(config, name="config")
