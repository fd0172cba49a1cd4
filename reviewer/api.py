"""The library's face: one object that opens a store and does everything the CLI, the
MCP server and the evals do.

    from reviewer import Reviewer

    rv = Reviewer(home="~/papers")                    # or Reviewer() for the settings
    rv.ingest(["refs.bib", "feeds/"])                 # -> IngestReport
    hits = rv.search("SAM adaptation", k=5)           # -> list[SearchHit]
    draft = rv.related_work("SAM adaptation", extractive=True)   # -> RelatedWorkDraft

Every method is typed and returns a Pydantic model (the very model the CLI's ``--json``
prints). Failures are ``reviewer.errors.ReviewerError`` subclasses with a message and a
hint. Nothing here prints: what a person would want to read goes to the ``Reporter``
(``reviewer.progress``; by default the ``reviewer`` logger). Heavy libraries (chromadb,
onnxruntime, litellm) are imported on first use, not with this module.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import reviewer.demo as _demo
from reviewer.errors import ConfigError, NotFoundError, ReviewerError, UsageError
from reviewer.progress import LogReporter, Reporter
from reviewer.results import (
    CacheCleared,
    CacheStatsReport,
    DraftCheck,
    DraftSentence,
    ExportReport,
    FailedPaper,
    FileRead,
    IngestReport,
    Outline,
    PaperRecord,
    RemovalReport,
    SearchHit,
    SearchQuery,
    SentenceCheck,
    StoreSize,
    StoreStats,
    SummarizeResult,
)

if TYPE_CHECKING:
    from reviewer.corpus.model import Paper
    from reviewer.index.search import Filters
    from reviewer.index.store import Store
    from reviewer.llm.client import LLMClient
    from reviewer.llm.cost import Budget
    from reviewer.llm.db import LLMDatabase
    from reviewer.profiles import Profile
    from reviewer.results import DigestRun
    from reviewer.settings import Settings
    from reviewer.tasks.compare import CompareTable
    from reviewer.tasks.judge import LLMJudge, SupportJudge
    from reviewer.tasks.related_work import Candidate, RelatedWorkDraft, Trace
    from reviewer.tasks.summary_model import SummaryKey
    from reviewer.tasks.themes import Theme
    from reviewer.tasks.verify import Verification, Verifier

SearchMode = Literal["hybrid", "dense", "lexical"]
SEARCH_MODES: tuple[str, ...] = ("hybrid", "dense", "lexical")
SORT_ORDERS: tuple[str, ...] = ("date", "title", "added")
DRAFT_FORMATS: tuple[str, ...] = ("markdown", "latex", "json")
TABLE_FORMATS: tuple[str, ...] = ("markdown", "csv", "json")
CHECK_FORMATS: tuple[str, ...] = ("markdown", "latex")
CHECK_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "markdown", ".tex": "latex"}
# compare's columns when none are named: the summary profile's compare_columns.
DEFAULT_COLUMNS: str | None = None
# Input files a folder is searched for (hidden files and folders are skipped).
INPUT_SUFFIXES = frozenset({".txt", ".md", ".xml", ".atom", ".rss", ".bib", ".json", ".jsonl"})

DateLike = date | str | None
DEMO_TOPIC = _demo.TOPIC


def demo_corpus() -> Path:
    """The folder of the bundled demo corpus (see ``reviewer.demo``)."""
    from importlib.resources import files

    return Path(str(files("reviewer") / "demo"))


def parse_date(value: DateLike, name: str) -> date | None:
    """A date, or an ISO ``YYYY-MM-DD`` string; anything else is a UsageError naming
    ``name``."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name}: {value!r} is not a date like 2025-09-01") from None


