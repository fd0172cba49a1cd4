"""digest: which papers go into the weekly email, in which themes, with which TL;DR.

- Selection: papers first published in a date window (inclusive), or papers added to
  the store since the last digest sent to the recipients (``--new``). A revision of an
  older paper is not new: the window tests the first version's date, and a paper whose
  first day is unknown (month from its arXiv id) counts as published in its whole month.
- Topics: a paper is kept when its relevance to one of the topics reaches
  ``min_score`` (``topic_relevance``): how much more similar to the topic the paper is
  than the store's typical paper, and how it uses the topic's words (a hyphenated
  compound as a phrase, words together rather than scattered, in the title or the
  abstract's first sentences rather than once in passing). It is absolute, so a
  threshold means the same every week; the fused ranks of the hybrid search say only
  how a paper ranks among others (within a week every topic has a first paper, relevant
  or not). ``evals/digest_topics.py`` measures thresholds on graded topics over the seed
  corpus (423 papers): at the default 0.29 the ten dev queries are kept with precision
  0.81 and recall 0.65 (0.84 of the papers graded 2), twenty held-out short topics
  with the numbers in the README. Measured with the default MiniLM embedder; the
  similarity is compared with the store's own papers, so another embedder's scale
  matters less, but re-measure for it.
- Themes: ``group_into_themes`` on the stored vectors (deterministic, no model), named
  by phrases of their titles weighed against every title in the store.
- TL;DR: the paper's current cached summary, else the abstract's first sentence,
  labelled as such. No model call is made here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from reviewer.corpus.model import Paper
from reviewer.errors import UsageError
from reviewer.grounding import first_sentence
from reviewer.index.store import Store, StoredPaper
from reviewer.tasks.topic_relevance import DEFAULT_MIN_RELEVANCE, Relevance

DEFAULT_MIN_SCORE = DEFAULT_MIN_RELEVANCE
# --new with no earlier digest to the recipients starts this long ago.
FIRST_NEW_SPAN = timedelta(days=7)
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)

TldrSource = Literal["summary", "abstract", "none"]


# -- the window ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Publication dates ``since``..``until`` (inclusive), or papers added to the store
    at or after ``added_since`` (``new``)."""

    since: date | None = None
    until: date | None = None
    added_since: str | None = None
    first_new: bool = False  # --new with no earlier digest to these recipients

    @property
    def new(self) -> bool:
        return self.since is None

    def spec(self) -> dict[str, Any]:
        if self.new:
            return {"new_since": self.added_since}
        return {"since": str(self.since), "until": str(self.until)}

    def label(self) -> str:
        """The window for people: '1–7 Sep 2025', 'new since 2 Sep 2025'."""
        if self.new:
            when = (self.added_since or "")[:10]
            return f"new since {_day(date.fromisoformat(when))}" if when else "new"
        assert self.since is not None and self.until is not None
        return date_range(self.since, self.until)

    def holds(self, stored: StoredPaper) -> bool:
        if self.new:
            return stored.added_at >= (self.added_since or "")
        # First publication, not the latest version: a revision of an older paper
        # is not new. A paper known to the month only is inside any window that
        # overlaps its month.
        span = stored.paper.published_span()
        return span is not None and span[0] <= self.until and span[1] >= self.since  # type: ignore[operator]


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def date_range(since: date, until: date) -> str:
    if since == until:
        return _day(since)
    if (since.year, since.month) == (until.year, until.month):
        return f"{since.day}–{until.day} {until:%b %Y}"
    if since.year == until.year:
        return f"{since.day} {since:%b} – {_day(until)}"
    return f"{_day(since)} – {_day(until)}"


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a date like 2025-09-01") from None


def parse_week(value: str, today: date) -> tuple[date, date]:
    """Monday..Sunday of an ISO week: '2025-W36', or 'last' / 'this'."""
    if value.lower() in ("last", "this"):
        monday = today - timedelta(days=today.weekday())
        if value.lower() == "last":
            monday -= timedelta(days=7)
        return monday, monday + timedelta(days=6)
    match = _WEEK.match(value.strip())
    if not match:
        raise UsageError(f"--week: {value!r} is not an ISO week like 2025-W36 (or last, this)")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise UsageError(f"--week: {year} has no week {week}") from None
    return monday, monday + timedelta(days=6)


