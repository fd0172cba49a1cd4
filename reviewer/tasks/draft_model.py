"""What the model is asked for when writing related work, and the rules its answers must
pass before anything is printed as fact.

Three requests: query variants (other phrasings of the topic, to widen retrieval), an
outline (the retrieved papers grouped into themes), and one paragraph per theme as a
list of sentences, each with the citation keys it rests on.

Sentence rules (``sentence_problems``), enforced in code:
- every citation key is one of the papers given for the paragraph (the retrieved ones);
- a sentence that states a finding (a number, or a claim verb such as "achieves",
  "outperforms", "proposes") carries at least one citation;
- every number occurs in a cited abstract (or its title);
- most of its content words occur in the cited abstracts: a sentence about something
  its citations do not discuss is refused;
- no looping text, no sentence twice, no sentence cut off before its full stop.

Citation keys may also arrive inline (``... as shown in [ma2024segment].``): they are
moved to the sentence's citations before the rules run. Answers that break a rule go
back to the model with the list of problems; what still fails is dropped and reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    model_validator,
)

from reviewer.claims import Problem, claim_problems, repeated_word, without_names
from reviewer.grounding import (
    content_words,
    is_repetitive,
    normalize_ws,
    numbers_in,
    unsupported_numbers,
    unsupported_share,
)

SENTENCE = 400  # characters; about 60 words
THEME_TITLE = 80
QUERY = 100

# Words that link and contrast the papers of a paragraph: they say how sources relate,
# not what a source says, so the word-support rule does not count them.
DISCOURSE_WORDS = frozenset(
    [
        "contrast",
        "unlike",
        "whereas",
        "similarly",
        "likewise",
        "instead",
        "however",
        "rather",
        "meanwhile",
        "moreover",
        "furthermore",
        "additionally",
        "together",
        "complementary",
        "complement",
        "complements",
        "alternative",
        "alternatively",
        "differ",
        "differs",
        "different",
        "difference",
        "similar",
        "both",
        "either",
        "neither",
        "several",
        "various",
        "many",
        "recent",
        "recently",
        "prior",
        "previous",
        "earlier",
        "later",
        "line",
        "lines",
        "direction",
        "directions",
        "focus",
        "focuses",
        "focused",
        "focusing",
        "theme",
        "themes",
        "work",
        "works",
        "studies",
        "paper",
        "papers",
        "authors",
        "approaches",
        "techniques",
        "research",
        "literature",
        "method",
        "proposed",
        "propose",
        "proposes",
        "other",
        "others",
        "another",
        "first",
        "second",
        "third",
        "finally",
        "also",
        "further",
        "thus",
        "therefore",
        "hence",
        "while",
        "each",
        "respectively",
        "specifically",
        "notably",
        "particular",
        "particularly",
        "instance",
        "example",
        "examples",
        "demonstrates",
        "demonstrate",
        "shown",
        "show",
        "shows",
        "report",
        "reports",
        "reported",
        "introduce",
        "introduces",
        "introduced",
        "present",
        "presents",
        "presented",
        "explore",
        "explores",
        "explored",
        "address",
        "addresses",
        "addressed",
    ]
)

# A sentence states a finding when it has a number or one of these claim words.
_FINDING = re.compile(
    r"\b(?:achiev|outperform|surpass|exceed|improv|reduc|increas|decreas|boost|lower|"
    r"higher|better|superior|inferior|faster|fewer|competitive|comparable|state-of-the-art|"
    r"sota|yield|attain|obtain|reach|show|demonstrat|report|find|found|reveal|indicat|"
    r"suggest|confirm|establish|prov|enabl|propos|introduc|present|develop|design|"
    r"adapt|fine-?tun|extend|leverag|combin|integrat|incorporat|evaluat|benchmark|"
    r"train|appl|employ|utiliz|uses|used|using|process|produc|requir|reli|rely|"
    r"captur)\w*",
    re.IGNORECASE,
)
_MARKER = re.compile(r"\s*\[([^\[\]]{1,300})\]")


def states_finding(text: str) -> bool:
    """True for a sentence that says what some work does or finds (so must cite it)."""
    return bool(numbers_in(text)) or bool(_FINDING.search(text))


def split_markers(text: str) -> tuple[str, list[str]]:
    """Inline citation markers ``[key]`` / ``[key1; key2]`` taken out of the text."""
    keys: list[str] = []

    def take(match: re.Match[str]) -> str:
        for part in re.split(r"[;,]", match.group(1)):
            part = part.strip().lstrip("@").strip()
            if part:
                keys.append(part)
        return ""

    cleaned = _MARKER.sub(take, text)
    cleaned = re.sub(r"\s+([.,;:!?])", r"\1", cleaned)
    return normalize_ws(cleaned), keys


def sentence_problems(
    text: str,
    citations: Sequence[str],
    sources: dict[str, str],
    context_text: str = "",
    *,
    written_by_model: bool = True,
) -> list[str]:
    """What is wrong with one sentence, each problem a ``Problem`` (a message with a
    ``kind``). ``sources``: citation key -> title and abstract of each paper the
    sentence may cite; ``context_text``: the topic and theme title, whose words a
    sentence may use freely. ``written_by_model``: a model's draft must also not speak
    in the authors' voice, nor frame the text ("This section reviews ...")."""
    problems: list[str] = []
    if len(content_words(text)) < 2:
        return [Problem("says-nothing", "says nothing (fewer than two content words)")]
    if not text.rstrip().rstrip("\"'”’)").endswith((".", "!", "?")):
        return [Problem("cut-off", "is cut off: a sentence ends with a full stop")]
    if written_by_model and len(text) > SENTENCE:
        return [
            Problem(
                "too-long",
                f"is too long ({len(text.split())} words): split it into sentences of at "
                "most 40 words",
            )
        ]
    if written_by_model:
        problems += keys_as_names(text, sources)
    unknown = [c for c in citations if c not in sources]
    if unknown:
        problems.append(
            Problem(
                "unknown-citation",
                f"cites {', '.join(repr(c) for c in unknown)}, "
                "which is not one of the papers given",
            )
        )
    cited = [c for c in citations if c in sources]
    if not citations and states_finding(text):
        problems.append(Problem("uncited-finding", "states a finding but cites no paper"))
    cited_text = "\n".join(sources[c] for c in cited)
    if cited:
        bad = unsupported_numbers(without_names(text), cited_text)
        if bad:
            problems.append(
                Problem(
                    "number-unsupported", f"numbers not in the cited abstracts: {', '.join(bad)}"
                )
            )
    basis = cited_text if cited else "\n".join(sources.values())
    if not cited and not written_by_model:
        pass  # a person's linking prose that cites nothing rests on no abstract
    elif unsupported_share(text, f"{basis}\n{context_text}", ignore=DISCOURSE_WORDS) > 0.5:
        problems.append(
            Problem(
                "unsupported-words",
                "most of its words are not in the cited abstracts"
                if cited
                else "most of its words are not in the papers' abstracts",
            )
        )
    elif is_repetitive(text):
        problems.append(Problem("repetitive", "repeats the same few words"))
    problems += claim_problems(
        text,
        cited,
        sources,
        context_text,
        ignore=DISCOURSE_WORDS,
        written_by_model=written_by_model,
    )
    return problems


