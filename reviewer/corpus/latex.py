"""LaTeX as found in BibTeX fields, turned into plain Unicode text.

Bibliography managers write titles, names and abstracts in LaTeX: accents as
``{\\"o}``, ``\\'{e}`` or ``\\"o``, special letters as ``{\\ss}``, escaped
specials, dashes, quotes, font commands and inline math. Search, matching and
display all want the plain text a reader would see, so this decodes the usual
forms and drops what carries no text (font switches, protective braces).

It is a small recursive scanner, not a TeX engine: unknown commands vanish and
their brace argument is kept as text, which is what a reader would want from a
title far more often than the command name. split_names also lives here: a
BibTeX author list is LaTeX too, split on "and" outside braces.

The character tables (accents, letters, symbols, font commands) are public because
reviewer.render.tex uses them too, on text that is mostly not TeX (arXiv titles).
"""

from __future__ import annotations

import re
import unicodedata

# Accent commands -> the Unicode combining mark they put on the next letter.
SYMBOL_ACCENTS: dict[str, str] = {
    '"': "\u0308",  # diaeresis
    "'": "\u0301",  # acute
    "`": "\u0300",  # grave
    "^": "\u0302",  # circumflex
    "~": "\u0303",  # tilde
    "=": "\u0304",  # macron
    ".": "\u0307",  # dot above
}
LETTER_ACCENTS: dict[str, str] = {
    "u": "\u0306",  # breve
    "v": "\u030c",  # caron
    "H": "\u030b",  # double acute
    "c": "\u0327",  # cedilla
    "k": "\u0328",  # ogonek
    "r": "\u030a",  # ring above
    "d": "\u0323",  # dot below
    "b": "\u0331",  # macron below
    "t": "\u0361",  # tie
}

# Letters that are whole commands. TeX swallows the spaces after them, so
# "\ae ther" is one word; "{\ss}" and "\ss{}" are the more common spellings.
LETTERS: dict[str, str] = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
}
# An accent on a dotless i/j is how LaTeX spells an accented i/j.
_UNDOTTED = {"ı": "i", "ȷ": "j"}


def _words(text: str) -> list[str]:
    """A word list written as one string, which reads better than 40 quoted names."""
    return text.split()


_GREEK_NAMES = _words(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi chi psi omega"
)
SYMBOLS: dict[str, str] = {
    **dict(zip(_GREEK_NAMES, "αβγδεζηθικλμνξπρστυφχψω", strict=True)),
    **dict(zip([n.capitalize() for n in _GREEK_NAMES], "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΠΡΣΤΥΦΧΨΩ", strict=True)),
    "omicron": "ο",
    "varepsilon": "ε",
    "vartheta": "ϑ",
    "varphi": "φ",
    "varrho": "ϱ",
    "varsigma": "ς",
    "varpi": "ϖ",
    "times": "×",
    "pm": "±",
    "mp": "∓",
    "cdot": "·",
    "cdots": "⋯",
    "ldots": "…",
    "dots": "…",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "propto": "∝",
    "ll": "≪",
    "gg": "≫",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "forall": "∀",
    "exists": "∃",
    "emptyset": "∅",
    "ell": "ℓ",
    "circ": "∘",
    "prime": "′",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "leftrightarrow": "↔",
    "mapsto": "↦",
    "uparrow": "↑",
    "downarrow": "↓",
    "langle": "⟨",
    "rangle": "⟩",
    "mid": "|",
    "vert": "|",
    "ast": "∗",
    "star": "⋆",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "guillemotleft": "«",
    "guillemotright": "»",
    "textdegree": "°",
    "degree": "°",
    "copyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "S": "§",
    "P": "¶",
    "dag": "†",
    "ddag": "‡",
    "pounds": "£",
    "euro": "€",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textunderscore": "_",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "BibTeX": "BibTeX",
    # Math operators print as their name.
    **{name: name for name in _words("log ln exp sin cos tan max min arg det dim lim sup inf Pr")},
}

