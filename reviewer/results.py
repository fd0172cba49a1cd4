"""What the Python API returns: Pydantic models, and exactly what the CLI's ``--json``
prints (``model_dump(mode="json")``). The writing tasks' own models
(``RelatedWorkDraft``, ``CompareTable``, ``PaperSummary``) are returned as they are."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field

from reviewer.corpus.model import Paper
from reviewer.errors import BudgetExceeded
from reviewer.removal import RemovalReport as RemovalReport
from reviewer.removal import RemovedPaper as RemovedPaper
from reviewer.tasks.summary_model import PaperSummary
from reviewer.tasks.verify import Verification

# The keys every summary has; the others are its profile's fields.
SUMMARY_CORE_FIELDS: tuple[str, ...] = tuple(PaperSummary.model_fields)


class _MayStop(BaseModel):
    """A result of work that a budget (--max-cost) can stop half-way: what was done is
    returned, and ``raise_if_stopped()`` raises the stop when the caller wants it."""

    _stopped_error: BudgetExceeded | None = PrivateAttr(default=None)

    @property
    def stopped_error(self) -> BudgetExceeded | None:
        return self._stopped_error

    def stop_with(self, error: BudgetExceeded | None) -> None:
        self._stopped_error = error

    def raise_if_stopped(self) -> None:
        if self._stopped_error is not None:
            raise self._stopped_error


class FileRead(BaseModel):
    path: str
    format: str
    entries: int


class StoreSize(BaseModel):
    papers: int


class IngestReport(BaseModel):
    """One ingest: what was read, what changed, what the store now holds."""

    files: list[FileRead]
    bad: list[str] = Field(description="Files skipped with --skip-bad, with their problem.")
    entries: int
    papers_in_input: int
    new: int
    updated: int
    unchanged: int
    merged_away: int
    embedded: int
    new_ids: list[str]
    updated_ids: list[str]
    store: StoreSize


class SearchQuery(BaseModel):
    """One of the rankings a search fused, and where it put the hit."""

    kind: Literal["query", "variant", "hypothetical"] = Field(
        description="query: the search as given; variant: another phrasing the model wrote; "
        "hypothetical: the abstract the model wrote for a paper on the query (its vector "
        "is searched; it is no paper and no source)."
    )
    text: str
    rank: int | None = Field(
        default=None,
        description="Where this query's ranking put the hit (1 = first); None: not among "
        "its candidates.",
    )


class SearchHit(BaseModel):
    rank: int
    id: str
    score: float = Field(
        description="Fused reciprocal-rank score: orders the hits, means nothing on its own."
    )
    similarity: float = Field(
        description="Cosine similarity of the query's and the paper's vectors (absolute)."
    )
    query_terms: float = Field(
        description="IDF-weighted share of the query's terms found in the title or abstract."
    )
    dense_rank: int | None
    lexical_rank: int | None
    title: str
    published: str | None
    authors: list[str]
    abs_url: str | None
    code_urls: list[str]
    abstract: str
    queries: list[SearchQuery] = Field(
        default_factory=list,
        description="What was fused, the same on every hit: the query, then the model's "
        "variants and its hypothetical abstract when the search was widened (a model "
        "configured, not --no-expand); each with this hit's rank in its ranking.",
    )


class PaperRow(BaseModel):
    """A paper as `reviewer list` shows it (``--full`` gives a ``PaperRecord``)."""

    id: str
    title: str
    published: str | None
    authors: list[str]
    arxiv_id: str | None
    doi: str | None
    abs_url: str | None
    code_urls: list[str]
    sources: int
    added_at: str

    @classmethod
    def of(cls, record: PaperRecord) -> PaperRow:
        return cls(
            id=record.id,
            title=record.title,
            published=record.published_label,
            authors=record.authors,
            arxiv_id=record.arxiv_id,
            doi=record.doi,
            abs_url=record.abs_url,
            code_urls=record.code_urls,
            sources=len(record.sources),
            added_at=record.added_at,
        )


class PaperRecord(Paper):
    """Every stored field of a paper, and when it was added to the store."""

    model_config = ConfigDict(extra="forbid")

    added_at: str = ""

    @computed_field(  # type: ignore[prop-decorator]
        description="First publication as known: '2024-02-13', or '2024-02' when only the "
        "year and month are (published_precision 'month'; published is then the 1st)."
    )
    @property
    def first_published(self) -> str | None:
        return self.published_label


class StoreStats(BaseModel):
    papers: int
    with_abstract: int
    truncated_abstracts: int
    with_arxiv_id: int
    with_code: int
    multi_source: int
    earliest: str | None
    latest: str | None
    papers_by_source_format: dict[str, int]
    embedder: str | None
    backend: str
    location: str


class FailedPaper(BaseModel):
    id: str
    why: str


class SummarizeResult(_MayStop):
    """Summaries made (or served from the cache), papers that failed, and the calls."""

    summaries: list[PaperSummary]
    failed: list[FailedPaper]
    calls: dict[str, Any] = Field(description="Model calls, tokens and cost of this run.")
    stopped: str | None = Field(None, description="Why the run stopped early (--max-cost).")
    verification: Verification | None = Field(
        default=None,
        description="What --verify's judge did to the TL;DRs and findings (None without it).",
    )


class CacheCleared(BaseModel):
    deleted: int
    remaining: int
    older_than_days: float | None


class CacheStatsReport(BaseModel):
    entries: int
    failed: int = Field(description="Entries whose answers failed validation.")
    size_bytes: int
    oldest: str | None
    newest: str | None


class ExportReport(_MayStop):
    papers: int
    written: int
    unchanged: int
    removed: int
    with_summary: int
    stale_summaries: int
    index_written: bool
    schemas_written: int
    out: str


class Outline(BaseModel):
    """The themes of a related-work draft and their papers, before any writing."""

    topic: str
    themes: list[dict[str, Any]]
    titles: dict[str, str] = Field(default_factory=dict, exclude=True)


class DraftSentence(BaseModel):
    """One sentence of a draft to check, with the papers it cites."""

    text: str = Field(
        description="The sentence. Citation markers written inline as [ref] or [ref1; ref2] "
        "are moved to its citations first."
    )
    citations: list[str] = Field(
        default_factory=list,
        description="The papers it rests on: store ids (arxiv:2509.06617), bare arXiv ids, "
        "DOIs, exact titles, or a draft's citation keys (ma2024segmentanything).",
    )


class SentenceCheck(BaseModel):
    """One checked sentence: what is wrong with it under related-work's sentence rules."""

    index: int = Field(description="Its position in the input, from 0.")
    text: str = Field(description="The sentence, inline citation markers taken out.")
    citations: list[str] = Field(description="Its citations as given (inline ones added).")
    cited_ids: list[str] = Field(description="The store ids its citations name, in order.")
    unknown_citations: list[str] = Field(description="Citations that name no paper in the store.")
    ok: bool
    problems: list[str]
    kinds: list[str] = Field(
        default_factory=list,
        description="The kind of each problem, in the order of problems (for example "
        "'number-misattributed', 'negation', 'unknown-citation').",
    )
    line: int | None = Field(
        default=None, description="The line of the checked file the sentence starts on, from 1."
    )
    verdict: Literal["supported", "citation", "unsupported", "not judged"] | None = Field(
        default=None,
        description="The judge's verdict with --verify: supported; 'citation' (supported, but "
        "a citation's abstract does not support it); unsupported; 'not judged' (the judge "
        "stopped). None without --verify, or when it cites no stored paper.",
    )


class DraftCheck(BaseModel):
    """Every sentence of a draft checked against the abstracts it cites."""

    sentences: list[SentenceCheck]
    passed: int
    failed: int
    unknown_citations: list[str] = Field(
        description="Every citation that names no paper in the store."
    )
    verification: Verification | None = Field(
        default=None, description="What --verify's judge did (None without --verify)."
    )


class HeldDigest(BaseModel):
    subject: str
    message_id: str
    recipients: list[str]
    built: str


class DigestRun(BaseModel):
    """What one `reviewer digest` did. Fields appear in the JSON only when the run set
    them (``model_dump(exclude_unset=True)``): an already-sent digest has no themes."""

    recipients: list[str]
    dry_run: bool
    sent_from_outbox: list[HeldDigest] | None = None
    key: str | None = None
    window: dict[str, Any] | None = None
    window_label: str | None = None
    topics: list[str] | None = None
    min_score: float | None = None
    papers_in_window: int | None = None
    left_out_already_sent: list[str] | None = None
    left_out_by_topics: int | None = None
    themes: list[dict[str, Any]] | None = None
    status: str | None = None
    subject: str | None = None
    message_id: str | None = None
    text: str | None = None
    html: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)
