"""Checks of one sentence against the papers it cites, paper by paper.

``grounding.py`` asks whether a sentence's words and numbers occur in its sources. This
module asks whether they occur in the right source and say the same thing there:

- attribution: each number occurs in a cited abstract that also carries what the
  sentence ties the number to (the names and words of its clause), and each name the
  sentence uses (a method, dataset or model: a word with a capital inside or a digit, an
  acronym, a capitalised word inside the sentence) occurs in a cited abstract;
- direction and negation: the sentence is compared with the best-matching sentences of
  the cited abstracts; a negation on one side only, or words of opposite direction
  (higher/lower, increases/decreases, outperforms/underperforms ...), is a conflict;
- comparisons: "A outperforms B" needs a cited abstract that names both and puts them in
  that order;
- citations that earn their place: with several citations, each cited paper carries a
  part of the sentence that the others do not, or most of the sentence on its own (the
  lexical counterpart of ALCE's citation precision);
- form: a sentence about the text itself ("This section reviews ..."), a fragment cut
  out of an abstract, or an abstract's words copied without quotation marks.

Every check is lexical and deterministic: it catches the common ways a sentence goes
wrong, not every way (a paraphrase that reverses meaning without a direction word or a
negation passes). Each problem comes with a kind, so a report can count them.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from reviewer.grounding import (
    content_words,
    name_in,
    normalize_ws,
    numbers_in,
    split_sentences,
)


class Problem(str):
    """A problem's message, with its kind (``problem.kind``) and the citation keys it
    is about, where it is about some (``problem.keys``)."""

    kind: str
    keys: tuple[str, ...]

    def __new__(cls, kind: str, message: str, keys: tuple[str, ...] = ()) -> Problem:
        made = super().__new__(cls, message)
        made.kind = kind
        made.keys = keys
        return made


def kind_of(problem: str) -> str:
    return getattr(problem, "kind", "other")


# -- words ---------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9α-ωΑ-Ω][\w\-+/.'’]*[\w+]|[A-Za-z0-9α-ωΑ-Ω]")

NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "neither",
        "nor",
        "none",
        "nothing",
        "cannot",
        "cant",
        "can't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "won't",
        "fail",
        "fails",
        "failed",
        "failing",
        "unable",
        "without",
        "unrelated",
        "uninvolved",
        "incapable",
        "ineffective",
        "insignificant",
        "nonsignificant",
        "non-significant",
        "irrespective",
        "unaffected",
        "unchanged",
    ]
)
# Words whose direction is up or down. Stems: a word matches when it starts with one.
_UP = (
    "increas",
    "higher",
    "more",
    "greater",
    "larger",
    "rais",
    "enhanc",
    "promot",
    "elevat",
    "improv",
    "better",
    "faster",
    "boost",
    "upregulat",
    "up-regulat",
    "stimulat",
    "accelerat",
    "exacerbat",
    "augment",
    "amplif",
    "superior",
    "outperform",
    "surpass",
    "exceed",
    "longer",
    "gain",
    "rise",
    "rose",
    "strengthen",
    "facilitat",
    "potentiat",
    "induc",
    "activat",
    "cause",
    "causes",
    "caused",
    "causing",
    "worsen",
)
_DOWN = (
    "decreas",
    "lower",
    "less",
    "fewer",
    "reduc",
    "diminish",
    "suppress",
    "inhibit",
    "impair",
    "poorer",
    "poor",
    "slower",
    "smaller",
    "declin",
    "attenuat",
    "downregulat",
    "down-regulat",
    "delay",
    "prevent",
    "block",
    "inferior",
    "underperform",
    "shorter",
    "weaken",
    "loss",
    "abolish",
    "abrogat",
    "counteract",
    "protect",
    "destabiliz",
    "destabilis",
    "limit",
    "deplet",
    "drop",
    "fell",
    "fall",
)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text))


def _direction(word: str) -> int:
    w = word.lower()
    if w in ("worse", "worsened", "worsening"):
        return 0  # judged by the pairs above
    if any(w.startswith(stem) for stem in _DOWN):
        return -1
    if any(w.startswith(stem) for stem in _UP):
        return 1
    return 0


def directions(text: str) -> set[int]:
    return {d for t in _tokens(text) if (d := _direction(t))}


def _is_negation(word: str) -> bool:
    w = word.lower().replace("’", "'")
    return w in NEGATIONS or w.endswith("n't")


_NEGATED_ADJECTIVES = frozenset(
    [
        "unrelated",
        "uninvolved",
        "incapable",
        "ineffective",
        "insignificant",
        "unaffected",
        "unchanged",
        "nonsignificant",
        "non-significant",
        "absent",
    ]
)
_SCOPE_END = re.compile(r"[,;:()]|\b(?:but|whereas|while|although|though|however)\b", re.I)


def negated(text: str, about: set[str] | None = None, reach: int = 8) -> bool:
    """True when the text has a negation; with ``about`` (word stems), only a negation
    whose scope (the words after it, up to a comma, a bracket or a contrast word, at
    most ``reach``) holds one of them or a direction word counts: "but not naive cells"
    does not negate a sentence about memory cells. A negated adjective ("unrelated")
    also reaches back over its clause."""
    if about is None:
        return any(_is_negation(w) for w in _tokens(text))
    for match in re.finditer(r"\S+", text):
        word = match.group().strip(".,;:()[]\"'“”")
        if word.lower() in ("lacking", "lacked") and re.search(
            r"\bevidence\s+(?:was|is|were|are)\s*$", text[: match.start()], re.I
        ):
            word = "not"  # "evidence was lacking for X" denies X
        if not _is_negation(word):
            continue
        if word.lower() == "no" and re.search(r"\bwith\s*$", text[: match.start()], re.I):
            continue  # "patients with no history of X" describes a group
        if word.lower() in ("fail", "fails", "failed", "failing") and not re.match(
            r"\s+to\b", text[match.end() :]
        ):
            continue  # "failed procedures" negates nothing; "failed to reduce" does
        rest = " ".join(_tokens(_SCOPE_END.split(text[match.end() :], maxsplit=1)[0])[:reach])
        if word.lower() in _NEGATED_ADJECTIVES:
            rest += " " + _SCOPE_END.split(text[: match.start()])[-1]
        if _stems(rest) & about or directions(rest):
            return True
    return False


def _stems(text: str) -> set[str]:
    return {w[:5] for w in content_words(text)}


# A sentence that states an aim, a question or background asserts nothing either way:
# "To assess whether screening leads to improvements" is no evidence that it does.
_NOT_A_STATEMENT = re.compile(
    r"^(?:(?:background|objectives?|aims?|purpose|importance|context|introduction|"
    r"rationale|question|methods?|design|setting|participants|patients and methods|"
    r"to\s+(?:delineate|characteri[sz]e|identify|understand|elucidate|address|clarify|"
    r"define|quantify|estimate|measure|describe)|"
    r"main outcome measures?|measurements|study selection|data sources|data extraction|"
    r"data synthesis|search strategy|selection criteria|eligibility criteria)\b|"
    r"(?:the\s+)?(?:effects?|efficacy|effectiveness|impact|role|influence)\s+of\b|"
    r"if\b|(?:to|we)\s+(?:assess|determine|investigate|examine|"
    r"evaluate|explore|test|compare|study|ask)\b)|\bwhether\b|\bhypothes[ie]s\b|\?\s*$",
    re.IGNORECASE,
)


def statements(source: str) -> list[str]:
    """The sentences of an abstract that state something: its title (a first line
    without a full stop) and sentences of aims, questions or background are left out."""
    lines = [line.strip() for line in source.split("\n") if line.strip()]
    lines = [line if line.endswith((".", "!", "?")) else line + "." for line in lines]
    found = []
    for sentence in split_sentences(" ".join(lines)):
        if not _NOT_A_STATEMENT.search(sentence):
            found.append(sentence)
    return found


def best_sentences(claim: str, source: str, keep: float = 0.6) -> list[str]:
    """The source's statements that share the most content words with the claim (those
    within ``keep`` of the best), best first; none when no sentence shares two."""
    wanted = _stems(claim)
    found = statements(source)
    stems = [_stems(sentence) for sentence in found]
    scored = []
    for sentence, group in zip(found, stems, strict=True):
        shared = wanted & group
        if len(shared) >= 2:
            scored.append((float(len(shared)), sentence))
    if not scored:
        return []
    top = max(s for s, _ in scored)
    return [s for n, s in sorted(scored, key=lambda x: -x[0]) if n >= keep * top]


# Absolute words a claim may add to what an abstract states ("determined solely by").
_ABSOLUTE = re.compile(
    r"\b(?:solely|exclusively|entirely|completely|always|never|only|sole|all|every|"
    r"universally|invariably|no\s+(?:effect|role|involvement|association|impact|influence))\b",
    re.IGNORECASE,
)


MARGIN = 1.5
MIN_SHARE = 0.35


def polarity_conflict(
    claim: str, source: str, titles: Iterable[str] | None = None
) -> Problem | None:
    """A negation on one side only, opposite direction words, or an absolute word
    ("solely", "always", "no effect") that none of the best-matching sentences of the
    source has."""
    matches = best_sentences(claim, source)
    if not matches:
        return None
    absolute = _ABSOLUTE.findall(claim)
    if absolute and not any(
        re.search(rf"\b{re.escape(word.split()[0])}\b", m, re.IGNORECASE)
        for m in matches
        for word in absolute
    ):
        return Problem(
            "overstated",
            f"says {absolute[0]!r}, which the matching sentences of the abstract do not "
            f"(abstract: {_shorten(matches[0])!r})",
        )
    claim_dir = directions(claim)
    titles = {t.strip().rstrip(".") for t in titles or ()}
    titles |= {
        line.strip()
        for line in source.split("\n")
        if line.strip() and line.strip()[-1] not in ".!?"
    }
    # Each matching sentence votes, weighted by the words it shares with the claim:
    # against (a conflict), for (same negation and a shared direction), or not at all
    # (no direction word, or words of both directions).
    against = support = 0.0
    first: Problem | None = None
    for sentence in matches:
        weight = float(len(_stems(claim) & _stems(sentence)))
        is_title = sentence.rstrip(".") in titles
        votes = [
            _vote(claim, claim_dir, clause, _stems(claim) & _stems(clause), is_title)
            for clause in best_clauses(claim, sentence)
        ]
        if any(v == "for" for v in votes):
            support += weight
        elif all(isinstance(v, Problem) for v in votes):
            against += weight
            first = first or next(v for v in votes if isinstance(v, Problem))
    return first if first is not None and against > MARGIN * support else None


def _vote(
    claim: str, claim_dir: set[int], clause: str, shared: set[str], is_title: bool = False
) -> Problem | str:
    found = _conflict(claim, negated(claim, shared), claim_dir, clause, shared)
    if found is not None and len(shared) < MIN_SHARE * len(_stems(claim)):
        return "none"  # too loosely matched to contradict the claim
    if found is not None:
        if found.kind == "negation" and is_title and not directions(clause):
            return "none"  # a title without a direction word states nothing to negate
        return found
    clause_dir = directions(clause)
    if claim_dir and (not clause_dir or len(clause_dir) > 1):
        return "none"
    return "for"


_CLAUSE_BREAK = re.compile(r";|,?\s+(?:but|whereas|while|although|though|however)\s+")


def best_clauses(claim: str, sentence: str) -> list[str]:
    """The clauses of a sentence sharing the most content words with the claim (a
    clause without a shared word joins the one before it)."""
    wanted = _stems(claim)
    parts = [p for p in _CLAUSE_BREAK.split(sentence) if p and p.strip()]
    clauses: list[str] = []
    for part in parts:
        if clauses and not (wanted & _stems(part)):
            clauses[-1] += ", " + part
        else:
            clauses.append(part)
    scored = [(len(wanted & _stems(c)), c) for c in clauses]
    top = max((n for n, _ in scored), default=0)
    return [c for n, c in scored if n == top] or [sentence]


def _conflict(
    claim: str, claim_neg: bool, claim_dir: set[int], sentence: str, shared: set[str]
) -> Problem | None:
    source_neg = negated(sentence, shared)
    source_dir = directions(sentence)
    opposite = bool(claim_dir and source_dir) and not (claim_dir & source_dir)
    shown = _shorten(sentence)
    if claim_neg != source_neg and not opposite:
        side = "the sentence" if claim_neg else "the abstract"
        return Problem(
            "negation",
            f"negation conflict: {side} negates what the other states (abstract: {shown!r})",
        )
    if claim_neg == source_neg and opposite:
        return Problem(
            "direction",
            f"direction conflict: the abstract says the opposite (abstract: {shown!r})",
        )
    return None


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- names and attribution -------------------------------------------------------------

_STRONG_NAME = re.compile(
    r"^(?=.*[A-Za-z])(?:[A-Za-z0-9]*[a-z0-9][A-Z][\w\-+]*|[A-Z][A-Z0-9\-+]+|"
    r"[A-Za-z]+[\-]?\d[\w\-+]*|\d+[A-Za-z][\w\-+]*)$"
)
# Capitalised words that name no method, dataset or model.
_PLAIN = frozenset(
    [
        "A",
        "An",
        "The",
        "This",
        "These",
        "Those",
        "That",
        "It",
        "Its",
        "In",
        "On",
        "At",
        "For",
        "From",
        "With",
        "Without",
        "By",
        "To",
        "Of",
        "And",
        "Or",
        "But",
        "We",
        "Our",
        "They",
        "Their",
        "Unlike",
        "Like",
        "While",
        "Whereas",
        "However",
        "Moreover",
        "Furthermore",
        "Similarly",
        "Both",
        "Each",
        "Several",
        "Many",
        "Most",
        "Some",
        "Other",
        "Another",
        "Recent",
        "Recently",
        "Prior",
        "Previous",
        "Earlier",
        "Later",
        "First",
        "Second",
        "Third",
        "Finally",
        "Also",
        "Instead",
        "Although",
        "Though",
        "Section",
        "Table",
        "Figure",
        "Fig",
        "Eq",
        "Appendix",
        "I",
        "II",
        "III",
        "IV",
    ]
)


def names(text: str) -> list[str]:
    """The words of a sentence that name something (a method, dataset, model or
    quantity): an inner capital or a digit ("SAM3D", "nnU-Net", "GPT-4", "ApoE4"), or
    all capitals ("BTCV", "SAM"). Plain capitalised words are not names here: too many
    ordinary words start a clause with a capital."""
    found = []
    for token in _tokens(text):
        token = token.strip(".'’-+")
        if len(token) < 2 or token in _PLAIN or token.isdigit():
            continue
        if re.fullmatch(r"\d+(?:[.,]\d+)*%?|\d+(?:st|nd|rd|th|s)|[IVX]+", token):
            continue
        if _STRONG_NAME.match(token):
            found.append(token)
    return list(dict.fromkeys(found))


_MIXED = re.compile(r"\b(?=[\w]*[A-Za-z])(?=[\w]*\d)\w+\b")


def without_names(text: str) -> str:
    """The text with words that mix letters and digits ("SAM3D", "P2SAM", "3D", "K164")
    blanked: their digits are part of a name, not a value to find in a source."""
    return _MIXED.sub(" ", unicodedata.normalize("NFKC", text))


def clause_of(text: str, start: int) -> str:
    """The clause of ``text`` around position ``start`` (split at ; , and contrast
    words)."""
    bounds = [0]
    bounds += [m.end() for m in re.finditer(r"[;,]\s*|\s(?:while|whereas|but|and)\s", text)]
    begin = max(b for b in bounds if b <= start)
    nxt = [m.start() for m in re.finditer(r"[;,]|\s(?:while|whereas|but|and)\s", text)]
    end = min([n for n in nxt if n >= start] or [len(text)])
    return text[begin:end]


def _share_in(words: Iterable[str], source: str) -> float:
    words = list(words)
    if not words:
        return 1.0
    stems = _stems(source)
    return sum(w[:5] in stems for w in words) / len(words)


def number_attribution(
    text: str, cited: Mapping[str, str], ignore: frozenset[str] = frozenset()
) -> list[Problem]:
    """Each number must occur in a cited abstract that also carries what its clause
    ties it to: every name of the clause and half of its other content words."""
    from reviewer.grounding import _canonical_number

    problems: list[Problem] = []
    if len(cited) < 2:
        return problems
    # A digit inside a word ("SAM3D", "P2SAM", "3D") is part of a name, not a value.
    value = r"(?<![\w.,])\d+(?:[.,]\d+)*(?![A-Za-z])"
    for match in re.finditer(value, unicodedata.normalize("NFKC", text)):
        token = match.group()
        forms = _canonical_number(token)
        holders = [
            key
            for key, source in cited.items()
            if any(_canonical_number(n) & forms for n in numbers_in(source))
        ]
        if not holders:
            continue  # reported as a number in no cited abstract
        clause = clause_of(text, match.start())
        clause_names = [n for n in names(clause) if token not in n]
        if len([w for w in content_words(clause) if w not in ignore]) < 4:
            # Too short to say what the number is about: widen to the part of the
            # sentence on this side of a contrast ("while", "whereas", "but", ";").
            part = re.split(r";|\s(?:while|whereas|but)\s", text[match.start() :], maxsplit=1)[0]
            head = re.split(r";|\s(?:while|whereas|but)\s", text[: match.start()])[-1]
            clause = head + part
        words = [w for w in content_words(clause) if w not in ignore]
        shares = {key: _share_in(words, source) for key, source in cited.items()}
        best_other = max((v for k, v in shares.items() if k not in holders), default=0.0)
        if any(
            all(name_in(n, cited[h]) for n in clause_names)
            and shares[h] >= 0.5
            and shares[h] + 0.25 > best_other
            for h in holders
        ):
            continue
        owners = [
            key
            for key, source in cited.items()
            if key not in holders and all(name_in(n, source) for n in clause_names)
        ]
        missing = [n for n in clause_names if not name_in(n, cited[holders[0]])]
        tied = ", ".join(missing or clause_names) if clause_names else "its other words"
        problems.append(
            Problem(
                "number-misattributed",
                f"{token} is in [{', '.join(holders)}], but what the sentence ties it to "
                f"({tied}) is "
                + (f"in [{', '.join(owners)}]" if owners else "not in that abstract"),
            )
        )
    return problems


def _title(source: str) -> str:
    return source.split("\n", 1)[0]


_INTRODUCES = re.compile(
    r"\b(?:propose|proposes|introduce|introduces|present|presents|called|named|dubbed|"
    r"termed)\b[^.;]{0,80}",
    re.IGNORECASE,
)


def own_names(source: str) -> set[str]:
    """The names a paper gives its own method, model or dataset: those before a colon in
    its title ("SAM3D: ...") and those its abstract introduces ("we propose X-Net")."""
    title = _title(source)
    found = set(names(title.split(":", 1)[0])) if ":" in title else set()
    for match in _INTRODUCES.finditer(source):
        found |= set(names(match.group(0)))
    return found


def name_problems(
    text: str,
    cited: Mapping[str, str],
    uncited: Mapping[str, str],
    context_text: str = "",
    *,
    written_by_model: bool = True,
) -> list[Problem]:
    """A name in no cited abstract (nor the context): when it is an uncited paper's own
    name for its method (``own_names``), the sentence names that paper's method without
    citing it; otherwise, in a
    model's draft, the name comes from nowhere. (People write names from what they
    know, "MRI" or a gene's full name, so text they wrote is held to the first rule
    only.)"""
    problems: list[Problem] = []
    for name in names(text):
        if any(name_in(name, source) for source in cited.values()):
            continue
        if context_text and name_in(name, context_text):
            continue
        owners = [key for key, source in uncited.items() if name in own_names(source)]
        if owners:
            problems.append(
                Problem(
                    "uncited-source",
                    f"names {name}, the method of [{', '.join(owners[:3])}], "
                    "which it does not cite",
                )
            )
        elif cited and written_by_model:
            problems.append(
                Problem("unknown-name", f"names {name}, which no cited abstract mentions")
            )
    return problems


_COMPARATIVE = re.compile(
    r"\b(?:outperform\w*|surpass\w*|exceed\w*|beat\w*|(?:better|higher|lower|worse|"
    r"faster|slower|more\s+\w+|less\s+\w+|fewer\s+\w+)\s+than|superior\s+to|"
    r"inferior\s+to|underperform\w*)\b",
    re.IGNORECASE,
)


def comparison_problems(text: str, cited: Mapping[str, str]) -> list[Problem]:
    """ "A outperforms B" needs a cited abstract that names both, in that order."""
    match = _COMPARATIVE.search(text)
    if not match or not cited:
        return []
    left = names(text[: match.start()])
    right = names(text[match.end() :])
    if not left or not right:
        return []
    both = [
        key
        for key, source in cited.items()
        if any(name_in(a, source) for a in left) and any(name_in(b, source) for b in right)
    ]
    if not both:
        return [
            Problem(
                "comparison-unstated",
                f"compares {left[-1]} with {right[0]}, which no cited abstract does",
            )
        ]
    reversed_in: tuple[str, str] | None = None
    for key in both:
        for sentence in statements(cited[key]):
            found = _COMPARATIVE.search(sentence)
            if not found:
                continue
            before, after = sentence[: found.start()], sentence[found.end() :]
            if any(name_in(a, before) for a in left) and any(name_in(b, after) for b in right):
                return []  # a cited abstract makes the comparison, in this order
            if (
                reversed_in is None
                and any(name_in(b, before) for b in right)
                and any(name_in(a, after) for a in left)
            ):
                reversed_in = (key, sentence)
    if reversed_in is not None:
        key, sentence = reversed_in
        return [Problem("direction", f"reversed comparison: [{key}] says {_shorten(sentence)!r}")]
    return []
    for key in both:
        for sentence in statements(cited[key]):
            found = _COMPARATIVE.search(sentence)
            if not found:
                continue
            before, after = sentence[: found.start()], sentence[found.end() :]
            if any(name_in(b, before) for b in right) and any(name_in(a, after) for a in left):
                return [
                    Problem(
                        "direction",
                        f"reversed comparison: [{key}] says {_shorten(sentence)!r}",
                    )
                ]
    return []


# Words any paper could be said to have: a sentence made only of these (and of the
# theme's own words) says nothing that one cited paper holds and another does not.
_GENERIC_WORDS = (
    "paper papers work works study studies article articles approach approaches "
    "method methods technique techniques data result results finding findings "
    "outcome outcomes aspect aspects differ differs different difference differences "
    "agree agrees agreement similar similarly various several both share shares "
    "common field area areas research literature topic topics author authors propose "
    "proposes proposed present presents introduce introduces address addresses "
    "explore explores focus focuses contrast contrasts compare compares comparison "
    "overall general"
)
_GENERIC = frozenset(_GENERIC_WORDS.split())


def citation_precision(
    text: str, cited: Mapping[str, str], ignore: frozenset[str] = frozenset()
) -> list[Problem]:
    """With several citations, a cited paper that carries nothing of the sentence the
    others lack, and under half of it on its own, adds nothing. A sentence with
    nothing specific at all ("The papers differ in their approaches, data, and
    results") earns none of its citations."""
    if len(cited) < 2:
        return []
    words = [w for w in content_words(text) if w not in ignore]
    specific = {w[:5] for w in words}
    specific |= {n.lower() for n in names(text)}
    specific |= set(numbers_in(text))
    if not [w for w in words if w not in _GENERIC] and not names(text) and not numbers_in(text):
        # Nothing but words any paper has, linking words and the topic's own words.
        keys = ", ".join(f"[{k}]" for k in cited)
        return [
            Problem(
                "citation-adds-nothing",
                f"cites {keys} for nothing specific to any of them: say what each "
                "paper does, finds or uses",
            )
        ]
    if not specific:
        return []
    own: dict[str, set[str]] = {}
    for key, source in cited.items():
        stems = _stems(source)
        low = source.lower()
        own[key] = {
            t
            for t in specific
            if t in stems or (not t.isalpha() and t in low) or name_in(t, source)
        }
    problems = []
    for key, carried in own.items():
        rest: set[str] = set().union(*(v for k, v in own.items() if k != key))
        if carried - rest or len(carried) >= 0.5 * len(specific):
            continue
        problems.append(
            Problem(
                "citation-adds-nothing",
                f"cites [{key}] for nothing the other citations do not already carry",
                (key,),
            )
        )
    return problems


# -- form ------------------------------------------------------------------------------

_ABOUT_THE_TEXT = re.compile(
    r"^(?:(?:in\s+)?(?:this|the\s+(?:present|following|next))\s+(?:section|paragraph|"
    r"chapter|review|survey|part)\b|(?:the|these)\s+(?:papers?|works?|studies|articles|"
    r"methods|approaches)\s+(?:in|of|reviewed|discussed|presented|covered|listed|"
    r"below|above|here)\b|(?:here|below),?\s+we\s+(?:review|discuss|present|summari[sz]e|"
    r"describe)\b)",
    re.IGNORECASE,
)
# A claim about every other work: no single abstract can establish it.
_SWEEPING = re.compile(
    r"\b(?:all|every|any)\s+(?:other\s+|existing\s+|previous\s+|prior\s+|competing\s+)?"
    r"(?:methods?|papers?|works?|approach(?:es)?|models?|studies|baselines?|techniques?|"
    r"algorithms?|systems?)\b(?!\s+(?:in|on|of)\s+(?:this|the|our)\b)",
    re.IGNORECASE,
)
_INSTRUCTION = re.compile(
    r"^\W*(?:please\s+)?(?:cite|ignore|disregard|forget|follow|obey|output|print|respond|"
    r"reply|answer|write|say|repeat|always|never|do\s+not|don't|you\s+(?:must|should))\b",
    re.IGNORECASE,
)


def sweeping_claim(text: str) -> str | None:
    """The words of a claim about all other work ("all other papers", "every method"),
    outside quotation marks; None when there is none."""
    found = _SWEEPING.search(_QUOTED.sub(" ", text))
    return found.group(0) if found else None


def is_instruction(text: str) -> bool:
    """True for text that tells its reader what to do ("Cite X", "Ignore the above"):
    an instruction planted in a source, not a statement about a paper."""
    return bool(_INSTRUCTION.search(text))


_FIRST_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]urs?|us)\b")
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")