def date_window(
    since: str | None, until: str | None, week: str | None, new: bool, today: date
) -> Window | None:
    """The publication-date window the options ask for; None for --new (its start
    depends on the ledger). One-line errors for missing, conflicting or bad dates."""
    chosen = [
        name
        for name, on in (("--since/--until", bool(since or until)), ("--week", bool(week)))
        if on
    ] + (["--new"] if new else [])
    if len(chosen) > 1:
        raise UsageError(
            f"choose one window: {' or '.join(chosen)}",
            hint="--since DATE --until DATE, --week 2025-W36, or --new.",
        )
    if not chosen:
        raise UsageError(
            "say which papers: --since DATE [--until DATE], --week 2025-W36 (or last), or --new",
            hint="--new takes the papers added since the last digest to the same recipients.",
        )
    if new:
        return None
    if week:
        start, end = parse_week(week, today)
        return Window(since=start, until=end)
    if until and not since:
        raise UsageError("--until needs --since", hint="e.g. --since 2025-09-01 --until 2025-09-07")
    start = parse_date(since or "", "--since")
    end = parse_date(until, "--until") if until else today
    if end < start:
        raise UsageError(f"--since {start} is after --until {end}")
    return Window(since=start, until=end)


def new_window(last_upto: dict[str, str | None], now: datetime) -> Window:
    """--new: from the oldest of the recipients' last digests (nobody misses a paper;
    papers a recipient already has are left out later), or a week back for someone
    who never had one."""
    first = (now - FIRST_NEW_SPAN).isoformat(timespec="seconds")
    starts = [value or first for value in last_upto.values()] or [first]
    return Window(added_since=min(starts), first_new=any(v is None for v in last_upto.values()))


# -- topics --------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicMatch:
    """Why a paper was kept: its relevance to a topic, what the relevance is made of
    (``topic_relevance.Relevance``) and the paper's rank for that topic among the
    papers of the window."""

    topic: str
    relevance: Relevance
    rank: int
    of: int

    @property
    def score(self) -> float:
        return self.relevance.relevance

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.topic, **self.relevance.to_json(), "rank": self.rank, "of": self.of}


def check_min_score(min_score: float) -> None:
    if not 0 < min_score <= 1:
        raise UsageError(
            f"--min-score {min_score:g} is outside (0, 1]: relevance weighs the paper's "
            "similarity to the topic against the store's papers and how it uses the "
            "topic's words, each from 0 to 1",
            hint=f"The default is {DEFAULT_MIN_SCORE:g}; higher keeps fewer papers.",
        )


def topic_scores(store: Store, topic: str, ids: Sequence[str]) -> list[Relevance]:
    """The relevance of each paper of ``ids`` to ``topic``, in the order of ``ids``
    (``reviewer.tasks.topic_relevance``): absolute, so that a threshold means the same
    every week. Fused ranks (RRF) cannot do this: every week has a first paper for
    every topic, relevant or not."""
    from reviewer.tasks.topic_relevance import topic_relevance

    return topic_relevance(store, topic, ids)


def topic_matches(
    store: Store, topics: Sequence[str], candidates: Sequence[str], min_score: float
) -> dict[str, list[TopicMatch]]:
    """For each candidate relevant to some topic (relevance >= ``min_score``), its
    matches, best first."""
    matches: dict[str, list[TopicMatch]] = {}
    for topic in topics:
        scores = topic_scores(store, topic, candidates)
        ranked = sorted(range(len(candidates)), key=lambda i: (-scores[i].relevance, candidates[i]))
        for rank, i in enumerate(ranked, start=1):
            if scores[i].relevance >= min_score:
                matches.setdefault(candidates[i], []).append(
                    TopicMatch(topic, scores[i], rank, len(candidates))
                )
    for found in matches.values():
        found.sort(key=lambda m: (-m.score, m.rank))
    return matches


# -- the digest ------------------------------------------------------------------------