def _squashed(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def keys_as_names(text: str, sources: dict[str, str]) -> list[Problem]:
    """A citation key written into the prose as if it were a name ("The
    learningconfident paper proposes ..."), where the paper itself has no such name: a
    reader sees a made-up word. A key that is the paper's own name (SAM3D, DiffAtlas)
    is fine."""
    found = []
    for key in sources:
        if not re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text, re.IGNORECASE):
            continue
        if _squashed(key) in _squashed(sources[key]):
            continue
        found.append(
            Problem(
                "key-as-name",
                f"names a paper by its citation key {key!r}: name its method, or write "
                "'this paper' and cite it",
                (key,),
            )
        )
    return found


# -- query variants ----------------------------------------------------------------


class QueryVariants(BaseModel):
    """Other phrasings of the topic, for retrieval."""

    model_config = ConfigDict(extra="ignore")

    queries: list[Annotated[str, Field(max_length=QUERY)]] = Field(
        default_factory=list,
        max_length=3,
        description="Up to 3 search queries that say the same topic in other words.",
    )

    @model_validator(mode="after")
    def _usable(self, info: ValidationInfo) -> QueryVariants:
        topic = (info.context or {}).get("topic")
        if topic is None:
            return self
        problems = [f"queries[{i}]: {p}" for i, p in query_problems(self.queries, topic)]
        if problems:
            raise ValueError("These queries cannot be used:\n- " + "\n- ".join(problems))
        return self