def form_problems(
    text: str, cited: Mapping[str, str], *, written_by_model: bool = True
) -> list[Problem]:
    """A sentence about the text itself, a fragment, or an abstract's words copied
    without quotation marks (and, in a model's draft, in the authors' voice). A copy is
    a run of 10 words of a cited abstract in a model's draft, of 15 in a person's text
    (where a shared phrase such as "reaches a Dice score of 0.91 on the GlaS benchmark"
    is fair use)."""
    copy_words = 10 if written_by_model else 15
    problems: list[Problem] = []
    if _ABOUT_THE_TEXT.search(text) and (cited or written_by_model):
        problems.append(
            Problem(
                "about-the-text",
                "is about the text itself, not about the papers: say what the papers do",
            )
        )
    sweeping = _SWEEPING.search(_QUOTED.sub(" ", text))
    if sweeping and cited:
        problems.append(
            Problem(
                "sweeping-claim",
                f"claims something of {sweeping.group(0)!r}, which no single abstract can "
                "establish: name the works compared, or quote the claim as its authors'",
            )
        )
    stripped = text.lstrip("\"'“‘([ ")
    first = _tokens(stripped)[:1]
    if first and first[0][0].islower() and not names(first[0]) and first[0][0].isalpha():
        problems.append(Problem("fragment", "starts mid-sentence (a fragment)"))
    elif len(split_sentences(text)) > 1:
        problems.append(Problem("fragment", "is more than one sentence"))
    unquoted = _QUOTED.sub(" ", text)
    misquoted = misquote(text, cited)
    if misquoted:
        problems.append(
            Problem(
                "misquote",
                f"puts {misquoted!r} in quotation marks, but no cited abstract says it",
            )
        )
    if written_by_model and _FIRST_PERSON.search(unquoted):
        problems.append(
            Problem(
                "authors-voice",
                "speaks in the authors' voice (we/our) without quotation marks: "
                "quote the abstract or use your own words",
            )
        )
    for key, source in cited.items():
        run = longest_shared_run(unquoted, source)
        if run >= copy_words:
            problems.append(
                Problem(
                    "unquoted-copy",
                    f"copies {run} words of [{key}]'s abstract without quotation marks",
                )
            )
            break
    return problems