@dataclass
class DigestPaper:
    paper: Paper
    tldr: str
    tldr_source: TldrSource
    matches: list[TopicMatch] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        p = self.paper
        return {
            "id": p.id,
            "title": p.title,
            "published": p.published_label,
            "authors": p.authors,
            "abs_url": p.abs_url,
            "code_urls": p.code_urls,
            "tldr": self.tldr,
            "tldr_source": self.tldr_source,
            "kept_for": [m.to_json() for m in self.matches],
        }


@dataclass
class DigestTheme:
    title: str
    source: str  # clusters | model
    papers: list[DigestPaper]


@dataclass
class DigestContent:
    window: Window
    topics: list[str]
    min_score: float
    themes: list[DigestTheme]
    in_window: int  # papers in the window before topics and the ledger
    left_out_sent: list[str]  # ids already sent to a recipient
    left_out_topics: int  # papers in the window no topic kept

    @property
    def papers(self) -> list[DigestPaper]:
        return [p for theme in self.themes for p in theme.papers]

    @property
    def count(self) -> int:
        return sum(len(t.papers) for t in self.themes)

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.spec(),
            "window_label": self.window.label(),
            "topics": self.topics,
            "min_score": self.min_score if self.topics else None,
            "papers_in_window": self.in_window,
            "left_out_already_sent": self.left_out_sent,
            "left_out_by_topics": self.left_out_topics,
            "themes": [
                {
                    "title": t.title,
                    "source": t.source,
                    "papers": [p.to_json() for p in t.papers],
                }
                for t in self.themes
            ],
        }


def digest_key(
    recipients: Sequence[str], window: Window, topics: Sequence[str], min_score: float
) -> str:
    """What makes two runs the same digest: recipients, window and topics."""
    from reviewer.mail import normalize_address

    blob = json.dumps(
        {
            "to": sorted({normalize_address(r) for r in recipients}),
            "window": window.spec(),
            "topics": normalize_topics(topics),
            "min_score": min_score if topics else None,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def normalize_topics(topics: Sequence[str]) -> list[str]:
    return sorted({" ".join(t.split()) for t in topics if t.strip()}, key=str.lower)


def papers_in_window(store: Store, window: Window) -> list[StoredPaper]:
    if window.new:
        return [s for s in store.iter_all() if window.holds(s)]
    from reviewer.index.search import Filters

    # Chroma filters on the YYYYMMDD metadata; only the matches are parsed.
    where = Filters(window.since, window.until).chroma_where()
    ids = store.collection.get(where=where, include=[])["ids"]
    return [s for s in store.get_many(sorted(ids)) if window.holds(s)]


def tldr_for(paper: Paper, stored_summary: dict[str, Any] | None) -> tuple[str, TldrSource]:
    """The TL;DR of a current cached summary; else the abstract's first sentence."""
    from reviewer.tasks.summary_model import current_summary

    summary = current_summary(paper, stored_summary)
    if summary is not None and summary.tldr_source == "model":
        return summary.tldr, "summary"
    if paper.abstract.strip():
        return first_sentence(paper.abstract), "abstract"
    return "", "none"


def build_digest(
    store: Store,
    window: Window,
    topics: Sequence[str],
    min_score: float,
    already_sent: Callable[[Sequence[str]], set[str]],
    summaries: dict[str, dict[str, Any]],
    max_themes: int = 5,
) -> DigestContent:
    """Select, filter by topics, leave out what was sent, group and write TL;DRs.
    ``already_sent(ids)`` names the ids a recipient already received (empty with --force)."""
    from reviewer.tasks.themes import group_into_themes

    topics = normalize_topics(topics)
    selected = papers_in_window(store, window)
    in_window = len(selected)
    sent = already_sent([s.paper.id for s in selected])
    selected = [s for s in selected if s.paper.id not in sent]
    matches: dict[str, list[TopicMatch]] = {}
    left_out_topics = 0
    if topics and selected:
        matches = topic_matches(store, topics, [s.paper.id for s in selected], min_score)
        left_out_topics = sum(1 for s in selected if s.paper.id not in matches)
        selected = [s for s in selected if s.paper.id in matches]

    def order(s: StoredPaper) -> tuple[Any, ...]:
        best = matches.get(s.paper.id)
        published = s.paper.published.toordinal() if s.paper.published else 0
        return (-best[0].score if best else 0.0, -published, s.paper.title.lower())

    selected.sort(key=order)
    items = {}
    for s in selected:
        tldr, source = tldr_for(s.paper, summaries.get(s.paper.id))
        items[s.paper.id] = DigestPaper(s.paper, tldr, source, matches.get(s.paper.id, []))
    themes: list[DigestTheme] = []
    if selected:
        papers = [s.paper for s in selected]
        vectors = store.vectors([p.id for p in papers])
        grouped = group_into_themes(
            papers, vectors, max_themes=max_themes, min_size=2, corpus_titles=store.titles()
        )
        for theme in grouped:
            themes.append(
                DigestTheme(theme.title, theme.source, [items[pid] for pid in theme.paper_ids])
            )
        themes.sort(key=lambda t: -len(t.papers))  # stable: equal sizes keep their order
    return DigestContent(
        window=window,
        topics=topics,
        min_score=min_score,
        themes=themes,
        in_window=in_window,
        left_out_sent=sorted(sent),
        left_out_topics=left_out_topics,
    )


# -- theme names from a model (optional) --------------------------------------------------

NAME_PROMPT = "name_themes"
# Words a theme name may use without their being in the titles.
_CONNECTORS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "vs",
        "with",
        "without",
    ]
)
_NAME_WORD = re.compile(r"[a-z0-9]+")


