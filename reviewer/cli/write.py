"""Commands that write from the store: related-work and compare."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from reviewer.cli.llm import CONCURRENCY_OPT, MAX_COST_OPT, calls_footer, stored_summaries
from reviewer.cli.output import SINCE_OPT, UNTIL_OPT, info, reflow, write_output

if TYPE_CHECKING:
    from reviewer.corpus.model import Paper
    from reviewer.index.store import Store
    from reviewer.llm.client import LLMClient
    from reviewer.llm.db import LLMDatabase
    from reviewer.settings import Settings

FORMATS = ("markdown", "latex", "json")
EXTRACTIVE_OPT = typer.Option(
    False,
    "--extractive",
    help="Without a model: quote sentences from the abstracts instead of writing "
    "(clearly labelled; every sentence cited).",
)


def _model_client(
    settings: Settings, extractive: bool, max_cost: float | None
) -> tuple[LLMClient | None, LLMDatabase | None]:
    """The LLM client, or (None, None) in extractive mode; without a model and without
    --extractive, a ConfigError naming the settings (exit 3)."""
    if extractive:
        return None, None
    from reviewer.errors import ConfigError
    from reviewer.llm.client import LLMClient, require_model
    from reviewer.llm.cost import Budget
    from reviewer.llm.db import LLMDatabase

    try:
        require_model(settings)
    except ConfigError as exc:
        raise ConfigError(
            exc.message,
            hint=f"{exc.hint} Or pass --extractive for a draft quoted from the abstracts.",
        ) from None
    db = LLMDatabase(settings.llm_db_path)
    return LLMClient(settings, db, Budget(max_cost)), db


def _resolve(store: Store, refs: list[str], what: str) -> list[Paper]:
    from reviewer.errors import NotFoundError

    papers, missing = [], []
    for ref in refs:
        found = store.resolve(ref)
        if found is None:
            missing.append(ref)
        else:
            papers.append(found.paper)
    if missing:
        raise NotFoundError(
            f"{what}: not in the store: {', '.join(missing)}",
            hint="`reviewer search` or `reviewer list` shows the ids.",
        )
    return papers


def _write_out(path: Path | None, text: str) -> None:
    """stdout, or a file written whole (a temporary file renamed over it)."""
    if path is None:
        sys.stdout.write(text)
        return
    write_output(path, text)
    info(f"Wrote {path}")


def related_work(
    topic: str = typer.Argument(
        None,
        help="What the section is about, in your own words (put it before --include/--exclude). "
        "May be left out with --outline-file, which names it.",
        show_default=False,
    ),
    k: int = typer.Option(12, "-k", min=1, max=60, help="Papers to retrieve."),
    words: int = typer.Option(400, "--words", min=50, max=5000, help="Target length in words."),
    fmt: str = typer.Option("markdown", "--format", "-f", help="markdown, latex or json."),
    out: Path | None = typer.Option(
        None, "--output", "-o", help="Write the draft here instead of stdout.", show_default=False
    ),
    bib: Path | None = typer.Option(
        None,
        "--bib",
        help="Write BibTeX entries of exactly the cited papers here.",
        show_default=False,
    ),
    include: list[str] = typer.Option(
        None,
        "--include",
        help="Papers to consider besides the search results (ids).",
        show_default=False,
    ),
    exclude: list[str] = typer.Option(
        None, "--exclude", help="Papers never to consider (ids).", show_default=False
    ),
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
    themes: int = typer.Option(4, "--themes", min=1, max=8, help="At most this many themes."),
    outline: bool = typer.Option(
        False, "--outline", help="Print the outline (themes and their papers) and stop."
    ),
    outline_file: Path | None = typer.Option(
        None,
        "--outline-file",
        help="Write from this outline (as --outline printed it, edited) instead of searching.",
        show_default=False,
    ),
    expand: bool = typer.Option(
        True,
        "--expand/--no-expand",
        help="Let the model add up to 3 other phrasings of the topic to the search.",
    ),
    summarize: bool = typer.Option(
        False, "--summarize", help="First summarize the papers that have no current summary."
    ),
    extractive: bool = EXTRACTIVE_OPT,
    concurrency: int | None = CONCURRENCY_OPT,
    max_cost: float | None = MAX_COST_OPT,
) -> None:
    """Draft a related-work section on TOPIC from the papers in the store.

    Retrieves the papers (hybrid search, widened by model-written query variants),
    groups them into themes, and writes one paragraph per theme that compares the papers.
    Grounding is enforced in code: every citation is one of the retrieved papers, every
    sentence that states a finding cites one, every number occurs in a cited abstract.
    Sentences that still fail after the re-asks are dropped and listed on stderr.

    Markdown has numbered references; LaTeX has \\cite{key} and --bib writes the entries
    (arXiv eprint, DOI, URL, authors, year from the store, never from the model); JSON
    has the paragraphs, each sentence's citations, the references and the footer.

    --outline prints the themes; edit them and pass the file back with --outline-file.
    Without a model, --extractive quotes one sentence per paper, grouped by theme (exit
    0); without either, the command names the settings to set (exit 3)."""
    from reviewer.cli.corpus import _open_store, _parse_date
    from reviewer.errors import ReviewerError
    from reviewer.index.search import Filters
    from reviewer.render import draft as render
    from reviewer.settings import load_settings
    from reviewer.tasks import related_work as rw

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    if outline_file is not None and include:
        raise typer.BadParameter("add papers to the outline file instead", param_hint="--include")
    filters = Filters(_parse_date(since, "--since"), _parse_date(until, "--until"))
    settings = load_settings()
    parsed_outline = render.read_outline(outline_file) if outline_file is not None else None
    named = topic or (parsed_outline[0] if parsed_outline else None)
    if not named:
        raise ReviewerError('say what the section is about: reviewer related-work "TOPIC"')
    topic = named
    client, db = _model_client(settings, extractive, max_cost)
    store = _open_store()
    if store.count() == 0:
        raise ReviewerError(
            "the store is empty",
            hint="Ingest papers first: reviewer ingest FILE..., or reviewer demo.",
        )
    trace = rw.Trace()
    try:
        excluded = {p.id for p in _resolve(store, list(exclude or []), "--exclude")}
        queries: list[str] = []
        if parsed_outline is not None:
            theme_list, chosen = _outline_from_file(
                store, outline_file, parsed_outline[1], excluded
            )
        else:
            included = _resolve(store, list(include or []), "--include")
            if client is not None and expand:
                info(f"Asking {client.model} for other phrasings of the topic…")
                queries = rw.expand_queries(client, topic, trace)
                if queries:
                    info("Also searching: " + " | ".join(queries))
            chosen = rw.retrieve(store, topic, queries, k, filters, included, sorted(excluded))
            theme_list = []
        if not chosen:
            raise ReviewerError(
                "no paper matches", hint="Widen --since/--until, or check `reviewer stats`."
            )
        if summarize and client is not None:
            _summarize_missing(settings, [p for p, _ in chosen], concurrency, max_cost)
        candidates = rw.make_candidates(
            chosen, stored_summaries(settings, [p.id for p, _ in chosen])
        )
        if not theme_list:
            theme_list = _outline(store, client, topic, candidates, themes, trace)
        if outline:
            titles = {c.paper.id: c.paper.title for c in candidates}
            text = (
                render.outline_json(topic, theme_list)
                if fmt == "json"
                else render.outline_markdown(topic, theme_list, titles)
            )
            _write_out(out, text)
            return
        sections, dropped = _write_sections(
            client, settings, topic, theme_list, candidates, words, trace, concurrency
        )
        totals = db.totals(client.run_id) if client is not None and db is not None else None
        draft = rw.assemble(
            topic,
            "extractive" if client is None else "model",
            queries,
            candidates,
            sections,
            dropped,
            trace.notes,
            client.model if client is not None else None,
            totals,
        )
        text = {"markdown": render.to_markdown, "latex": render.to_latex, "json": render.to_json}[
            fmt
        ](draft)
        _report_dropped(draft)
        _write_out(out, text)
        if bib is not None:
            papers = {c.paper.id: c.paper for c in candidates}
            _write_out(bib, render.cited_bib(draft, papers))
        elif fmt == "latex":
            info("The \\cite keys need their entries: add --bib refs.bib.")
        _footer(draft, totals)
    finally:
        if db is not None:
            db.close()


def _outline_from_file(
    store: Store,
    path: Path | None,
    themes: list[tuple[str, list[tuple[str, str]]]],
    excluded: set[str],
) -> tuple[list[Any], list[tuple[Paper, str]]]:
    from reviewer.errors import InputError
    from reviewer.tasks.themes import Theme

    chosen: dict[str, Paper] = {}
    result = []
    for title, refs in themes:
        ids = []
        for ref, where in refs:
            found = store.resolve(ref)
            if found is None:
                raise InputError(str(path), f"no paper {ref!r} in the store", where)
            pid = found.paper.id
            if pid in excluded or pid in chosen:
                continue
            chosen[pid] = found.paper
            ids.append(pid)
        if ids:
            result.append(Theme(title=title, paper_ids=ids, source="user"))
    return result, [(p, "outline file") for p in chosen.values()]


def _outline(
    store: Store,
    client: LLMClient | None,
    topic: str,
    candidates: list[Any],
    themes: int,
    trace: Any,
) -> list[Any]:
    from reviewer.tasks import related_work as rw

    if client is not None and len(candidates) > 2 and themes > 1:
        info(f"Grouping {len(candidates)} papers into themes with {client.model}…")
        found = rw.outline_with_model(client, topic, candidates, themes, trace)
        if found is not None:
            return found
        trace.notes.append("the model's outline was unusable; themes grouped by similarity instead")
        info("The model's outline failed validation: grouping the papers by similarity instead.")
    return rw.outline_by_clusters(store, candidates, themes, topic)


def _write_sections(
    client: LLMClient | None,
    settings: Settings,
    topic: str,
    theme_list: list[Any],
    candidates: list[Any],
    words: int,
    trace: Any,
    concurrency: int | None,
) -> tuple[list[Any], list[Any]]:
    from reviewer.cli.corpus import _progress_bar
    from reviewer.tasks import related_work as rw

    if client is None:
        info(
            f"Extractive draft: quoting {len(candidates)} abstracts, "
            f"{_n(len(theme_list), 'theme')}."
        )
        return rw.write_sections(None, topic, theme_list, candidates, words, trace)
    workers = concurrency or settings.concurrency
    info(f"Writing {_n(len(theme_list), 'paragraph')} with {client.model} ({workers} at a time)…")
    bar, advance = _progress_bar(len(theme_list), "writing")
    try:
        return rw.write_sections(
            client,
            topic,
            theme_list,
            candidates,
            words,
            trace,
            workers,
            on_section=lambda _: advance(1) if advance else None,
        )
    finally:
        if bar is not None:
            bar.stop()


def _summarize_missing(
    settings: Settings, papers: list[Paper], concurrency: int | None, max_cost: float | None
) -> None:
    from reviewer.cli.llm import run_summaries
    from reviewer.tasks.summary_model import lacking_summary

    missing = lacking_summary(papers, stored_summaries(settings, [p.id for p in papers]))
    if missing:
        run_summaries(missing, concurrency, max_cost, settings)


def _report_dropped(draft: Any) -> None:
    for item in draft.dropped:
        cites = f" [{', '.join(item.citations)}]" if item.citations else ""
        info(f"dropped from {item.theme!r}: {item.text[:120]!r}{cites}: {'; '.join(item.reasons)}")
    for section in draft.sections:
        if section.note:
            info(f"{section.theme}: {section.note}")
    for note in draft.notes:
        info(f"note: {note}")


def _footer(draft: Any, totals: dict[str, Any] | None) -> None:
    f = draft.footer
    line = (
        f"{f.papers_considered} papers considered, {f.papers_cited} cited; "
        f"{_n(f.themes, 'theme')}, {_n(f.sentences, 'sentence')} ({f.words} words), "
        f"{f.sentences_dropped} dropped"
    )
    if totals is not None:
        line += "; " + calls_footer(totals)
    else:
        line += "; extractive, no model calls"
    info(line)


def compare(
    topic: str = typer.Argument(
        None,
        help="Compare the top hits of this search (or name papers with --ids).",
        show_default=False,
    ),
    ids: list[str] = typer.Option(
        None, "--ids", help="Papers to compare (ids); list after --ids.", show_default=False
    ),
    k: int = typer.Option(8, "-k", min=1, max=60, help="With TOPIC: how many hits."),
    columns: str = typer.Option(
        "task,modality,datasets,metrics,results,code",
        "--columns",
        help="Comma-separated columns; any name works with a model (e.g. anatomy,method).",
    ),
    fmt: str = typer.Option("markdown", "--format", "-f", help="markdown, csv or json."),
    out: Path | None = typer.Option(
        None, "--output", "-o", help="Write the table here instead of stdout.", show_default=False
    ),
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
    extractive: bool = EXTRACTIVE_OPT,
    concurrency: int | None = CONCURRENCY_OPT,
    max_cost: float | None = MAX_COST_OPT,
) -> None:
    """Compare papers in a table: one row per paper, one column per aspect.

    Each cell is filled from that paper's abstract with the words that state it as
    evidence, or says "not reported" where the abstract is silent. A cell whose evidence
    is not verbatim in the abstract, or whose numbers are not in its evidence, is sent
    back to the model; if it still fails it is shown as "unverified", never as fact.
    The code column comes from the paper's code links. CSV and JSON carry each cell's
    evidence; Markdown lists it under the table.

    Without a model, --extractive fills task, modality, datasets, metrics, results and
    code with the abstract's own words found by cue words (labelled as such)."""
    from reviewer.cli.corpus import _open_store, _parse_date
    from reviewer.errors import ReviewerError
    from reviewer.index.search import Filters
    from reviewer.index.search import search as run_search
    from reviewer.render.table import to_csv, to_json, to_markdown
    from reviewer.settings import load_settings
    from reviewer.tasks.compare import EXTRACTIVE_COLUMNS, CompareTable, compare_rows, parse_columns

    if fmt not in ("markdown", "csv", "json"):
        raise typer.BadParameter(
            f"{fmt!r} is not one of markdown, csv, json", param_hint="--format"
        )
    wanted = parse_columns(columns)
    if extractive and (unknown := [c for c in wanted if c not in EXTRACTIVE_COLUMNS]):
        raise ReviewerError(
            f"--extractive cannot fill {', '.join(unknown)}",
            hint=f"Without a model the columns are {', '.join(sorted(EXTRACTIVE_COLUMNS))}.",
        )
    if not topic and not ids:
        raise ReviewerError('say which papers: reviewer compare "TOPIC" or --ids ID...')
    settings = load_settings()
    filters = Filters(_parse_date(since, "--since"), _parse_date(until, "--until"))
    client, db = _model_client(settings, extractive, max_cost)
    try:
        store = _open_store()
        papers = _resolve(store, list(ids or []), "--ids")
        if topic:
            have = {p.id for p in papers}
            papers += [
                h.paper
                for h in run_search(store, topic, k=k, filters=filters)
                if h.paper.id not in have
            ]
        if not papers:
            raise ReviewerError("no paper matches", hint="Check the store with `reviewer stats`.")
        from reviewer.cli.corpus import _progress_bar

        bar, advance = (None, None)
        if client is not None:
            info(f"Comparing {len(papers)} papers on {len(wanted)} columns with {client.model}…")
            bar, advance = _progress_bar(len(papers), "comparing")
        try:
            rows = compare_rows(
                client,
                papers,
                wanted,
                concurrency or settings.concurrency,
                on_row=lambda _: advance(1) if advance else None,
            )
        finally:
            if bar is not None:
                bar.stop()
        totals = db.totals(client.run_id) if client is not None and db is not None else None
        table = CompareTable(
            topic=topic,
            columns=wanted,
            mode="extractive" if client is None else "model",
            rows=rows,
            footer={
                "papers": len(rows),
                "cells_reported": sum(
                    c.status == "reported" for r in rows for c in r.cells.values()
                ),
                "cells_not_reported": sum(
                    c.status == "not reported" for r in rows for c in r.cells.values()
                ),
                "cells_unverified": sum(
                    c.status == "unverified" for r in rows for c in r.cells.values()
                ),
                "model": client.model if client is not None else None,
                **({"calls": totals} if totals else {}),
            },
        )
        for row in rows:
            for name, cell in row.cells.items():
                if cell.status == "unverified":
                    info(f"unverified: {row.id} {name}: {cell.reason}")
        _write_out(out, {"markdown": to_markdown, "csv": to_csv, "json": to_json}[fmt](table))
        f = table.footer
        line = (
            f"{f['papers']} papers; {f['cells_reported']} cells reported, "
            f"{f['cells_not_reported']} not reported, {f['cells_unverified']} unverified"
        )
        info(line + ("; " + calls_footer(totals) if totals else "; extractive, no model calls"))
    finally:
        if db is not None:
            db.close()


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def register(app: typer.Typer) -> None:
    app.command("related-work", help=reflow(related_work.__doc__))(related_work)
    app.command("compare", help=reflow(compare.__doc__))(compare)