# Commands whose single brace argument is text to keep as-is.
UNWRAP = frozenset(
    _words(
        "textit emph textbf textrm textsf texttt textsc textup textsl textmd textnormal "
        "mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathscr boldsymbol bm "
        "operatorname text mbox hbox textsuperscript textsubscript uppercase lowercase "
        "MakeUppercase MakeLowercase ensuremath url nolinkurl"
    )
)
# Declarations that change the font or spacing and print nothing.
SWITCHES = frozenset(
    _words(
        "it bf em sc rm tt sl sf up md normalfont itshape bfseries scshape upshape slshape "
        "mdseries rmfamily sffamily ttfamily tiny scriptsize footnotesize small normalsize large "
        "Large LARGE huge Huge relax protect noopsort left right big Big bigl bigr Bigl Bigr "
        "displaystyle textstyle quad qquad newblock"
    )
)
# Runs of characters with no special meaning (until-characters are special too).
_TEXT_PLAIN_RE = re.compile(r"[^\\{}$~`'\-]+")
_MATH_PLAIN_RE = re.compile(r"[^\\{}$~]+")
_AND_RE = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA_RE = re.compile(",")
ESCAPED = frozenset("&%$#_{}")
# Control symbols for spacing: "\," "\;" "\:" "\>" and "\ " are spaces,
# "\!" (negative space), "\-" (hyphenation hint), "\/" (italic correction) print nothing.
SPACE_SYMBOLS = frozenset(",;:> \n\t")
SILENT_SYMBOLS = frozenset("!-/@")


def decode_latex(text: str) -> str:
    """Plain Unicode text of a BibTeX/LaTeX field value, whitespace collapsed."""
    decoded, _ = _decode(text, 0, math=False, until=None)
    return " ".join(unicodedata.normalize("NFC", decoded).split())


def split_names(raw: str) -> list[str]:
    """A BibTeX name list as plain names: split on 'and' outside braces, each
    "Last, First" or "Last, Jr, First" turned into "First Last [Jr]"; a braced
    name such as "{Big Consortium}" stays whole, and "and others" (et al.) goes.
    """
    names: list[str] = []
    for part in _split_top(raw, _AND_RE):
        pieces = [decode_latex(piece) for piece in _split_top(part, _COMMA_RE)]
        if len(pieces) == 2:
            pieces = [pieces[1], pieces[0]]
        elif len(pieces) >= 3:
            pieces = [pieces[2], pieces[0], pieces[1]]
        name = " ".join(" ".join(pieces).split())
        if name and name.lower() != "others":
            names.append(name)
    return names