def query_problems(queries: Sequence[str], topic: str) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    seen = {normalize_ws(topic).lower()}
    for i, query in enumerate(queries):
        norm = normalize_ws(query).lower()
        if len(content_words(query)) < 2:
            problems.append((i, "too short to search with"))
        elif norm in seen:
            problems.append((i, "repeats the topic or an earlier query"))
        elif is_repetitive(query):
            problems.append((i, "repeats the same few words"))
        seen.add(norm)
    return problems


# -- outline -----------------------------------------------------------------------


class ThemeDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str = Field(max_length=THEME_TITLE, description="A short name for the theme.")
    papers: list[str] = Field(description="Citation keys of the papers in this theme.")


class OutlineDraft(BaseModel):
    """The retrieved papers grouped into themes."""

    model_config = ConfigDict(extra="ignore")

    themes: list[ThemeDraft] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _valid(self, info: ValidationInfo) -> OutlineDraft:
        context = info.context or {}
        if "sources" not in context:
            return self
        problems = outline_problems(
            self,
            context["sources"],
            context.get("max_themes", 6),
            context.get("themes_wanted", 0),
        )
        if problems:
            raise ValueError(
                "This outline does not fit the papers; fix it:\n- " + "\n- ".join(problems)
            )
        return self


def outline_problems(
    outline: OutlineDraft, sources: dict[str, str], max_themes: int, wanted: int = 0
) -> list[str]:
    """What is wrong with an outline. ``wanted``: the themes asked for (with two papers
    for each at least); fewer is a problem, so the model is asked again."""
    problems: list[str] = []
    placed: dict[str, int] = {}
    for i, theme in enumerate(outline.themes):
        where = f"themes[{i}]"
        if not theme.papers:
            problems.append(f"{where}: has no papers")
        for key in theme.papers:
            if key not in sources:
                problems.append(f"{where}: {key!r} is not one of the papers given")
            elif key in placed:
                problems.append(f"{where}: {key!r} is already in themes[{placed[key]}]")
            else:
                placed[key] = i
        problems += [f"{where}.title: {p}" for p in theme_title_problems(theme, sources)]
    if len(outline.themes) > max_themes:
        problems.append(f"{len(outline.themes)} themes; use at most {max_themes}")
    if len(outline.themes) < wanted:
        got = len(outline.themes)
        problems.append(
            f"asked for {wanted} themes over {len(sources)} papers; got {got}: "
            f"group the papers into {wanted} themes, each with its own papers"
        )
    missing = [k for k in sources if k not in placed]
    if missing:
        problems.append(f"papers in no theme: {', '.join(missing)}; place every paper")
    return problems


def theme_title_problems(theme: ThemeDraft, sources: dict[str, str]) -> list[str]:
    title = theme.title
    if len(content_words(title)) < 1:
        return ["empty or says nothing"]
    basis = "\n".join(sources[k] for k in theme.papers if k in sources)
    if not basis:
        return []
    if unsupported_share(title, basis, ignore=DISCOURSE_WORDS) > 0.5:
        return ["most of its words are not in its papers' titles or abstracts"]
    if is_repetitive(title):
        return ["repeats the same few words"]
    if (word := repeated_word(title)) is not None:
        return [f"repeats a word ({word!r} twice in a row)"]
    return []


# -- paragraphs --------------------------------------------------------------------


class SentenceDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # No maxLength in the schema: a server that turns the schema into a grammar cuts a
    # longer sentence off mid-word, and the model carries on in the next item (measured
    # with Qwen2.5-Coder-1.5B: 15 of 20 sentences cut at 300 characters). Length is a
    # rule instead, re-asked like any other.
    text: str = Field(description="One sentence of at most 40 words, without citation keys.")
    citations: list[str] = Field(
        default_factory=list, description="Keys of the papers this sentence rests on."
    )

    @model_validator(mode="before")
    @classmethod
    def _inline_markers(cls, data: Any) -> Any:
        """Keys written inline as [key] join the citations."""
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            text, keys = split_markers(data["text"])
            if keys:
                cited = [c for c in data.get("citations") or [] if isinstance(c, str)]
                data = {**data, "text": text, "citations": list(dict.fromkeys(cited + keys))}
        return data