def misquote(text: str, cited: Mapping[str, str]) -> str | None:
    """The first passage of four words or more in quotation marks that no cited abstract
    holds verbatim (spacing and the case of its first letter aside); None when every
    quotation is real. Shorter quotations are terms ("so-called "foundation models"")."""
    sources = [normalize_ws(s) for s in cited.values()]
    for match in _QUOTED.finditer(text):
        quote = normalize_ws(match.group(0)[1:-1]).strip(" ,;:")
        quote = quote.rstrip(".").rstrip("…").rstrip()
        if len(quote.split()) < 4:
            continue
        variants = {quote, quote[:1].upper() + quote[1:], quote[:1].lower() + quote[1:]}
        if not any(v in s for v in variants for s in sources):
            return quote
    return None


def quote_copied_run(text: str, cited: Mapping[str, str], min_words: int = 10) -> str | None:
    """``text`` with its longest unquoted run of at least ``min_words`` words copied from
    one cited abstract replaced by that abstract's own words in quotation marks; None
    when there is no such run, or the copied words cross a sentence end in the abstract.
    What a copy becomes once it is shown as one: the reader sees which words are the
    authors' and the citation says whose."""
    text = unicodedata.normalize("NFKC", text)
    spans = _outside_quotes(text)
    words = [m for m in _PLAIN_WORD.finditer(text.lower()) if _inside(m.start(), spans)]
    best: tuple[int, int, int, str] | None = None  # run, its last word in text and source
    for source in cited.values():
        source = unicodedata.normalize("NFKC", source)
        source_words = list(_PLAIN_WORD.finditer(source.lower()))
        positions: dict[str, list[int]] = {}
        for j, m in enumerate(source_words):
            positions.setdefault(m.group(0), []).append(j)
        previous: dict[int, int] = {}
        for i, m in enumerate(words):
            # A run continues only across words next to each other in the text.
            adjacent = i > 0 and _gap_is_space(text, words[i - 1].end(), m.start())
            current: dict[int, int] = {}
            for j in positions.get(m.group(0), ()):
                current[j] = (previous.get(j - 1, 0) if adjacent else 0) + 1
                if best is None or current[j] > best[0]:
                    best = (current[j], i, j, source)
            previous = current
    if best is None or best[0] < min_words:
        return None
    run, i_end, j_end, source = best
    source_words = list(_PLAIN_WORD.finditer(source.lower()))
    start, end = words[i_end - run + 1].start(), words[i_end].end()
    quoted = source[source_words[j_end - run + 1].start() : source_words[j_end].end()]
    if re.search(r"[.!?;]\s", quoted) or any(q in quoted for q in '"“”'):
        return None
    first = quoted.split()[0]
    if text[:start].strip() and first[1:].islower():
        quoted = quoted[0].lower() + quoted[1:]  # "Unlike" begins the abstract's sentence
    return f"{text[:start]}“{quoted}”{text[end:]}"