def _split_top(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split at separator matches outside braces ({Smith and Sons} is one name)."""
    parts: list[str] = []
    depth = start = 0
    for i, ch in enumerate(text):
        depth += (ch == "{") - (ch == "}")
        match = separator.match(text, i) if depth == 0 and i >= start else None
        if match:
            parts.append(text[start:i])
            start = match.end()
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _decode(s: str, i: int, *, math: bool, until: str | None) -> tuple[str, int]:
    """Decode s from i up to the `until` character (consumed) or the end."""
    out: list[str] = []
    n = len(s)
    plain = _MATH_PLAIN_RE if math else _TEXT_PLAIN_RE
    while i < n:
        # Most text is plain letters: take a run of them at once.
        run = plain.match(s, i)
        if run:
            out.append(run.group())
            i = run.end()
            continue
        ch = s[i]
        if ch == until:
            return "".join(out), i + 1
        if ch == "\\":
            piece, i = _command(s, i, math=math)
            out.append(piece)
        elif ch == "{":
            # Protective braces ({U}-{N}et) keep case for BibTeX; the text stays.
            piece, i = _decode(s, i + 1, math=math, until="}")
            out.append(piece)
        elif ch == "}":
            i += 1  # a stray closing brace carries no text
        elif ch == "$" and not math:
            # Inline ($...$) or display ($$...$$) math: keep the inner text.
            display = s.startswith("$$", i)
            piece, i = _decode(s, i + (2 if display else 1), math=True, until="$")
            if display and s.startswith("$", i):
                i += 1
            out.append(piece)
        elif ch == "~":
            out.append(" ")
            i += 1
        elif math:
            # ^ and _ stay as written: "x^2" reads better than a guess at superscripts.
            out.append(ch)
            i += 1
        else:
            piece, i = _text_char(s, i)
            out.append(piece)
    return "".join(out), i


def _text_char(s: str, i: int) -> tuple[str, int]:
    """One character of text mode, with TeX's dash and quote ligatures."""
    for ligature, char in (("---", "—"), ("--", "–"), ("``", "“"), ("''", "”"), ("`", "‘")):
        if s.startswith(ligature, i):
            return char, i + len(ligature)
    return s[i], i + 1


def _command(s: str, i: int, *, math: bool) -> tuple[str, int]:
    """Decode the command starting at the backslash s[i]."""
    n = len(s)
    if i + 1 >= n:
        return "", n
    ch = s[i + 1]
    if ch in ESCAPED:
        return ch, i + 2
    if ch == "\\":
        return " ", i + 2  # forced line break
    if ch in SPACE_SYMBOLS:
        return " ", i + 2
    if ch in SILENT_SYMBOLS:
        return "", i + 2
    if ch in SYMBOL_ACCENTS:
        base, j = _argument(s, i + 2, math=math)
        return accent(base, SYMBOL_ACCENTS[ch], ch), j
    if not ch.isascii() or not ch.isalpha():
        return ch, i + 2  # \| and other control symbols print themselves
    j = i + 1
    while j < n and s[j].isascii() and s[j].isalpha():
        j += 1
    name = s[i + 1 : j]
    if name in LETTER_ACCENTS:
        base, j = _argument(s, _skip_spaces(s, j), math=math)
        return accent(base, LETTER_ACCENTS[name], ""), j
    if name in LETTERS:
        j = _skip_spaces(s, j)
        if s.startswith("{}", j):
            j += 2
        return LETTERS[name], j
    if name in SYMBOLS:
        return SYMBOLS[name], j
    if name in UNWRAP:
        k = _skip_spaces(s, j)
        if k < n and s[k] == "{":
            # \text{} and \mbox{} inside math are text again; \ensuremath is math.
            inner_math = name == "ensuremath" or (math and name not in {"text", "mbox", "hbox"})
            if name in {"url", "nolinkurl"}:
                end = s.find("}", k)
                end = n if end < 0 else end
                return s[k + 1 : end], end + 1
            return _decode(s, k + 1, math=inner_math, until="}")
        return "", j
    if name == "frac":
        numerator, j = _argument(s, _skip_spaces(s, j), math=math)
        denominator, j = _argument(s, _skip_spaces(s, j), math=math)
        return f"{numerator}/{denominator}", j
    if name == "sqrt":
        radicand, j = _argument(s, _skip_spaces(s, j), math=math)
        return f"√{radicand}", j
    if name == "href":
        _, j = _argument(s, _skip_spaces(s, j), math=math)  # the URL; keep the link text
        return _argument(s, _skip_spaces(s, j), math=math)
    if name in SWITCHES:
        return "", _skip_spaces(s, j)
    # Unknown command: drop the name; a following {argument} is decoded as text.
    return "", j


def _argument(s: str, i: int, *, math: bool) -> tuple[str, int]:
    """One argument: a {group}, a command such as \\i, or a single character."""
    if i >= len(s):
        return "", i
    if s[i] == "{":
        return _decode(s, i + 1, math=math, until="}")
    if s[i] == "\\":
        return _command(s, i, math=math)
    return s[i], i + 1


def accent(base: str, mark: str, fallback: str) -> str:
    """Put a combining mark on the first letter of base and compose it."""
    if not base:
        return fallback  # "\'{}" is a bare accent sign
    first = _UNDOTTED.get(base[0], base[0])
    return unicodedata.normalize("NFC", first + mark + base[1:])


def _skip_spaces(s: str, i: int) -> int:
    while i < len(s) and s[i] in " \t\n":
        i += 1
    return i
