"""related-work: topic -> retrieved papers -> themes -> one cited paragraph per theme.

    retrieve   hybrid search on the topic, optionally widened by model-written query
               variants (fused by reciprocal rank, the topic's own ranking counted twice
               so that poor variants cannot push its best hits out); --include / --exclude
    outline    the model groups the papers into themes (validated: real keys, each paper
               once, as many themes as asked when there are two papers for each), or,
               without a model or when its outline fails, spherical k-means on the
               stored vectors (reviewer.tasks.themes); an outline still short of themes
               after the re-asks has its largest themes split the same way; or the
               user's outline file
    write      one paragraph per theme from the theme's titles and abstracts (and cached
               TL;DRs), validated sentence by sentence (reviewer.tasks.draft_model);
               what fails after the re-asks is dropped and reported
    extractive without a model: per theme, one sentence quoted from each abstract

Citation keys and the reference list come from the store, never from the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from reviewer.claims import kind_of, quote_copied_run
from reviewer.corpus.model import Paper
from reviewer.grounding import first_sentence, normalize_ws, split_sentences
from reviewer.llm.client import LLMClient, Outcome, best_answer
from reviewer.prompts import load_prompt
from reviewer.render.bibtex import citation_keys, paper_url
from reviewer.tasks.draft_model import (
    ParagraphDraft,
    SentenceDraft,
    ThemeDraft,
    outline_model,
    outline_problems,
    paragraph_model,
    paragraph_problems,
    sentence_problems,
    sentence_verdicts,
    theme_title_problems,
)
from reviewer.tasks.themes import (
    Theme,
    attainable,
    group_into_themes,
    name_groups,
    split_groups,
)
from reviewer.tasks.verify import Verification, Verifier

TASK = "related-work"

# -- what a draft is ---------------------------------------------------------------


class CitedSentence(BaseModel):
    text: str
    citations: list[str] = Field(description="Citation keys, each one of the references.")
    quote: bool = Field(
        default=False, description="True when the text is quoted verbatim from the abstract."
    )
    verdict: Literal["supported", "citation", "not judged"] | None = Field(
        default=None,
        description="The judge's verdict with --verify: supported; 'citation' (supported, but "
        "a citation's abstract does not support it, see problems); 'not judged' (the judge "
        "stopped). None without --verify and for quoted sentences.",
    )
    problems: list[str] = Field(
        default_factory=list, description="What the judge reported about a kept sentence."
    )


class Section(BaseModel):
    theme: str
    theme_source: str = Field(description="model, clusters or user: who named the theme")
    paper_ids: list[str]
    written_by: Literal["model", "extractive"]
    note: str | None = None
    sentences: list[CitedSentence]


class Reference(BaseModel):
    number: int
    key: str
    id: str
    title: str
    authors: list[str]
    year: int | None
    published: str | None
    arxiv_id: str | None
    doi: str | None
    venue: str | None
    url: str | None


class DroppedSentence(BaseModel):
    theme: str
    text: str
    citations: list[str]
    reasons: list[str]
    kinds: list[str] = Field(
        default_factory=list,
        description="The kind of each reason, in order ('number-misattributed', "
        "'judge-unsupported', ...).",
    )


class Considered(BaseModel):
    id: str
    key: str
    title: str
    why: str
    cited: bool = False


class Footer(BaseModel):
    papers_considered: int
    papers_cited: int
    themes: int
    sentences: int
    words: int
    sentences_dropped: int
    model: str | None
    model_calls: int = 0
    cache_hits: int = 0
    cache_hits_invalid: int = Field(
        default=0,
        description="Cache hits that replayed a request whose every answer had failed "
        "validation: what still fails in them is dropped again.",
    )
    answers_rejected: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True


class RelatedWorkDraft(BaseModel):
    topic: str
    mode: Literal["model", "extractive"]
    queries: list[str] = Field(description="The topic and the query variants searched.")
    sections: list[Section]
    references: list[Reference]
    considered: list[Considered]
    dropped: list[DroppedSentence]
    notes: list[str]
    footer: Footer
    verification: Verification | None = Field(
        default=None, description="What --verify's judge did (None without --verify)."
    )


# -- candidates --------------------------------------------------------------------


@dataclass
class Candidate:
    paper: Paper
    key: str
    why: str
    summary: Any = None  # a current PaperSummary, when one is cached

    @property
    def source(self) -> str:
        """What a sentence citing this paper may draw on: its title and abstract."""
        return f"{self.paper.title}\n{self.paper.abstract}"

    @property
    def gist(self) -> str:
        if self.summary is not None and self.summary.tldr_source == "model":
            return str(self.summary.tldr)
        return first_sentence(self.paper.abstract, 240)

    @property
    def year(self) -> str:
        year = self.paper.known_year
        return str(year) if year else "n.d."


@dataclass
class Trace:
    """Every structured request of one draft, for the footer, stderr and the evals."""

    outcomes: list[tuple[str, Outcome[Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


def retrieve(
    store: Any,
    topic: str,
    queries: Sequence[str],
    k: int,
    filters: Any = None,
    include: Sequence[Paper] = (),
    exclude: Sequence[str] = (),
) -> list[tuple[Paper, str]]:
    """The ``k`` best papers for the topic (and its variants), then the included ones;
    each with why it is there."""
    from reviewer.index.search import fuse, search

    depth = max(30, 3 * k)
    papers: dict[str, Paper] = {}
    rankings: list[list[tuple[str, float]]] = []
    for i, query in enumerate([topic, *queries]):
        hits = search(store, query, k=depth, filters=filters)
        papers.update({h.paper.id: h.paper for h in hits})
        ranking = [(h.paper.id, h.score) for h in hits]
        rankings += [ranking, ranking] if i == 0 and queries else [ranking]
    fused = fuse(rankings)
    skip = set(exclude)
    chosen: list[tuple[Paper, str]] = []
    for rank, (pid, _) in enumerate((x for x in fused if x[0] not in skip), start=1):
        if rank > k:
            break
        chosen.append((papers[pid], f"retrieved, rank {rank}"))
    have = {p.id for p, _ in chosen}
    for paper in include:
        if paper.id not in have and paper.id not in skip:
            chosen.append((paper, "--include"))
            have.add(paper.id)
    return chosen


def make_candidates(
    papers: Sequence[tuple[Paper, str]], summaries: dict[str, Any], store: Iterable[Paper] = ()
) -> list[Candidate]:
    """``store``: every paper of the store, so a key is the one every draft gives the paper."""
    from reviewer.tasks.summary_model import current_summary

    keys = citation_keys((p for p, _ in papers), store)
    return [
        Candidate(p, keys[p.id], why, current_summary(p, summaries.get(p.id))) for p, why in papers
    ]


# -- outline -----------------------------------------------------------------------


def outline_with_model(
    client: LLMClient,
    topic: str,
    candidates: Sequence[Candidate],
    max_themes: int,
    trace: Trace,
    corpus_titles: Sequence[str] | None = None,
) -> list[Theme] | None:
    """The model's themes, pruned to what is valid; None when nothing usable came back.
    It is asked for ``attainable(max_themes, papers)`` themes (two papers each at least),
    and an answer with fewer goes back to it; what still has fewer is the caller's to
    split (``split_outline``). ``corpus_titles``: every title in the store, for naming
    a theme whose title fails validation."""
    by_key = {c.key: c for c in candidates}
    sources = {c.key: c.source for c in candidates}
    wanted = attainable(max_themes, len(candidates))
    rendered = load_prompt("outline_themes").render(
        topic=topic,
        papers=[{"key": c.key, "title": c.paper.title, "gist": c.gist} for c in candidates],
        themes=wanted,
    )
    schema = outline_model(list(by_key), max_themes, min_themes=wanted)
    outcome = client.structured(
        rendered,
        schema,
        context={"sources": sources, "max_themes": max_themes, "themes_wanted": wanted},
        task=TASK,
        subject="outline",
    )
    trace.outcomes.append(("outline", outcome))
    draft = outcome.value or best_answer(
        outcome.contents,
        schema,
        lambda d: len(outline_problems(d, sources, max_themes, wanted)),
    )
    if draft is None:
        return None
    kept: list[tuple[ThemeDraft, list[str]]] = []
    placed: set[str] = set()
    for theme in draft.themes:
        keys = [k for k in dict.fromkeys(theme.papers) if k in by_key and k not in placed]
        if keys:
            placed.update(keys)
            kept.append((theme, keys))
    if not kept:
        return None
    names: list[list[str]] | None = None
    themes: list[Theme] = []
    for theme, keys in kept:
        title = normalize_ws(theme.title)
        source = "model"
        if theme_title_problems(theme.model_copy(update={"papers": keys}), sources):
            if names is None:  # every theme's titles, so a name sets its theme apart
                groups = [[by_key[k].paper.title for k in ks] for _, ks in kept]
                names = name_groups(groups, corpus_titles)
            found = names[len(themes)]
            title, source = (found[0] if found else "Other papers"), "clusters"
            trace.notes.append(f"theme title {theme.title!r} failed validation; named from titles")
        themes.append(
            Theme(title=title, paper_ids=[by_key[k].paper.id for k in keys], source=source)
        )
    left = [c for c in candidates if c.key not in placed]
    if left:
        trace.notes.append(
            f"the outline left out {len(left)} paper(s); each joined the nearest theme"
        )
    return themes if not left else _place_leftovers(themes, left, candidates)


def split_outline(
    store: Any,
    candidates: Sequence[Candidate],
    themes: list[Theme],
    asked: int,
    corpus_titles: Sequence[str] | None = None,
) -> list[Theme]:
    """An outline with fewer than ``attainable(asked, papers)`` themes, its largest themes
    split by similarity of the stored vectors (k-means, deterministic) until there are
    that many. A theme that is not split keeps its title; the parts of a split one are
    named from their titles."""
    wanted = attainable(asked, len(candidates))
    if len(themes) >= wanted:
        return themes
    ids = [pid for t in themes for pid in t.paper_ids]
    row = {pid: i for i, pid in enumerate(ids)}
    vectors = store.vectors(ids)
    if len(vectors) != len(ids):
        raise RuntimeError("a candidate paper has no stored vector")  # pragma: no cover
    before = [[row[pid] for pid in t.paper_ids] for t in themes]
    after = split_groups(vectors, before, wanted)
    if len(after) == len(before):
        return themes
    titles = {c.paper.id: c.paper.title for c in candidates}
    names = name_groups([[titles[ids[i]] for i in g] for g in after], corpus_titles)
    kept = {tuple(g): t for g, t in zip(before, themes, strict=True)}
    result = []
    for group, terms in zip(after, names, strict=True):
        theme = kept.get(tuple(group))
        if theme is None:
            theme = Theme(
                title=terms[0] if terms else "Other papers",
                paper_ids=[ids[i] for i in group],
                terms=terms,
            )
        result.append(theme)
    return result


def _place_leftovers(
    themes: list[Theme], left: Sequence[Candidate], candidates: Sequence[Candidate]
) -> list[Theme]:
    """Put each paper the outline left out into the theme whose papers it is closest to
    (by word overlap of titles and abstracts: no vectors needed)."""
    from reviewer.grounding import content_words

    words = {c.paper.id: set(content_words(c.source)) for c in candidates}
    for cand in left:
        mine = words[cand.paper.id]

        def closeness(theme: Theme, mine: set[str] = mine) -> float:
            overlaps = [
                len(mine & words[pid]) / (len(mine | words[pid]) or 1) for pid in theme.paper_ids
            ]
            return sum(overlaps) / len(overlaps)

        best = max(themes, key=closeness)
        best.paper_ids.append(cand.paper.id)
    return themes


def outline_by_clusters(
    store: Any,
    candidates: Sequence[Candidate],
    max_themes: int,
    topic: str = "",
    corpus_titles: Sequence[str] | None = None,
) -> list[Theme]:
    """Themes by similarity of the stored vectors: ``attainable(max_themes, papers)`` of
    them, named by phrases of their titles weighed against ``corpus_titles`` (every
    title in the store); a single theme is named by the topic."""
    papers = [c.paper for c in candidates]
    vectors = store.vectors([p.id for p in papers])
    if len(vectors) != len(papers):
        raise RuntimeError("a candidate paper has no stored vector")  # pragma: no cover
    themes = group_into_themes(
        papers, vectors, max_themes=max_themes, corpus_titles=corpus_titles, exact=True
    )
    if len(themes) == 1 and topic:
        themes[0].title = topic[0].upper() + topic[1:]
    return themes


# -- writing -----------------------------------------------------------------------


def split_items(draft: ParagraphDraft) -> ParagraphDraft:
    """The draft with every item that holds several sentences split into them, each
    with the item's citations. An item of several sentences is refused while the model
    can still be re-asked; once the re-asks are spent, each of its sentences is judged on
    its own (so a paragraph written as one item loses only the sentences that fail),
    and the per-paper rules decide whether each still earns the item's citations."""
    items: list[SentenceDraft] = []
    for item in draft.sentences:
        parts = split_sentences(item.text)
        if len(parts) <= 1:
            items.append(item)
            continue
        items += [item.model_copy(update={"text": part}) for part in parts]
    return draft.model_copy(update={"sentences": items})