def check_choice(value: str, choices: Sequence[str], name: str) -> str:
    if value not in choices:
        raise UsageError(f"{name}: {value!r} is not one of {', '.join(choices)}")
    return value


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files named, and the input files inside folders named (hidden ones skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in INPUT_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            files.append(path)
    return files


class Reviewer:
    """A store of papers and the model settings to write from it.

    ``Reviewer()`` takes its settings from the environment and the config file, as the
    CLI does; keyword arguments override single settings (``home=``, ``chroma_url=``,
    ``model=``, ``api_base=``, any field of ``reviewer.settings.Settings``), or pass a
    whole ``settings=``. ``reporter`` receives progress and notes (default: logging).
    The store opens on first use; ``close()`` (or ``with Reviewer() as rv:``) releases it.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        reporter: Reporter | None = None,
        **overrides: Any,
    ) -> None:
        from reviewer.settings import load_settings

        if settings is None:
            settings = load_settings(**overrides)
        elif overrides:
            settings = settings.model_copy(update=overrides)
        self.settings = settings
        self.reporter: Reporter = reporter or LogReporter()
        self._store: Store | None = None

    def __enter__(self) -> Reviewer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._store = None

    @property
    def store(self) -> Store:
        if self._store is None:
            from reviewer.index.store import Store

            self._store = Store.open(self.settings)
        return self._store

    # -- the corpus --------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | Path] = (),
        *,
        fmt: str = "auto",
        skip_bad: bool = False,
        arxiv: str | None = None,
        max_results: int = 100,
        demo: bool = False,
    ) -> IngestReport:
        """Read files and folders (and an arXiv API query) into the store, merging
        duplicates. Every file is read and checked before anything is written: a bad
        file raises ``InputError`` with the store unchanged, unless ``skip_bad``."""
        from reviewer.corpus.readers import FORMATS, read_file
        from reviewer.errors import InputError

        check_choice(fmt, FORMATS, "--format")
        named = [Path(p) for p in paths] + ([demo_corpus()] if demo else [])
        files = expand_paths(named)
        if not files and not arxiv:
            raise UsageError(
                "nothing to ingest", hint="Name files or folders, --demo, or --arxiv QUERY."
            )
        entries: list[Paper] = []
        read: list[FileRead] = []
        bad: list[InputError] = []
        for file in files:
            try:
                used, papers = read_file(file, fmt)
            except InputError as exc:
                bad.append(exc)
                continue
            entries.extend(papers)
            read.append(FileRead(path=str(file), format=used, entries=len(papers)))
        if bad and not skip_bad:
            for problem in bad[:-1]:
                self.reporter.note(f"error: {problem.message}")
            last = bad[-1]
            raise InputError(
                last.path,
                last.problem,
                last.where,
                hint=(f"{last.hint} " if last.hint else "")
                + (f"{len(bad)} bad files; n" if len(bad) > 1 else "N")
                + "othing was written. Fix the file, or pass --skip-bad to ingest the rest.",
            )
        for problem in bad:
            self.reporter.note(f"skipped: {problem.message}")
        if arxiv:
            from reviewer.corpus import arxiv_api

            self.reporter.note(
                f"Fetching up to {max_results} papers from the arXiv API (one request per 3 s)…"
            )
            fetched = arxiv_api.fetch(arxiv, max_results)
            entries.extend(fetched)
            read.append(FileRead(path=f"arxiv:{arxiv}", format="arxiv-api", entries=len(fetched)))

        store = self.store
        started = False

        def on_plan(total: int) -> None:
            nonlocal started
            if total:
                self.reporter.note(f"Embedding {total} papers…")
                self.reporter.start(total, "embedding")
                started = True

        try:
            result = store.ingest(
                entries, on_plan=on_plan, on_embedded=lambda n: self.reporter.advance(n)
            )
        finally:
            if started:
                self.reporter.finish()
        return IngestReport(
            files=read,
            bad=[e.message for e in bad],
            **result.to_json(),
            store=StoreSize(papers=store.count()),
        )

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: str = "hybrid",
        since: DateLike = None,
        until: DateLike = None,
        has_code: bool = False,
        expand: bool = True,
    ) -> list[SearchHit]:
        """Hybrid search (dense MiniLM and BM25 fused by reciprocal rank), or one half.
        Each hit carries absolute scores (``similarity``, ``query_terms``); when none of
        the hits matches well, a note says so. An empty query, or one of only common
        words, is a ``UsageError``.

        With a model configured and ``expand``, the model also writes other phrasings of
        the query and (except in lexical mode) the abstract a paper on it would have,
        and their rankings join the fusion (``reviewer.tasks.expand``; each hit's
        ``queries`` lists what was fused). When that fails or runs out of time
        (REVIEWER_EXPAND_BUDGET), a one-line note says so and the query alone is
        searched. Without a model, ``expand`` changes nothing."""
        from reviewer.index.search import absolute_scores, is_strong_match, search

        check_choice(mode, SEARCH_MODES, "--mode")
        if k < 1:
            raise UsageError(f"-k: {k} is not a positive number of results")
        filters = self._filters(since, until, has_code)
        from reviewer.index.lexical import has_content_words

        if not has_content_words(query):
            shown = " ".join(query.split())[:60]
            why = "it holds only common words" if re.search(r"\w", shown) else "it holds no word"
            raise UsageError(
                f'nothing to search for in "{shown}": {why}' if shown else "the query is empty",
                hint='Name the topic in a few content words, e.g. reviewer search "noisy labels".',
            )
        store = self.store
        if store.count() == 0:
            self.reporter.note(
                "The store is empty: ingest papers first (reviewer ingest FILE..., "
                "or reviewer ingest --demo)."
            )
        variants: list[str] = []
        hypothetical: str | None = None
        if expand and self.settings.model and store.count():
            # Variants widen BM25 and the abstract the vector search (``search``): each is
            # asked only in a mode that uses it.
            variants, hypothetical = self._expand_query(
                query, hypothetical=mode != "lexical", phrasings=mode != "dense"
            )
        hits = search(
            store,
            query,
            k=k,
            mode=mode,  # type: ignore[arg-type]
            filters=filters,
            variants=variants,
            hypothetical=hypothetical,
        )
        fused = [SearchQuery(kind="query", text=query)]
        fused += [SearchQuery(kind="variant", text=v) for v in variants]
        if hypothetical:
            fused.append(SearchQuery(kind="hypothetical", text=hypothetical))
        if not hits and store.count():
            limits = [
                f"--since {filters.since}" if filters.since else "",
                f"--until {filters.until}" if filters.until else "",
                "--has-code" if filters.has_code else "",
            ]
            shown = " ".join(x for x in limits if x)
            self.reporter.note(
                f"No paper in the store is inside {shown}."
                if shown
                else "No paper in the store holds any of the query's words."
            )
        scores = absolute_scores(store, query, [h.paper.id for h in hits])
        if scores and not any(is_strong_match(sim, terms) for sim, terms in scores):
            sim, terms = max(scores)
            self.reporter.note(
                f"Nothing in the store matches this well: the closest paper has similarity "
                f"{sim:.2f} and {terms:.0%} of the query's terms. These are the nearest, not "
                "answers."
            )
        return [
            SearchHit(
                rank=i,
                **h.to_json(),
                similarity=round(sim, 4),
                query_terms=round(t, 4),
                queries=[
                    q.model_copy(update={"rank": r})
                    for q, r in zip(fused, h.query_ranks, strict=True)
                ],
            )
            for i, (h, (sim, t)) in enumerate(zip(hits, scores, strict=True), start=1)
        ]

    def _expand_query(
        self, query: str, hypothetical: bool, phrasings: bool = True
    ) -> tuple[list[str], str | None]:
        """The model's other phrasings of ``query`` and its hypothetical abstract, within
        REVIEWER_EXPAND_BUDGET; what fails is a note, never an error."""
        from reviewer.llm.client import LLMClient
        from reviewer.llm.db import LLMDatabase
        from reviewer.tasks.expand import expand

        notes: list[str] = []
        variants: list[str] = []
        abstract: str | None = None
        db: LLMDatabase | None = None
        try:
            db = LLMDatabase(self.settings.llm_db_path)
            client = LLMClient(self.settings, db, reporter=self.reporter)
            found = expand(
                client,
                query,
                task="search",
                budget=self.settings.expand_budget,
                hypothetical=hypothetical,
                phrasings=phrasings,
                errors_as_notes=True,
            )
            variants, abstract, notes = found.queries, found.hypothetical, found.notes
        except (ReviewerError, OSError, sqlite3.Error) as exc:
            why = " ".join((exc.message if isinstance(exc, ReviewerError) else str(exc)).split())
            notes = [f"query expansion failed: {why}; searched the query only"]
        finally:
            if db is not None:
                db.close()
        also = [*variants, *(["a hypothetical abstract"] if abstract else [])]
        if also:
            self.reporter.note("Also searching: " + " | ".join(also))
        for note in notes:
            self.reporter.note(note[0].upper() + note[1:] + ".")
        return variants, abstract

    def list_papers(self, *, sort: str = "date", limit: int = 0) -> list[PaperRecord]:
        """Every paper (or the first ``limit``), newest first, by title, or last added."""
        check_choice(sort, SORT_ORDERS, "--sort")
        keys: dict[str, Any] = {
            "date": lambda s: (s.paper.published or date.min, s.paper.id),
            "title": lambda s: s.paper.title.casefold(),
            "added": lambda s: (s.added_at, s.paper.id),
        }
        stored = sorted(self.store.iter_all(), key=keys[sort], reverse=sort != "title")
        if not stored:
            self.reporter.note(
                "The store is empty: ingest papers first (reviewer ingest FILE..., "
                "or reviewer ingest --demo)."
            )
        if limit:
            stored = stored[:limit]
        return [PaperRecord(**s.paper.model_dump(), added_at=s.added_at) for s in stored]

    def show(self, ref: str) -> PaperRecord:
        """One paper by canonical id, bare arXiv id, DOI or exact title."""
        stored = self.store.resolve(ref)
        if stored is None:
            raise NotFoundError(
                f"no paper {ref!r} in the store",
                hint="Find ids with `reviewer search` or `reviewer list`.",
            )
        return PaperRecord(**stored.paper.model_dump(), added_at=stored.added_at)

    def stats(self) -> StoreStats:
        """Counts of what the store holds."""
        store = self.store
        papers = [s.paper for s in store.iter_all()]
        dates = sorted(p.published for p in papers if p.published)
        formats = Counter(
            s.format for p in papers for s in {x.format: x for x in p.sources}.values()
        )
        return StoreStats(
            papers=len(papers),
            with_abstract=sum(1 for p in papers if p.abstract),
            truncated_abstracts=sum(1 for p in papers if p.abstract_truncated),
            with_arxiv_id=sum(1 for p in papers if p.arxiv_id),
            with_code=sum(1 for p in papers if p.code_urls),
            multi_source=sum(1 for p in papers if len(p.sources) > 1),
            earliest=dates[0].isoformat() if dates else None,
            latest=dates[-1].isoformat() if dates else None,
            papers_by_source_format=dict(sorted(formats.items())),
            embedder=store.embedder_name,
            backend="chroma-server" if self.settings.chroma_url else "chroma-embedded",
            location=store.location,
        )

    def resolve(self, refs: Sequence[str], what: str = "not in the store") -> list[Paper]:
        """The papers ``refs`` name, in order and without repeats; every unknown ref is
        named in one NotFoundError."""
        papers: list[Paper] = []
        missing: list[str] = []
        for ref in refs:
            found = self.store.resolve(ref)
            if found is None:
                missing.append(ref)
            elif found.paper.id not in {p.id for p in papers}:
                papers.append(found.paper)
        if missing:
            raise NotFoundError(
                f"{what}: {', '.join(missing)}",
                hint="`reviewer search` or `reviewer list` shows the ids.",
            )
        return papers

    def remove(self, refs: Sequence[str], *, missing_ok: bool = False) -> RemovalReport:
        """Remove papers, with their index entries and stored summaries. All or nothing:
        unknown refs raise NotFoundError naming them, and nothing changes (``missing_ok``
        skips them instead, to finish a removal that was stopped half-way)."""
        from reviewer.removal import remove_papers

        if not refs:
            raise UsageError("say which papers to remove: reviewer remove ID...")
        return remove_papers(self.store, list(refs), missing_ok=missing_ok)

    # -- the call log and the settings ---------------------------------------------------

    def calls(
        self, *, limit: int | None = 20, run: str | None = None, task: str | None = None
    ) -> list[dict[str, Any]]:
        """The last ``limit`` model calls (all with None), oldest first, as JSON rows."""
        from reviewer.llm.db import LLMDatabase

        if not self.settings.llm_db_path.exists():
            return []
        db = LLMDatabase(self.settings.llm_db_path)
        try:
            return db.calls(limit, run_id=run, task=task)
        finally:
            db.close()

    def call_totals(self, run: str | None = None) -> dict[str, Any] | None:
        """The cost ledger (of one run, or all); None before the first model call."""
        from reviewer.llm.db import LLMDatabase

        if not self.settings.llm_db_path.exists():
            return None
        db = LLMDatabase(self.settings.llm_db_path)
        try:
            return db.totals(run)
        finally:
            db.close()

    def clear_cache(self, older_than_days: float | None = None) -> CacheCleared:
        """Delete the model's cached answers (all, or those cached more than
        ``older_than_days`` ago). The call log and the stored summaries stay."""
        from datetime import timedelta

        from reviewer.llm.db import LLMDatabase

        if older_than_days is not None and not 0 < older_than_days < float("inf"):
            raise UsageError(f"--older-than: {older_than_days!r} is not a positive number of days")
        deleted = remaining = 0
        if self.settings.llm_db_path.exists():
            db = LLMDatabase(self.settings.llm_db_path)
            try:
                # timedelta holds at most 999999999 days; nothing was cached that long ago.
                age = (
                    None
                    if older_than_days is None
                    else timedelta(days=min(older_than_days, 999_999_999))
                )
                deleted = db.clear_cache(age)
                remaining = db.cache_stats().entries
            finally:
                db.close()
        return CacheCleared(deleted=deleted, remaining=remaining, older_than_days=older_than_days)

    def cache_stats(self) -> CacheStatsReport:
        """What the response cache holds; it is not created when there is none."""
        from dataclasses import asdict

        from reviewer.llm.db import LLMDatabase

        if not self.settings.llm_db_path.exists():
            return CacheStatsReport(entries=0, failed=0, size_bytes=0, oldest=None, newest=None)
        db = LLMDatabase(self.settings.llm_db_path)
        try:
            return CacheStatsReport(**asdict(db.cache_stats()))
        finally:
            db.close()

    def config_report(self) -> dict[str, Any]:
        """The settings in use, keys masked, and what is missing."""
        from reviewer.settings_report import settings_report

        return settings_report(self.settings)

    # -- the model's tasks -------------------------------------------------------------

    def summaries(self, ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        """The stored summaries (of ``ids``, or all) as JSON, by paper id."""
        from reviewer.llm.db import stored_summaries

        return stored_summaries(self.settings.llm_db_path, list(ids) if ids is not None else None)

    def profile(self, name: str | Path | None = None) -> Profile:
        """The summary profile ``name`` (a built-in, a file in ``REVIEWER_HOME/profiles/``
        or a TOML file's path), or the configured one (``REVIEWER_PROFILE``)."""
        from reviewer.profiles import load_profile

        return load_profile(name or self.settings.profile, home=self.settings.home)

    def profiles(self) -> list[Profile]:
        """Every summary profile there is: the built-in ones, then the user's in
        ``REVIEWER_HOME/profiles/``. A user file that does not load is reported (as a note
        naming the file and the key) and left out."""
        from reviewer.profiles import available_profiles, load_profile

        found = []
        for name in available_profiles(self.settings.home):
            try:
                found.append(load_profile(name, home=self.settings.home))
            except ConfigError as exc:
                self.reporter.note(f"error: {exc.message}")
        return found

    def summary_key(self, profile: Profile) -> SummaryKey:
        """What a stored summary must have been made with to count as current: this
        profile, the configured model (when one is) and the summary prompt's version."""
        from reviewer.prompts import load_prompt
        from reviewer.tasks.summarize import PROMPT_ID
        from reviewer.tasks.summary_model import SummaryKey

        prompt = load_prompt(PROMPT_ID)
        return SummaryKey(
            profile=profile.label,
            model=self.settings.model,
            prompt=f"{prompt.id}@{prompt.version}",
        )

    def summarize(
        self,
        ids: Sequence[str] = (),
        *,
        query: str | None = None,
        k: int = 5,
        papers: Sequence[Paper] | None = None,
        profile: str | Path | None = None,
        concurrency: int | None = None,
        max_cost: float | None = None,
        refresh: bool = False,
        verify: bool | None = None,
        judge: SupportJudge | None = None,
    ) -> SummarizeResult:
        """A grounded ``PaperSummary`` of each paper named by ``ids``, of the top ``k``
        hits of ``query``, or of ``papers``, with the fields of ``profile`` (default: the
        configured one). Cached; needs a model. ``refresh`` asks the model again and
        replaces the cached answers (every model-backed method takes it).

        ``verify`` (default: on when REVIEWER_JUDGE_MODEL is set; ``judge``, any
        ``SupportJudge``, replaces the configured one): the judge reads each TL;DR and
        each finding against the abstract, and what it does not support is pruned like an
        ungrounded answer (``result.verification`` counts it). Every model-backed method
        takes ``verify`` and ``judge``."""
        from reviewer.llm.client import require_model

        chosen_profile = self.profile(profile)
        require_model(self.settings)
        self._judge_wanted(verify, judge)
        if papers is None:
            if not ids and not query:
                raise UsageError(
                    "say which papers: --ids ID... or --query TEXT [-k N]",
                    hint="`reviewer export wiki --summarize` summarizes every paper.",
                )
            chosen = self.resolve(ids)
            if query:
                have = {p.id for p in chosen}
                chosen += [h.paper for h in self._hits(query, k) if h.paper.id not in have]
            papers = chosen
        return self._summarize(
            list(papers), concurrency, max_cost, refresh, chosen_profile, verify, judge
        )

    def related_work(
        self,
        topic: str | None = None,
        *,
        k: int = 12,
        words: int = 400,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        since: DateLike = None,
        until: DateLike = None,
        themes: int = 4,
        outline_file: str | Path | None = None,
        expand: bool = True,
        summarize: bool = False,
        extractive: bool = False,
        concurrency: int | None = None,
        max_cost: float | None = None,
        refresh: bool = False,
        trace: Trace | None = None,
        verify: bool | None = None,
        judge: SupportJudge | None = None,
    ) -> RelatedWorkDraft:
        """A related-work section on ``topic``: retrieve, group into themes, write one
        paragraph per theme, every sentence checked against the abstracts it cites.
        ``extractive`` quotes the abstracts instead of asking a model. ``outline_file``
        (as ``outline()`` wrote it, edited) replaces the search and the grouping.
        ``trace``, if given, collects every model answer and the papers considered (the
        evals measure the raw answers with it). ``verify``: the judge reads each written
        sentence against each paper it cites; one no cited abstract supports is dropped
        and listed with the rule failures (see ``reviewer.tasks.verify``)."""
        from reviewer.llm.db import calls_line
        from reviewer.tasks import related_work as rw

        self._judge_wanted(verify, judge)
        plan = self._plan(
            topic, k, include, exclude, since, until, themes, outline_file, expand,
            summarize, extractive, concurrency, max_cost, trace, refresh,
        )  # fmt: skip
        verifying = None
        try:
            sections, dropped = self._write_sections(plan, words, concurrency)
            totals = plan.totals()
            verification = None
            verifying = self._verifying(
                verify,
                judge,
                max_cost=max_cost,
                refresh=refresh,
                concurrency=concurrency,
                budget=plan.client.budget if plan.client is not None else None,
            )
            if verifying is not None:
                with verifying:
                    sections, rejected, notes = rw.verify_sections(
                        verifying.verifier, plan.topic, sections, plan.candidates
                    )
                dropped = [*dropped, *rejected]
                plan.trace.notes.extend(notes)
                verification = verifying.report
            draft = rw.assemble(
                plan.topic,
                "extractive" if plan.client is None else "model",
                plan.queries,
                plan.candidates,
                sections,
                dropped,
                plan.trace.notes,
                plan.client.model if plan.client is not None else None,
                totals,
                verification,
            )
        finally:
            plan.close()
        for item in draft.dropped:
            cites = f" [{', '.join(item.citations)}]" if item.citations else ""
            self.reporter.note(
                f"dropped from {item.theme!r}: {item.text[:120]!r}{cites}: "
                + "; ".join(item.reasons)
            )
        for section in draft.sections:
            if section.note:
                self.reporter.note(f"{section.theme}: {section.note}")
        for note in draft.notes:
            self.reporter.note(f"note: {note}")
        f = draft.footer
        self.reporter.note(
            f"{f.papers_considered} papers considered, {f.papers_cited} cited; "
            f"{_n(f.themes, 'theme')}, {_n(f.sentences, 'sentence')} ({f.words} words), "
            f"{f.sentences_dropped} dropped; "
            + (calls_line(totals) if totals is not None else "extractive, no model calls")
        )
        if verifying is not None:
            verifying.note_footer("sentence")
        return draft

    def outline(
        self,
        topic: str | None = None,
        *,
        k: int = 12,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        since: DateLike = None,
        until: DateLike = None,
        themes: int = 4,
        outline_file: str | Path | None = None,
        expand: bool = True,
        summarize: bool = False,
        extractive: bool = False,
        concurrency: int | None = None,
        max_cost: float | None = None,
        refresh: bool = False,
    ) -> Outline:
        """The themes and papers ``related_work`` would write about, to edit and pass back
        as ``outline_file``."""
        plan = self._plan(
            topic, k, include, exclude, since, until, themes, outline_file, expand,
            summarize, extractive, concurrency, max_cost, None, refresh,
        )  # fmt: skip
        plan.close()
        return Outline(
            topic=plan.topic,
            themes=[t.to_json() for t in plan.themes],
            titles={c.paper.id: c.paper.title for c in plan.candidates},
        )

    def bibtex(self, draft: RelatedWorkDraft) -> str:
        """BibTeX entries of exactly the papers ``draft`` cites, from the store."""
        from reviewer.render.draft import cited_bib

        papers = {p.id: p for p in self.resolve([r.id for r in draft.references])}
        return cited_bib(draft, papers)

    def check_sentences(
        self,
        sentences: Sequence[DraftSentence | dict[str, Any]],
        *,
        context: str = "",
        aliases: dict[str, str] | None = None,
        verify: bool | None = None,
        judge: SupportJudge | None = None,
        max_cost: float | None = None,
        refresh: bool = False,
        concurrency: int | None = None,
        by_model: bool = False,
    ) -> DraftCheck:
        """Check a draft's sentences with the rules related-work's own sentences pass:
        every citation is a paper in the store, a sentence stating a finding cites one,
        its numbers occur in a cited abstract, most of its words are in the cited
        abstracts, no sentence repeats another. A citation is a store id, bare arXiv id,
        DOI, exact title, or a citation key a draft gave the paper (unique in the store).
        ``context`` (the topic, a theme title): words a sentence may use freely.
        ``aliases``: citation -> store id, tried before the usual resolution (a
        ``--bib`` key mapped to its paper). Needs no model, unless ``verify`` (default:
        on when REVIEWER_JUDGE_MODEL is set; or pass any ``SupportJudge`` as ``judge``):
        the judge then reads each sentence against each paper it cites, and its verdict
        is the sentence's ``verdict``, with a ``judge-citation`` or ``judge-unsupported``
        problem when it finds one (``reviewer.tasks.verify``; one call per sentence and
        cited paper, cached, under ``max_cost``). ``by_model``: the draft is a model's
        (an assistant's), held to the rules of related-work's own sentences in full; a
        person's text is not held to the authors'-voice and unknown-name rules, and a copy
        is 15 words rather than 10 (``reviewer.claims``)."""
        from reviewer.claims import Problem, kind_of
        from reviewer.grounding import normalize_ws
        from reviewer.tasks.draft_model import sentence_problems, split_markers
        from reviewer.tasks.verify import paper_premise

        items = [DraftSentence.model_validate(s) for s in sentences]
        if not items:
            raise UsageError("no sentences to check")
        self._judge_wanted(verify, judge)
        parsed: list[tuple[str, list[str]]] = []
        for item in items:
            text, inline = split_markers(item.text)
            parsed.append((text, list(dict.fromkeys([*item.citations, *inline]))))
        found: dict[str, Paper | None] = {}
        by_key: dict[str, list[Paper]] | None = None
        for ref in dict.fromkeys(ref for _, refs in parsed for ref in refs):
            stored = self.store.resolve((aliases or {}).get(ref, ref))
            if stored is None:
                if by_key is None:
                    by_key = self._papers_by_key()
                matches = by_key.get(ref.lower(), [])
                found[ref] = matches[0] if len(matches) == 1 else None
            else:
                found[ref] = stored.paper
        # What a sentence citing ``ref`` may draw on, as in a related-work draft.
        sources = {ref: f"{p.title}\n{p.abstract}" for ref, p in found.items() if p is not None}
        checks: list[SentenceCheck] = []
        seen: set[str] = set()
        for index, (text, refs) in enumerate(parsed):
            problems = sentence_problems(text, refs, sources, context, written_by_model=by_model)
            norm = normalize_ws(text).lower()
            if norm in seen and not problems:
                problems = [Problem("repeat", "repeats an earlier sentence")]
            seen.add(norm)
            papers = [p for ref in refs if (p := found[ref]) is not None]
            checks.append(
                SentenceCheck(
                    index=index,
                    text=text,
                    citations=refs,
                    cited_ids=list(dict.fromkeys(p.id for p in papers)),
                    unknown_citations=[ref for ref in refs if found[ref] is None],
                    ok=not problems,
                    problems=problems,
                    kinds=[kind_of(p) for p in problems],
                )
            )
        verification = None
        verifying = self._verifying(
            verify, judge, max_cost=max_cost, refresh=refresh, concurrency=concurrency
        )
        if verifying is not None:

            def cited(refs: list[str]) -> list[tuple[str, str]]:
                """One (citation, premise) per stored paper the sentence cites."""
                by_id: dict[str, tuple[str, str]] = {}
                for ref in refs:
                    if (paper := found[ref]) is not None and paper.id not in by_id:
                        by_id[paper.id] = (ref, paper_premise(paper))
                return list(by_id.values())

            with verifying:
                asked = [
                    (check, cited(refs)) for check, (_, refs) in zip(checks, parsed, strict=True)
                ]
                verdicts = verifying.verifier.each(
                    asked, lambda item: verifying.verifier.sentence(item[0].text, item[1])
                )
            for (check, premises), verdict in zip(asked, verdicts, strict=True):
                if not premises:
                    continue  # nothing to judge it against (the rules say why)
                check.verdict = verdict.verdict
                check.problems += verdict.problems
                check.kinds += [p.kind for p in verdict.problems]
                check.ok = not check.problems
            verification = verifying.report
            verifying.note_footer("sentence")
        passed = sum(c.ok for c in checks)
        return DraftCheck(
            sentences=checks,
            passed=passed,
            failed=len(checks) - passed,
            unknown_citations=[ref for ref, p in found.items() if p is None],
            verification=verification,
        )

    def check_file(
        self,
        path: str | Path,
        *,
        fmt: str | None = None,
        bib: str | Path | None = None,
        context: str = "",
        verify: bool | None = None,
        judge: SupportJudge | None = None,
        max_cost: float | None = None,
        refresh: bool = False,
        concurrency: int | None = None,
    ) -> DraftCheck:
        """Check every sentence of a Markdown or LaTeX file as ``check_sentences`` does,
        each with the line it starts on. ``fmt``: markdown or latex (default: from the
        suffix, .md/.markdown/.txt or .tex). Markdown cites as ``[@key]``,
        ``[@a; @b]``, ``[arxiv:2401.00001]`` or ``[key]``; LaTeX as ``\\cite{a,b}``
        and kin. ``bib``: a .bib file whose keys name stored papers by arXiv id, then
        DOI, then title; a key that names none is reported as an unknown citation.
        Needs no model; ``verify`` and the rest as ``check_sentences``."""
        from reviewer.citing import (
            entry_refs,
            markdown_references,
            parse_latex,
            parse_markdown,
            read_bib,
            read_document,
        )

        path = Path(path)
        if fmt is None:
            fmt = CHECK_SUFFIXES.get(path.suffix.lower())
            if fmt is None:
                raise UsageError(
                    f"{path}: cannot tell the format from the suffix {path.suffix or '(none)'!r}",
                    hint=f"Name it with --format ({', '.join(CHECK_FORMATS)}).",
                )
        check_choice(fmt, CHECK_FORMATS, "--format")
        text = read_document(path)
        aliases: dict[str, str] = {}
        if bib is not None:
            # Each key names the paper with its eprint, else its DOI, else its title.
            wanted = {
                entry.key: [
                    ref
                    for ref in (
                        f"arxiv:{entry.arxiv_id}" if entry.arxiv_id else "",
                        f"doi:{entry.doi}" if entry.doi else "",
                        entry.title,
                    )
                    if ref
                ]
                for entry in read_bib(bib)
            }
            found = self.store.resolve_many([ref for refs in wanted.values() for ref in refs])
            for key, refs in wanted.items():
                if hit := next((found[ref] for ref in refs if found[ref]), None):
                    aliases[key] = hit[0].paper.id
        if fmt == "markdown":
            # A numbered reference list ("[3] Title. arXiv:2403.05433. 2024.", as
            # reviewer's own drafts end): each number names the paper its entry does.
            numbered = {
                f"[{n}]": entry_refs(entry) for n, entry in markdown_references(text).items()
            }
            found_refs = self.store.resolve_many([r for refs in numbered.values() for r in refs])
            for key, refs in numbered.items():
                if hit := next((found_refs[r] for r in refs if found_refs[r]), None):
                    aliases.setdefault(key, hit[0].paper.id)
        parsed = (parse_markdown if fmt == "markdown" else parse_latex)(text)
        if not parsed:
            raise UsageError(
                f"{path}: no sentences to check",
                hint="Headings, code, tables and comments are not checked; is it the right file?",
            )
        # check_sentences reads any [...] left in a sentence as citation markers; the
        # parser has taken the citations out, so what is left is text: [0, 1] as (0, 1).
        sentences = [
            DraftSentence(text=s.text.replace("[", "(").replace("]", ")"), citations=s.citations)
            for s in parsed
        ]
        check = self.check_sentences(
            sentences,
            context=context,
            aliases=aliases,
            verify=verify,
            judge=judge,
            max_cost=max_cost,
            refresh=refresh,
            concurrency=concurrency,
        )
        for item, source in zip(check.sentences, parsed, strict=True):
            item.line = source.line
        return check

    def _papers_by_key(self) -> dict[str, list[Paper]]:
        """Every stored paper under its citation key (lower case), and under its base key
        when several papers share it (so a shared base key is ambiguous)."""
        from reviewer.render.bibtex import base_key, citation_keys

        papers = [stored.paper for stored in self.store.iter_all()]
        keys = citation_keys(papers, papers)
        by_key: dict[str, list[Paper]] = {}
        for paper in papers:
            by_key.setdefault(keys[paper.id].lower(), []).append(paper)
            if keys[paper.id] != base_key(paper):
                by_key.setdefault(base_key(paper).lower(), []).append(paper)
        return by_key

    def compare(
        self,
        topic: str | None = None,
        *,
        ids: Sequence[str] = (),
        k: int = 8,
        columns: str | Sequence[str] | None = DEFAULT_COLUMNS,
        profile: str | Path | None = None,
        since: DateLike = None,
        until: DateLike = None,
        extractive: bool = False,
        concurrency: int | None = None,
        max_cost: float | None = None,
        refresh: bool = False,
        verify: bool | None = None,
        judge: SupportJudge | None = None,
    ) -> CompareTable:
        """One row per paper (the top ``k`` hits of ``topic`` and/or ``ids``), one cell
        per column, each with its evidence from the abstract or "not reported". Without
        ``columns``, the summary profile's ``compare_columns`` (those ``extractive`` can
        fill, without a model). ``verify``: the judge reads each reported cell against
        its paper's abstract; a cell it does not support is emptied ("unverified") and
        noted in its row's ``notes``."""
        from reviewer.llm.db import calls_line
        from reviewer.tasks.compare import (
            EXTRACTIVE_COLUMNS,
            CompareTable,
            compare_rows,
            parse_columns,
            verify_rows,
        )

        if columns is None:
            defaults = self.profile(profile).compare_columns
            if extractive:
                defaults = tuple(c for c in defaults if c in EXTRACTIVE_COLUMNS) or tuple(
                    c for c in ("task", "datasets", "metrics", "results", "code")
                )
            columns = ",".join(defaults)
        wanted = parse_columns(columns if isinstance(columns, str) else ",".join(columns))
        if extractive and (unknown := [c for c in wanted if c not in EXTRACTIVE_COLUMNS]):
            raise UsageError(
                f"--extractive cannot fill {', '.join(unknown)}",
                hint=f"Without a model the columns are {', '.join(sorted(EXTRACTIVE_COLUMNS))}.",
            )
        if not topic and not ids:
            raise UsageError('say which papers: reviewer compare "TOPIC" or --ids ID...')
        filters = self._filters(since, until)
        self._judge_wanted(verify, judge)
        client, db = self._model_client(extractive, max_cost, refresh)
        verifying = None
        try:
            papers = self.resolve(ids, "--ids: not in the store")
            if topic:
                have = {p.id for p in papers}
                papers += [h.paper for h in self._hits(topic, k, filters) if h.paper.id not in have]
            if not papers:
                raise ReviewerError(
                    "no paper matches", hint="Check the store with `reviewer stats`."
                )
            with self._progress(
                len(papers) if client is not None else 0,
                "comparing",
                f"Comparing {len(papers)} papers on {len(wanted)} columns with "
                f"{client.model if client else ''}…",
            ):
                rows = compare_rows(
                    client,
                    papers,
                    wanted,
                    concurrency or self.settings.concurrency,
                    on_row=lambda _: self.reporter.advance(1),
                )
            totals = db.totals(client.run_id) if client is not None and db is not None else None
            verifying = self._verifying(
                verify,
                judge,
                max_cost=max_cost,
                refresh=refresh,
                concurrency=concurrency,
                budget=client.budget if client is not None else None,
            )
            if verifying is not None:
                with verifying:
                    rows = verify_rows(verifying.verifier, rows, papers)
        finally:
            if db is not None:
                db.close()
        cells = [c for r in rows for c in r.cells.values()]
        table = CompareTable(
            topic=topic,
            columns=wanted,
            mode="extractive" if client is None else "model",
            rows=rows,
            footer={
                "papers": len(rows),
                "cells_reported": sum(c.status == "reported" for c in cells),
                "cells_not_reported": sum(c.status == "not reported" for c in cells),
                "cells_unverified": sum(c.status == "unverified" for c in cells),
                "model": client.model if client is not None else None,
                **({"calls": totals} if totals else {}),
            },
            verification=verifying.report if verifying is not None else None,
        )
        for row in rows:
            for name, cell in row.cells.items():
                if cell.status == "unverified":
                    self.reporter.note(f"unverified: {row.id} {name}: {cell.reason}")
        f = table.footer
        self.reporter.note(
            f"{f['papers']} papers; {f['cells_reported']} cells reported, "
            f"{f['cells_not_reported']} not reported, {f['cells_unverified']} unverified"
            + ("; " + calls_line(totals) if totals else "; extractive, no model calls")
        )
        if verifying is not None:
            verifying.note_footer("cell")
        return table

    # -- out of the store ----------------------------------------------------------------

    def export_wiki(
        self,
        out: str | Path,
        *,
        summarize: bool = False,
        concurrency: int | None = None,
        max_cost: float | None = None,
        refresh: bool = False,
        profile: str | Path | None = None,
    ) -> ExportReport:
        """Every paper as JSON for a wiki: ``out/index.json``, ``out/papers/<name>.json``
        and the JSON Schemas, whose summary follows ``profile`` (default: the configured
        one). A summary is exported while it is current: made from the paper's text with
        this profile, the configured model (if any) and the summary prompt's version.
        ``summarize`` first summarizes papers lacking one (needs a model). A budget stop
        still exports, then raises."""
        from reviewer.render.wiki import export_wiki, previous_export
        from reviewer.tasks.summary_model import lacking_summary

        out = Path(out)
        chosen_profile = self.profile(profile)
        key = self.summary_key(chosen_profile)
        previous = previous_export(out)  # refuse an unrelated folder before any work
        if summarize:
            from reviewer.llm.client import require_model

            require_model(self.settings)
        papers = sorted((s.paper for s in self.store.iter_all()), key=lambda p: p.id)
        summaries = self.summaries()
        stopped = None
        if summarize:
            todo = lacking_summary(papers, summaries, include_pruned=refresh, key=key)
            if todo:
                result = self._summarize(todo, concurrency, max_cost, refresh, chosen_profile)
                stopped = result.stopped_error
                summaries = self.summaries()
            else:
                self.reporter.note(
                    "Every paper with an abstract has a current summary; nothing to summarize."
                )
        counts = export_wiki(out, papers, summaries, previous, chosen_profile, key)
        stale = f", {counts.stale_summaries} stale left out" if counts.stale_summaries else ""
        self.reporter.note(
            f"{counts.papers} papers: {counts.written} written, {counts.unchanged} unchanged, "
            f"{counts.removed} removed; {counts.with_summary} with a summary{stale}. "
            f"Index: {out / 'index.json'}"
        )
        report = ExportReport(**counts.to_json(), out=str(out))
        report.stop_with(stopped)
        return report

    def digest(
        self,
        *,
        since: DateLike = None,
        until: DateLike = None,
        week: str | None = None,
        new: bool = False,
        topics: Sequence[str] = (),
        min_score: float | None = None,
        to: Sequence[str] = (),
        dry_run: bool = False,
        output: str | Path | None = None,
        force: bool = False,
        skip_empty: bool = False,
        summarize: bool = False,
        name_themes: bool = False,
        max_themes: int = 5,
        refresh: bool = False,
        today: date | None = None,
    ) -> DigestRun:
        """Build the digest of a window (``since``/``until``, an ISO ``week``, or ``new``:
        added since the last digest to the recipients) and send it (``dry_run``: build
        only). Idempotent through the sent ledger; see ``reviewer digest --help``."""
        from reviewer.tasks.digest_run import DigestRequest, run_digest

        request = DigestRequest.checked(
            self.settings,
            since=since,
            until=until,
            week=week,
            new=new,
            topics=topics,
            min_score=min_score,
            to=to,
            dry_run=dry_run,
            output=Path(output) if output is not None else None,
            force=force,
            skip_empty=skip_empty,
            summarize=summarize,
            name_themes=name_themes,
            max_themes=max_themes,
            refresh=refresh,
            today=today or date.today(),
        )
        return run_digest(self, request)

    # -- the judge (--verify) ------------------------------------------------------------

    def support_judge(
        self,
        *,
        max_cost: float | None = None,
        refresh: bool = False,
        budget: Budget | None = None,
    ) -> LLMJudge:
        """The judge --verify asks: the model REVIEWER_JUDGE_MODEL names (with
        REVIEWER_JUDGE_API_BASE and REVIEWER_JUDGE_API_KEY), through the client every task
        uses (cached, logged as task ``judge``, stopped by ``max_cost`` or the run's
        ``budget``). A ConfigError naming the settings when none is set or its key is
        missing. The caller closes ``judge.client.db``."""
        from reviewer.llm.client import LLMClient, require_model
        from reviewer.llm.cost import Budget
        from reviewer.llm.db import LLMDatabase
        from reviewer.settings import judge_settings
        from reviewer.tasks.judge import LLMJudge

        if not self.settings.judge_model:
            raise ConfigError(
                "--verify needs a judge model: set REVIEWER_JUDGE_MODEL",
                hint="e.g. REVIEWER_JUDGE_MODEL=gpt-4o with OPENAI_API_KEY, or "
                "REVIEWER_JUDGE_MODEL=openai/<name> with "
                "REVIEWER_JUDGE_API_BASE=http://127.0.0.1:8080/v1; or leave out --verify.",
            )
        settings = judge_settings(self.settings)
        try:
            require_model(settings)
        except ConfigError as exc:
            raise ConfigError(
                f"the judge (REVIEWER_JUDGE_MODEL): {exc.message}",
                hint="Export the key, or point REVIEWER_JUDGE_MODEL / REVIEWER_JUDGE_API_BASE "
                "at another server; --no-verify skips the judge.",
            ) from None
        db = LLMDatabase(settings.llm_db_path)
        return LLMJudge(
            LLMClient(
                settings,
                db,
                budget or Budget(max_cost),
                refresh=refresh,
                reporter=self.reporter,
            )
        )

    def _judge_wanted(self, verify: bool | None, judge: SupportJudge | None) -> bool:
        """Whether a run verifies: ``verify``, else when a judge is given or configured.
        ``verify=True`` with neither is a ConfigError, raised before any work is done."""
        if verify is False:
            return False
        if judge is not None:
            return True
        if verify is None and not self.settings.judge_model:
            return False
        if not self.settings.judge_model:
            self.support_judge()  # raises the ConfigError naming REVIEWER_JUDGE_MODEL
        return True

    def _verifying(
        self,
        verify: bool | None,
        judge: SupportJudge | None,
        *,
        max_cost: float | None = None,
        refresh: bool = False,
        concurrency: int | None = None,
        budget: Budget | None = None,
    ) -> _Verifying | None:
        """The verification of one run, or None when it does not verify. A configured
        judge shares the run's ``budget`` (so --max-cost bounds both models together)."""
        from reviewer.tasks.verify import Verifier

        if not self._judge_wanted(verify, judge):
            return None
        owned = judge is None
        if judge is None:
            judge = self.support_judge(max_cost=max_cost, refresh=refresh, budget=budget)
        verifier = Verifier(judge, concurrency or self.settings.concurrency)
        return _Verifying(verifier, self.reporter, owned)

    # -- internals -----------------------------------------------------------------------

    def _filters(self, since: DateLike, until: DateLike, has_code: bool = False) -> Filters:
        from reviewer.index.search import Filters

        return Filters(parse_date(since, "--since"), parse_date(until, "--until"), has_code)

    def _hits(self, query: str, k: int, filters: Filters | None = None) -> list[Any]:
        from reviewer.index.search import search

        return search(self.store, query, k=k, filters=filters)

    @contextlib.contextmanager
    def _progress(self, total: int, label: str, message: str) -> Iterator[None]:
        if total <= 0:
            yield
            return
        self.reporter.note(message)
        self.reporter.start(total, label)
        try:
            yield
        finally:
            self.reporter.finish()

    def _model_client(
        self, extractive: bool, max_cost: float | None, refresh: bool = False
    ) -> tuple[LLMClient | None, LLMDatabase | None]:
        """The LLM client, or (None, None) in extractive mode; without a model and without
        extractive, a ConfigError naming the settings (exit 3)."""
        if extractive:
            return None, None
        from reviewer.llm.client import LLMClient, require_model
        from reviewer.llm.cost import Budget
        from reviewer.llm.db import LLMDatabase

        try:
            require_model(self.settings)
        except ConfigError as exc:
            raise ConfigError(
                exc.message,
                hint=f"{exc.hint} Or pass --extractive to quote the abstracts instead (no model).",
            ) from None
        db = LLMDatabase(self.settings.llm_db_path)
        return LLMClient(
            self.settings, db, Budget(max_cost), refresh=refresh, reporter=self.reporter
        ), db

    def _summarize(
        self,
        papers: list[Paper],
        concurrency: int | None,
        max_cost: float | None,
        refresh: bool = False,
        profile: Profile | None = None,
        verify: bool | None = False,
        judge: SupportJudge | None = None,
    ) -> SummarizeResult:
        from reviewer.llm.client import LLMClient
        from reviewer.llm.cost import Budget
        from reviewer.llm.db import LLMDatabase, calls_line
        from reviewer.tasks.summarize import summarize_papers, verify_summary

        db = LLMDatabase(self.settings.llm_db_path)
        report = None
        verifying = None
        try:
            client = LLMClient(
                self.settings, db, Budget(max_cost), refresh=refresh, reporter=self.reporter
            )
            workers = concurrency or self.settings.concurrency
            profile = profile or self.profile()
            self.reporter.note(
                f"Summarizing {len(papers)} papers with {client.model} ({workers} at a time, "
                f"profile {profile.name})…"
            )
            self.reporter.start(len(papers), "summarizing")

            def on_done(paper: Any, summary: Any, why: str | None) -> None:
                self.reporter.advance(1)
                if summary is not None and summary.dropped:
                    self.reporter.note(
                        f"dropped from {paper.id} (failed validation after the re-asks):"
                    )
                    for item in summary.dropped:
                        self.reporter.note(f"  - {item.field}: {item.reason}: {item.value[:100]!r}")
                if why:
                    self.reporter.note(f"failed: {paper.id}: {why}")

            try:
                report = summarize_papers(client, papers, workers, on_done, profile)
            finally:
                self.reporter.finish()
                # The footer is reported even when the run stops on an error: what was
                # spent is spent, and finished summaries are stored.
                done = (
                    f"{len(report.summaries)} summarized, {len(report.failed)} failed; "
                    if report
                    else ""
                )
                totals = db.totals(client.run_id)
                self.reporter.note(done + calls_line(totals))
            verifying = self._verifying(
                verify,
                judge,
                max_cost=max_cost,
                refresh=refresh,
                concurrency=workers,
                budget=client.budget,
            )
            if verifying is not None:
                by_id = {p.id: p for p in papers}
                with verifying:
                    report.summaries = verifying.verifier.each(
                        report.summaries,
                        lambda s: verify_summary(verifying.verifier, s, by_id[s.paper_id], profile),
                    )
                for summary in report.summaries:
                    # The pruned summary replaces the one summarize_one stored.
                    db.put_summary(summary.model_dump(mode="json"))
                    for item in summary.dropped:
                        if item.reason.startswith("the judge"):
                            self.reporter.note(
                                f"dropped from {summary.paper_id}: {item.field}: {item.reason}: "
                                f"{item.value[:100]!r}"
                            )
                verifying.note_footer("TL;DR or finding", "TL;DRs and findings")
        finally:
            db.close()
        result = SummarizeResult(
            summaries=report.summaries,
            failed=[FailedPaper(id=pid, why=why) for pid, why in report.failed],
            calls=totals,
            stopped=report.stopped.message if report.stopped is not None else None,
            verification=verifying.report if verifying is not None else None,
        )
        result.stop_with(report.stopped)
        return result

    def _plan(
        self,
        topic: str | None,
        k: int,
        include: Sequence[str],
        exclude: Sequence[str],
        since: DateLike,
        until: DateLike,
        themes: int,
        outline_file: str | Path | None,
        expand: bool,
        summarize: bool,
        extractive: bool,
        concurrency: int | None,
        max_cost: float | None,
        trace: Trace | None,
        refresh: bool = False,
    ) -> _DraftPlan:
        """Everything a draft needs before the writing: papers, keys and themes."""
        from reviewer.render.draft import read_outline
        from reviewer.tasks import related_work as rw
        from reviewer.tasks.expand import expand as expand_query
        from reviewer.tasks.summary_model import lacking_summary

        if outline_file is not None and include:
            raise UsageError("--include: add papers to the outline file instead")
        filters = self._filters(since, until)
        path = Path(outline_file) if outline_file is not None else None
        parsed = read_outline(path) if path is not None else None
        named = topic or (parsed[0] if parsed else None)
        if not named:
            raise UsageError('say what the section is about: reviewer related-work "TOPIC"')
        client, db = self._model_client(extractive, max_cost, refresh)
        plan = _DraftPlan(named, client, db, trace if trace is not None else rw.Trace())
        try:
            store = self.store
            if store.count() == 0:
                raise ReviewerError(
                    "the store is empty",
                    hint="Ingest papers first: reviewer ingest FILE..., or reviewer ingest --demo.",
                )
            excluded = {p.id for p in self.resolve(exclude, "--exclude: not in the store")}
            if parsed is not None and path is not None:
                plan.themes, chosen = self._outline_from_file(path, parsed[1], excluded)
            else:
                included = self.resolve(include, "--include: not in the store")
                if client is not None and expand:
                    self.reporter.note(f"Asking {client.model} for other phrasings of the topic…")
                    widened = expand_query(
                        client,
                        named,
                        task=rw.TASK,
                        budget=self.settings.expand_budget,
                        hypothetical=False,
                        noun="topic",
                    )
                    plan.queries = widened.queries
                    plan.trace.outcomes.extend(widened.outcomes)
                    plan.trace.notes.extend(widened.notes)
                    if plan.queries:
                        self.reporter.note("Also searching: " + " | ".join(plan.queries))
                    for note in widened.notes:
                        self.reporter.note(note[0].upper() + note[1:] + ".")
                chosen = rw.retrieve(
                    store, named, plan.queries, k, filters, included, sorted(excluded)
                )
            if not chosen:
                raise ReviewerError(
                    "no paper matches", hint="Widen --since/--until, or check `reviewer stats`."
                )
            papers = [p for p, _ in chosen]
            if summarize and client is not None:
                missing = lacking_summary(
                    papers,
                    self.summaries([p.id for p in papers]),
                    include_pruned=refresh,
                    key=self.summary_key(self.profile()),
                )
                if missing:
                    self._summarize(missing, concurrency, max_cost, refresh).raise_if_stopped()
            plan.candidates = rw.make_candidates(
                chosen,
                self.summaries([p.id for p in papers]),
                (stored.paper for stored in self.store.iter_all()),
            )
            plan.trace.candidates = list(plan.candidates)
            if not plan.themes:
                plan.themes = self._group(plan, themes)
        except BaseException:
            plan.close()
            raise
        return plan

    def _outline_from_file(
        self,
        path: Path,
        themes: list[tuple[str, list[tuple[str, str]]]],
        excluded: set[str],
    ) -> tuple[list[Theme], list[tuple[Paper, str]]]:
        from reviewer.errors import InputError
        from reviewer.tasks.themes import Theme

        chosen: dict[str, Paper] = {}
        result = []
        for title, refs in themes:
            ids = []
            for ref, where in refs:
                found = self.store.resolve(ref)
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

    def _group(self, plan: _DraftPlan, themes: int) -> list[Theme]:
        """``themes`` themes (fewer only when there are not two papers for each): the
        model's outline, else (or, when it stays short, to split it) k-means on the
        stored vectors."""
        from reviewer.tasks import related_work as rw
        from reviewer.tasks.themes import attainable

        client, candidates = plan.client, plan.candidates
        corpus = self.store.titles()  # what theme names are weighed against
        wanted = attainable(themes, len(candidates))
        if client is not None and wanted > 1:
            self.reporter.note(
                f"Grouping {len(candidates)} papers into themes with {client.model}…"
            )
            found = rw.outline_with_model(
                client, plan.topic, candidates, themes, plan.trace, corpus
            )
            if found is not None and len(found) < wanted:
                note = (
                    f"the model's outline has {_n(len(found), 'theme')} for "
                    f"{_n(len(candidates), 'paper')} ({wanted} asked for, after the "
                    f"re-asks): its largest themes were split by similarity of the stored "
                    f"vectors (k-means) into {wanted}"
                )
                found = rw.split_outline(self.store, candidates, found, themes, corpus)
                plan.trace.notes.append(note)
                self.reporter.note(note[0].upper() + note[1:] + ".")
            if found is not None:
                return found
            plan.trace.notes.append(
                "the model's outline was unusable; themes grouped by similarity instead"
            )
            self.reporter.note(
                "The model's outline failed validation: grouping the papers by similarity instead."
            )
        return rw.outline_by_clusters(self.store, candidates, themes, plan.topic, corpus)

    def _write_sections(
        self, plan: _DraftPlan, words: int, concurrency: int | None
    ) -> tuple[list[Any], list[Any]]:
        from reviewer.tasks import related_work as rw

        if plan.client is None:
            self.reporter.note(
                f"Extractive draft: quoting {len(plan.candidates)} abstracts, "
                f"{_n(len(plan.themes), 'theme')}."
            )
            return rw.write_sections(
                None, plan.topic, plan.themes, plan.candidates, words, plan.trace
            )
        workers = concurrency or self.settings.concurrency
        with self._progress(
            len(plan.themes),
            "writing",
            f"Writing {_n(len(plan.themes), 'paragraph')} with {plan.client.model} "
            f"({workers} at a time)…",
        ):
            return rw.write_sections(
                plan.client,
                plan.topic,
                plan.themes,
                plan.candidates,
                words,
                plan.trace,
                workers,
                on_section=lambda _: self.reporter.advance(1),
            )


class _Verifying:
    """One run's verification: its ``Verifier`` and, for a model judge, the judge's call
    totals; the footer line on stderr. ``with`` it around the judging, so that a judge
    the API opened is closed and its totals are taken whatever happens."""

    def __init__(self, verifier: Verifier, reporter: Reporter, owned: bool) -> None:
        self.verifier = verifier
        self.reporter = reporter
        self.owned = owned

    @property
    def report(self) -> Verification:
        return self.verifier.report

    def __enter__(self) -> _Verifying:
        return self

    def __exit__(self, *exc: object) -> None:
        from reviewer.tasks.judge import LLMJudge

        judge = self.verifier.judge
        if isinstance(judge, LLMJudge):
            client = judge.client
            self.report.judge_calls = client.db.totals(client.run_id)
            if self.owned:
                client.db.close()

    def note_footer(self, noun: str, plural: str | None = None) -> None:
        """'verified N sentences: M unsupported (judge MODEL: C calls, $cost)'."""
        self.reporter.note(self.report.footer(noun, plural))
        if self.report.stopped:
            self.reporter.note(f"the judge stopped: {self.report.stopped}")


class _DraftPlan:
    """The state of one draft between retrieval and writing."""

    def __init__(
        self, topic: str, client: LLMClient | None, db: LLMDatabase | None, trace: Trace
    ) -> None:
        self.topic = topic
        self.client = client
        self.db = db
        self.trace = trace
        self.queries: list[str] = []
        self.candidates: list[Candidate] = []
        self.themes: list[Theme] = []

    def totals(self) -> dict[str, Any] | None:
        if self.client is None or self.db is None:
            return None
        return self.db.totals(self.client.run_id)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