class ParagraphDraft(BaseModel):
    """One paragraph on one theme: sentences with their citations."""

    model_config = ConfigDict(extra="ignore")

    sentences: list[SentenceDraft] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> ParagraphDraft:
        context = info.context or {}
        sources = context.get("sources")
        if sources is None:
            return self
        problems = paragraph_problems(self, sources, context.get("context_text", ""))
        cited = {c for s in self.sentences for c in s.citations}
        uncited = [k for k in sources if k not in cited]
        if uncited and context.get("cite_all", True):
            problems.append(f"paragraph: cites none of {', '.join(uncited)}; cite every paper")
        written = sum(len(s.text.split()) for s in self.sentences)
        if written < context.get("min_words", 0):
            problems.append(
                f"paragraph: {written} words; write about {context.get('words', 0)} words, "
                "one sentence for each thing a paper does or finds"
            )
        if problems:
            raise ValueError(
                "These sentences are not supported by the papers; fix or remove them:\n- "
                + "\n- ".join(problems)
            )
        return self


def sentence_verdicts(
    paragraph: ParagraphDraft, sources: dict[str, str], context_text: str = ""
) -> list[tuple[SentenceDraft, list[str]]]:
    """Each sentence with what is wrong with it (empty when it passes every rule); a
    sentence that passes but repeats an earlier one is refused too."""
    verdicts: list[tuple[SentenceDraft, list[str]]] = []
    seen: set[str] = set()
    for sentence in paragraph.sentences:
        norm = normalize_ws(sentence.text).lower()
        found = sentence_problems(sentence.text, sentence.citations, sources, context_text)
        if norm in seen and not found:
            found = [Problem("repeat", "repeats an earlier sentence")]
        seen.add(norm)
        verdicts.append((sentence, found))
    return verdicts


def paragraph_problems(
    paragraph: ParagraphDraft, sources: dict[str, str], context_text: str = ""
) -> list[str]:
    return [
        f"sentences[{i}] ({sentence.text[:60]!r}): {p}"
        for i, (sentence, found) in enumerate(sentence_verdicts(paragraph, sources, context_text))
        for p in found
    ]


def _key_type(keys: Sequence[str]) -> Any:
    # The enum goes into the JSON schema, so a server that turns schemas into grammars
    # (llama.cpp, OpenAI strict mode) can only write real keys; the validators above
    # still check every key, for servers that do not.
    return Annotated[str, Field(max_length=120, json_schema_extra={"enum": list(keys)})]


def paragraph_model(keys: Sequence[str]) -> type[ParagraphDraft]:
    """ParagraphDraft whose citation keys are limited to ``keys`` in the JSON schema."""
    cites: Any = list[_key_type(keys)]  # type: ignore[misc]
    # Required, and at least one key in the schema (so a grammar makes the model cite);
    # the validators, not pydantic, judge an answer that cites nothing.
    sentence: Any = create_model(
        "Sentence",
        __base__=SentenceDraft,
        citations=(cites, Field(max_length=min(6, len(keys)), json_schema_extra={"minItems": 1})),
    )
    return create_model(
        "Paragraph",
        __base__=ParagraphDraft,
        sentences=(list[sentence], Field(min_length=1, max_length=12)),
    )


def outline_model(
    keys: Sequence[str], max_themes: int = 8, min_themes: int = 1
) -> type[OutlineDraft]:
    """OutlineDraft whose paper keys are limited to ``keys`` in the JSON schema, with
    ``min_themes`` to ``max_themes`` themes there (a grammar-constrained server writes
    that many; the validators judge the count for servers that do not)."""
    papers: Any = list[_key_type(keys)]  # type: ignore[misc]
    theme: Any = create_model(
        "Theme", __base__=ThemeDraft, papers=(papers, Field(min_length=1, max_length=len(keys)))
    )
    return create_model(
        "Outline",
        __base__=OutlineDraft,
        themes=(
            list[theme],
            Field(
                min_length=1,
                max_length=max(1, max_themes),
                json_schema_extra={"minItems": max(1, min(min_themes, max_themes))},
            ),
        ),
    )