def words_not_in_titles(name: str, titles: Sequence[str]) -> list[str]:
    """Words of ``name`` that no title of its group holds (connectors excepted; a word
    of five letters or more also matches a title word with the same first five)."""
    source = {w for t in titles for w in _NAME_WORD.findall(t.lower())}
    stems = {w[:5] for w in source if len(w) >= 5}
    return [
        w
        for w in _NAME_WORD.findall(name.lower())
        if w not in _CONNECTORS and w not in source and not (len(w) >= 5 and w[:5] in stems)
    ]


def _theme_names_model() -> Any:
    from typing import Annotated

    from pydantic import BaseModel, Field, ValidationInfo, model_validator

    class ThemeNames(BaseModel):
        names: list[Annotated[str, Field(min_length=2, max_length=60)]] = Field(
            max_length=12, description="One name per group, in the order given."
        )

        @model_validator(mode="after")
        def _grounded(self, info: ValidationInfo) -> ThemeNames:
            groups: list[list[str]] | None = (info.context or {}).get("groups")
            if groups is None:
                return self
            problems = []
            if len(self.names) != len(groups):
                problems.append(f"give {len(groups)} names, one per group, not {len(self.names)}")
            for number, (name, titles) in enumerate(zip(self.names, groups, strict=False), 1):
                missing = words_not_in_titles(name, titles)
                if not _NAME_WORD.findall(name.lower()):
                    problems.append(f"group {number}: the name {name!r} has no word")
                elif missing:
                    problems.append(
                        f"group {number}: {name!r} uses words that are not in the group's "
                        f"titles: {', '.join(missing)}"
                    )
            if len({n.strip().lower() for n in self.names}) < len(self.names):
                problems.append("two groups have the same name")
            if problems:
                raise ValueError("; ".join(problems))
            return self

    return ThemeNames


def name_themes_with_model(client: Any, themes: list[DigestTheme]) -> str | None:
    """Rename ``themes`` (two or more) with the model's names when they pass validation
    (cached by the client like every call); otherwise keep the clustering's names and
    return why."""
    from reviewer.prompts import load_prompt

    groups = [[item.paper.title for item in theme.papers] for theme in themes]
    rendered = load_prompt(NAME_PROMPT).render(groups=groups)
    outcome = client.structured(
        rendered,
        _theme_names_model(),
        context={"groups": groups},
        task="name_themes",
        subject=None,
    )
    if outcome.value is None:
        return "; ".join(outcome.errors[:2]) or "no readable answer"
    for theme, name in zip(themes, outcome.value.names, strict=True):
        theme.title = " ".join(name.split())
        theme.source = "model"
    return None


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