def write_section(
    client: LLMClient,
    topic: str,
    theme: Theme,
    candidates: Sequence[Candidate],
    words: int,
    trace: Trace,
) -> tuple[Section, list[DroppedSentence]]:
    """One paragraph by the model, pruned to the sentences that pass every rule; when no
    sentence survives, the theme falls back to quoted sentences (labelled as such)."""
    members = _members(theme, candidates)
    sources = {c.key: c.source for c in members}
    context_text = f"{topic}\n{theme.title}"
    rendered = load_prompt("write_theme_paragraph").render(
        topic=topic,
        theme=theme.title,
        papers=[
            {"key": c.key, "title": c.paper.title, "year": c.year, "abstract": c.paper.abstract}
            for c in members
        ],
        words=words,
    )
    schema = paragraph_model(list(sources))
    outcome = client.structured(
        rendered,
        schema,
        context={
            "sources": sources,
            "context_text": context_text,
            # Much shorter than asked is re-asked: two sentences for a 400-word theme
            # say nothing, however well they cite.
            "min_words": max(25, words * 2 // 5),
            "words": words,
        },
        task=TASK,
        subject=f"theme: {theme.title}"[:200],
    )
    trace.outcomes.append((theme.title, outcome))
    draft = outcome.value or best_answer(
        outcome.contents, schema, lambda d: len(paragraph_problems(d, sources, context_text))
    )
    kept: list[CitedSentence] = []
    dropped: list[DroppedSentence] = []
    if draft is not None:
        draft = split_items(draft)
    verdicts = sentence_verdicts(draft, sources, context_text) if draft is not None else []
    verdicts = [drop_idle_citations(s, r, sources, context_text) for s, r in verdicts]
    verdicts = [unname_keys(s, r, sources, context_text) for s, r in verdicts]
    verdicts = [quote_copies(s, r, sources, context_text) for s, r in verdicts]
    for sentence, reasons in verdicts:
        if reasons:
            dropped.append(
                DroppedSentence(
                    theme=theme.title,
                    text=sentence.text,
                    citations=list(dict.fromkeys(sentence.citations)),
                    reasons=[str(r) for r in reasons],
                    kinds=[kind_of(r) for r in reasons],
                )
            )
        else:
            kept.append(
                CitedSentence(
                    text=normalize_ws(sentence.text),
                    citations=list(dict.fromkeys(sentence.citations)),
                )
            )
    paper_ids = [c.paper.id for c in members]
    if kept:
        return Section(
            theme=theme.title,
            theme_source=theme.source,
            paper_ids=paper_ids,
            written_by="model",
            sentences=kept,
        ), dropped
    why = "was unreadable" if draft is None else "failed validation in every sentence"
    section = extractive_section(topic, theme, members)
    section.note = f"the model's paragraph {why}: sentences quoted from the abstracts instead"
    return section, dropped


def drop_idle_citations(
    sentence: SentenceDraft, reasons: list[str], sources: dict[str, str], context_text: str
) -> tuple[SentenceDraft, list[str]]:
    """A sentence refused because some of its citations carry nothing of it, with those
    citations removed and the sentence judged again on the ones left; otherwise the
    sentence and its reasons unchanged. Told to cite every paper of a theme, small
    models pile keys onto sentences true of one paper: the sentence is kept for the
    paper it is about (and must pass every rule for that paper), not for the pile. A
    sentence that no citation earns stays refused."""
    citations = list(dict.fromkeys(sentence.citations))
    found = reasons
    for _ in range(2):  # removing citations can leave another one idle
        idle = {
            key
            for reason in found
            if kind_of(reason) == "citation-adds-nothing"
            for key in getattr(reason, "keys", ())
        }
        rest = [c for c in citations if c not in idle]
        if not idle or not rest:
            break
        citations = rest
        found = sentence_problems(sentence.text, citations, sources, context_text)
        if not found or all(kind_of(r) == "unquoted-copy" for r in found):
            return sentence.model_copy(update={"citations": citations}), found
    return sentence, reasons


def unname_keys(
    sentence: SentenceDraft, reasons: list[str], sources: dict[str, str], context_text: str
) -> tuple[SentenceDraft, list[str]]:
    """A sentence of one citation that calls its paper by the key ("The pulaski paper
    proposes ..."), with "this paper" in place of the key when nothing else is wrong
    with it (but unquoted copies, which ``quote_copies`` mends next); otherwise
    unchanged."""
    named = [r for r in reasons if kind_of(r) == "key-as-name"]
    if not named or len(set(sentence.citations)) != 1:
        return sentence, reasons
    key = sentence.citations[0]
    mended = ("key-as-name", "unquoted-copy")
    # The key, read as a name, is also a name no cited abstract mentions.
    if any(
        kind_of(r) not in mended and not (kind_of(r) == "unknown-name" and key in r)
        for r in reasons
    ):
        return sentence, reasons
    pattern = re.compile(
        rf"\b(the)\s+{re.escape(key)}\s+(paper|study|work|article|method|model|approach|"
        r"framework|dataset)\b",
        re.IGNORECASE,
    )
    text, n = pattern.subn(
        lambda m: ("T" if m.group(1)[0] == "T" else "t") + "his " + m.group(2), sentence.text
    )
    if n == 0:
        return sentence, reasons
    found = sentence_problems(text, sentence.citations, sources, context_text)
    if any(kind_of(r) != "unquoted-copy" for r in found):
        return sentence, reasons
    return sentence.model_copy(update={"text": text}), found


def quote_copies(
    sentence: SentenceDraft, reasons: list[str], sources: dict[str, str], context_text: str
) -> tuple[SentenceDraft, list[str]]:
    """A sentence refused only because it copies an abstract's words unquoted, with the
    copied words put in quotation marks (the abstract's own words, verbatim) when that
    is all it lacks; otherwise the sentence and its reasons unchanged. Small models copy
    long phrases; shown as a quotation, the copy is honest and keeps its citation."""
    if not reasons or any(kind_of(r) != "unquoted-copy" for r in reasons):
        return sentence, reasons
    cited = {c: sources[c] for c in sentence.citations if c in sources}
    text = sentence.text
    for _ in range(2):  # at most two copied passages in one sentence
        quoted = quote_copied_run(text, cited)
        if quoted is None:
            return sentence, reasons
        text = quoted
        found = sentence_problems(text, sentence.citations, sources, context_text)
        if not found:
            return sentence.model_copy(update={"text": text}), []
        if any(kind_of(r) != "unquoted-copy" for r in found):
            return sentence, reasons
    return sentence, reasons


def extractive_section(topic: str, theme: Theme, members: Sequence[Candidate]) -> Section:
    """One sentence quoted verbatim from each paper's abstract: the one that shares
    the most words with the topic and theme, preferring sentences that state what the
    paper does or finds."""
    from reviewer.index.lexical import tokenize

    wanted = set(tokenize(f"{topic} {theme.title}"))
    sentences = []
    for cand in members:
        best = _best_sentence(cand.paper.abstract, wanted, tokenize)
        if best:
            sentences.append(CitedSentence(text=best, citations=[cand.key], quote=True))
    return Section(
        theme=theme.title,
        theme_source=theme.source,
        paper_ids=[c.paper.id for c in members],
        written_by="extractive",
        sentences=sentences,
    )


_CONTRIBUTION = re.compile(
    r"\b(?:we|this (?:paper|work|study)|our)\b.{0,40}?\b(?:propos|present|introduc|develop|"
    r"achiev|outperform|show|demonstrat|find|evaluat)",
    re.IGNORECASE,
)


def _best_sentence(
    abstract: str, wanted: set[str], tokenize: Callable[[str], list[str]]
) -> str | None:
    best: tuple[float, int, str] | None = None
    for i, sentence in enumerate(split_sentences(abstract)):
        n_words = len(sentence.split())
        if n_words < 6 or n_words > 70:
            continue
        overlap = len(wanted & set(tokenize(sentence)))
        score = overlap + (1.5 if _CONTRIBUTION.search(sentence) else 0.0)
        if best is None or score > best[0]:
            best = (score, i, sentence)
    if best is None:
        sentences = split_sentences(abstract)
        return sentences[0] if sentences else None
    return best[2]


def _members(theme: Theme, candidates: Sequence[Candidate]) -> list[Candidate]:
    by_id = {c.paper.id: c for c in candidates}
    return [by_id[pid] for pid in theme.paper_ids if pid in by_id]


# -- the whole draft ------------------------------------------------------------------


def assemble(
    topic: str,
    mode: Literal["model", "extractive"],
    queries: Sequence[str],
    candidates: Sequence[Candidate],
    sections: Sequence[Section],
    dropped: Sequence[DroppedSentence],
    notes: Sequence[str],
    model: str | None,
    totals: dict[str, Any] | None,
    verification: Verification | None = None,
) -> RelatedWorkDraft:
    """Number the references by first citation and count what the footer reports."""
    by_key = {c.key: c for c in candidates}
    order: list[str] = []
    for section in sections:
        for sentence in section.sentences:
            for key in sentence.citations:
                if key not in by_key:
                    raise AssertionError(f"citation {key!r} escaped validation")  # never
                if key not in order:
                    order.append(key)
    references = [_reference(n, by_key[key]) for n, key in enumerate(order, start=1)]
    cited = set(order)
    words = sum(len(s.text.split()) for sec in sections for s in sec.sentences)
    totals = totals or {}
    footer = Footer(
        papers_considered=len(candidates),
        papers_cited=len(cited),
        themes=len(sections),
        sentences=sum(len(sec.sentences) for sec in sections),
        words=words,
        sentences_dropped=len(dropped),
        model=model,
        model_calls=int(totals.get("model_calls", 0)),
        cache_hits=int(totals.get("cache_hits", 0)),
        cache_hits_invalid=int(totals.get("cache_invalid", 0)),
        answers_rejected=int(totals.get("rejected", 0)),
        input_tokens=int(totals.get("input_tokens", 0)),
        output_tokens=int(totals.get("output_tokens", 0)),
        cost_usd=round(float(totals.get("cost_usd", 0.0)), 6),
        cost_known=bool(totals.get("priced", True)),
    )
    return RelatedWorkDraft(
        topic=topic,
        mode=mode,
        queries=[topic, *queries],
        sections=list(sections),
        references=references,
        considered=[
            Considered(
                id=c.paper.id, key=c.key, title=c.paper.title, why=c.why, cited=c.key in cited
            )
            for c in candidates
        ],
        dropped=list(dropped),
        notes=list(notes),
        footer=footer,
        verification=verification,
    )


def _reference(number: int, cand: Candidate) -> Reference:
    paper = cand.paper
    return Reference(
        number=number,
        key=cand.key,
        id=paper.id,
        title=paper.title,
        authors=list(paper.authors),
        year=paper.known_year,
        published=paper.published_label,
        arxiv_id=paper.arxiv_id,
        doi=paper.doi,
        venue=paper.journal_ref or paper.venue,
        url=paper_url(paper),
    )


def write_sections(
    client: LLMClient | None,
    topic: str,
    themes: Sequence[Theme],
    candidates: Sequence[Candidate],
    words: int,
    trace: Trace,
    concurrency: int = 1,
    on_section: Callable[[Section], None] | None = None,
) -> tuple[list[Section], list[DroppedSentence]]:
    """Every theme's section, in outline order (model calls run ``concurrency`` at a time)."""
    per_theme = max(60, words // max(1, len(themes)))
    if client is None:
        sections = [extractive_section(topic, t, _members(t, candidates)) for t in themes]
        return sections, []

    def one(theme: Theme) -> tuple[Section, list[DroppedSentence]]:
        result = write_section(client, topic, theme, candidates, per_theme, trace)
        if on_section:
            on_section(result[0])
        return result

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(one, themes))
    sections = [s for s, _ in results]
    dropped = [d for _, ds in results for d in ds]
    return sections, dropped


# -- verification (--verify) ----------------------------------------------------------


def verify_sections(
    verifier: Verifier,
    topic: str,
    sections: Sequence[Section],
    candidates: Sequence[Candidate],
) -> tuple[list[Section], list[DroppedSentence], list[str]]:
    """The judge reads every written sentence that passed the rules (quoted ones are the
    abstracts' own words and are not asked about) against each paper it cites
    (``reviewer.tasks.verify``). A sentence no cited abstract supports is dropped like a
    rule failure; a kept sentence with a citation that does not support it carries the
    problem and is noted. A theme left without a sentence is quoted from its abstracts
    instead, as when the rules drop every sentence. Returns the sections, the sentences
    dropped and the notes."""
    by_key = {c.key: c for c in candidates}
    asked = [
        (i, j, sentence)
        for i, section in enumerate(sections)
        for j, sentence in enumerate(section.sentences)
        if not sentence.quote
    ]
    verdicts = verifier.each(
        asked,
        lambda item: verifier.sentence(
            item[2].text, [(key, by_key[key].source) for key in item[2].citations]
        ),
    )
    verdict_of = {(i, j): v for (i, j, _), v in zip(asked, verdicts, strict=True)}
    result: list[Section] = []
    dropped: list[DroppedSentence] = []
    notes: list[str] = []
    for i, section in enumerate(sections):
        kept: list[CitedSentence] = []
        for j, sentence in enumerate(section.sentences):
            verdict = verdict_of.get((i, j))
            if verdict is None:
                kept.append(sentence)
                continue
            if verdict.verdict == "unsupported":
                dropped.append(
                    DroppedSentence(
                        theme=section.theme,
                        text=sentence.text,
                        citations=list(sentence.citations),
                        reasons=[str(p) for p in verdict.problems],
                        kinds=[p.kind for p in verdict.problems],
                    )
                )
                continue
            problems = [f"{p.kind}: {p}" for p in verdict.problems]
            kept.append(
                sentence.model_copy(update={"verdict": verdict.verdict, "problems": problems})
            )
            if problems:
                notes.append(f"{section.theme}: {sentence.text[:80]!r}: " + "; ".join(problems))
        if kept or not section.sentences:
            result.append(section.model_copy(update={"sentences": kept}))
            continue
        theme = Theme(title=section.theme, paper_ids=section.paper_ids, source=section.theme_source)
        quoted = extractive_section(topic, theme, _members(theme, candidates))
        quoted.note = (
            "the judge supported no sentence of the model's paragraph: sentences quoted "
            "from the abstracts instead"
        )
        result.append(quoted)
    return result, dropped, notes