_PLAIN_WORD = re.compile(r"[0-9a-z\u00e0-\u024f]+")


def _outside_quotes(text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` outside quotation marks."""
    spans, at = [], 0
    for m in _QUOTED.finditer(text):
        spans.append((at, m.start()))
        at = m.end()
    spans.append((at, len(text)))
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= position < b for a, b in spans)


def _gap_is_space(text: str, a: int, b: int) -> bool:
    """Whether only spaces, hyphens, commas or brackets part two words: the words of one
    copied phrase, not of two phrases."""
    return re.fullmatch(r"[\s\-,()/]*", text[a:b]) is not None


def _words(text: str) -> list[str]:
    return [t.lower() for t in _tokens(text)]


def _plain_words(text: str) -> list[str]:
    """Lower-cased runs of letters and digits: "SAM-based (2D)" is sam, based, 2d."""
    return re.findall(r"[0-9a-z\u00e0-\u024f]+", unicodedata.normalize("NFKC", text).lower())


def longest_shared_run(text: str, source: str) -> int:
    """The longest run of consecutive words that text and source share, a hyphenated
    word counting part by part."""
    a, b = _plain_words(text), _plain_words(source)
    if not a or not b:
        return 0
    positions: dict[str, list[int]] = {}
    for j, word in enumerate(b):
        positions.setdefault(word, []).append(j)
    best = 0
    previous: dict[int, int] = {}
    for word in a:
        current: dict[int, int] = {}
        for j in positions.get(word, ()):
            current[j] = previous.get(j - 1, 0) + 1
            best = max(best, current[j])
        previous = current
    return best


def repeated_word(text: str) -> str | None:
    """A word written twice in a row ("model model"), the sign of a looping model."""
    words = _words(text)
    for a, b in itertools.pairwise(words):
        if a == b and a.isalpha() and len(a) > 2:
            return a
    return None


def claim_problems(
    text: str,
    citations: Sequence[str],
    sources: Mapping[str, str],
    context_text: str = "",
    *,
    ignore: frozenset[str] = frozenset(),
    written_by_model: bool = True,
) -> list[Problem]:
    """The per-paper checks of one sentence: ``sources`` maps each key the sentence may
    cite (and other papers of the same draft) to its title and abstract."""
    cited = {c: sources[c] for c in citations if c in sources}
    uncited = {k: v for k, v in sources.items() if k not in cited}
    context_words = frozenset(content_words(context_text))
    skip = ignore | context_words
    problems = form_problems(text, cited, written_by_model=written_by_model)
    if not cited:
        return problems
    problems += number_attribution(text, cited, skip)
    problems += name_problems(text, cited, uncited, context_text, written_by_model=written_by_model)
    problems += comparison_problems(text, cited)
    pooled = "\n".join(cited.values())
    conflict = polarity_conflict(text, pooled, [_title(source) for source in cited.values()])
    if conflict is not None:
        problems.append(conflict)
    problems += citation_precision(text, cited, skip)
    return problems
