"""TeX inside otherwise plain text (arXiv titles and abstracts), for readers and for LaTeX.

arXiv metadata is written in TeX: ``DS$^2$Net``, ``$\\mathcal{O}(n)$``, ``\\textit{...}``,
``{U-Net}``, ``2D \\& 3D``, ``M{\\"u}ller``, ``encoder--decoder``. The store keeps that
text as the source gave it; every reader-facing renderer shows :func:`tex_to_text` of it
(``DS²Net``, ``O(n)``, ``U-Net``, ``2D & 3D``, ``Müller``, ``encoder–decoder``), and the
LaTeX and BibTeX writers keep the TeX itself with :func:`tex_pieces`.

Unlike :func:`reviewer.corpus.latex.decode_latex`, which reads BibTeX fields (all of a
field is LaTeX), this reads text that is mostly not TeX, so it changes only what is
unmistakably TeX and leaves the rest exactly as it was:

- ``$...$`` is math only under pandoc's rule for ``tex_math_dollars``: the opening ``$``
  has a non-space on its right, the closing one a non-space on its left and no digit
  right after it, so ``costs $5 and $10`` stays as it is;
- a ``{group}`` loses its braces only when it is balanced and holds no space or comma,
  or starts with a command (``{U-Net}``, ``{\\"u}``, ``{\\em x}``); ``{1, 2}`` stays;
- ``--`` and ``---`` become dashes only between spaces or between letters or digits
  (``1--10``, ``A -- B``), never in ``--flag`` or ``<!--``;
- ``~`` is TeX's tie only between a letter or full stop and a letter or digit
  (``Fig.~3``); ``~5%`` and ``/~user`` stay;
- ``^`` and ``_`` outside math change only in the braced form (``M^{2}SNet``), so
  ``R^2`` and ``snake_case`` stay;
- a command it does not know stays as written, with its arguments.

Inside math, superscripts and subscripts of digits, signs and the letters Unicode has
small forms of become those forms (``x^{2}`` -> ``x²``, ``H_2O`` -> ``H₂O``); other
scripts read ``x^n+1`` style (``x^(n+1)`` when the script is more than one word).
It is a linear scanner, not a TeX engine, and never raises: on any internal failure the
text comes back unchanged.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from reviewer.corpus.latex import (
    ESCAPED,
    LETTER_ACCENTS,
    LETTERS,
    SILENT_SYMBOLS,
    SPACE_SYMBOLS,
    SWITCHES,
    SYMBOL_ACCENTS,
    SYMBOLS,
    UNWRAP,
    accent,
)

# Characters that can start TeX here; text without any of them is returned as it is.
_SPECIAL = frozenset("\\{}$-`~^_")
# Plain text, links included whole: "https://host/a--b_c~d" is a URL, not TeX.
_TEXT_RUN = re.compile(r"(?:https?://[^\s{}\\$]+|h|[^\\{}$\-`'~^_h]+)+")
_MATH_RUN = re.compile(r"[^\\{}$~^_']+")
# Deeper brace nesting than this is left as written (and keeps the scanner's recursion
# far from Python's limit).
MAX_DEPTH = 32
# How far \( looks for its \) and `` for its '' (so hostile input stays linear).
MAX_SPAN = 2000
# Characters LaTeX would read as markup in math written as plain text ($50%$ would
# comment out the rest of the line): math holding them is escaped, not kept.
_MATH_UNSAFE = frozenset("%&#")
# What latex_escape would change in plain text; such a piece inside \text{} is unsafe.
_LATEX_UNSAFE = frozenset("\\{}$&%#_^~")

_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ",
        strict=True,
    )
)
_SUBSCRIPTS = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
_SCRIPTS = {"textsuperscript": _SUPERSCRIPTS, "textsubscript": _SUBSCRIPTS}
# Superscripts that read as a sign of their own: 90^\circ is 90°, f^\prime is f′.
_SUPERSCRIPT_SIGNS = {"∘": "°", "′": "′", "*": "*", "∗": "*", "⋆": "*", "†": "†", "‡": "‡"}
_SCRIPT_WORD = re.compile(r"^\w+$")

# Where readable text differs from decode_latex's table: "\sim" reads as "about".
_MATH_SYMBOLS = {
    **SYMBOLS,
    "sim": "~",
    "top": "ᵀ",
    "lbrace": "{",
    "rbrace": "}",
    "colon": ":",
    "lvert": "|",
    "rvert": "|",
    "lVert": "‖",
    "rVert": "‖",
}
# Operators that print as their name ("\log"): kept apart from a letter before them.
_OPERATOR_NAMES = frozenset(name for name, text in SYMBOLS.items() if name == text)
# Math accents -> combining marks, on a single letter (\hat{x} -> x̂).
_MATH_ACCENTS = {
    "hat": "\u0302",
    "widehat": "\u0302",
    "tilde": "\u0303",
    "widetilde": "\u0303",
    "bar": "\u0304",
    "overline": "\u0305",
    "vec": "\u20d7",
    "dot": "\u0307",
    "ddot": "\u0308",
    "check": "\u030c",
    "breve": "\u0306",
    "acute": "\u0301",
    "grave": "\u0300",
}
_DOUBLE_STRUCK = {"C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"}
# \text and friends inside math are text again; \url's argument is not TeX at all.
_TEXT_IN_MATH = frozenset({"text", "mbox", "hbox", "textrm", "textit", "textbf", "textsf"})
_VERBATIM = frozenset({"url", "nolinkurl"})
# Shown as their argument here (decode_latex, for BibTeX fields, does not know them).
_EXTRA_UNWRAP = frozenset({"underline", "uline"})


@dataclass(frozen=True)
class TexPiece:
    """A stretch of the input: its characters, what a reader sees, and whether it is a
    TeX construct that LaTeX output may keep as written (``tex``) or plain text that
    LaTeX output must escape; ``latex`` when LaTeX should get something else."""

    source: str
    text: str
    tex: bool
    latex: str | None = None


def tex_to_text(text: str) -> str:
    """Readable Unicode text of a title or abstract that may carry TeX.

    Text with no TeX comes back unchanged, and so does anything this cannot read."""
    if not _SPECIAL.intersection(text):
        return text
    try:
        return "".join(piece.text for piece in tex_pieces(text))
    except Exception:  # a scanner bug must never cost a reader the text
        return text


def tex_pieces(text: str) -> list[TexPiece]:
    """The input cut into plain stretches and recognised TeX constructs; the sources of
    the pieces, joined, are the input. May raise only on a bug: callers fall back."""
    return _Scanner(text).text(0, len(text), 0)


class _Scanner:
    def __init__(self, s: str) -> None:
        self.s = s
        self.close = _matching_braces(s)
        self.opening = {stop: start for start, stop in self.close.items()}
        self.dollars = _unescaped_dollars(s)
        # Closing '' of a ``...'' pair, by position.
        self.closing_quotes: set[int] = set()

    # -- text mode ------------------------------------------------------------------

    def text(self, i: int, end: int, depth: int) -> list[TexPiece]:
        s = self.s
        out: list[TexPiece] = []
        while i < end:
            run = _TEXT_RUN.match(s, i, end)
            if run:
                out.append(TexPiece(run.group(), run.group(), False))
                i = run.end()
                continue
            ch = s[i]
            if ch == "\\":
                i = self._command(i, end, depth, out)
            elif ch == "{":
                i = self._group(i, end, depth, out)
            elif ch == "$":
                i = self._dollar(i, end, depth, out)
            elif ch == "-":
                i = self._dash(i, end, out)
            elif ch == "`" or ch == "'":
                i = self._quote(i, end, out)
            elif ch == "~":
                tie = _is_tie(s, i, end)
                out.append(TexPiece("~", " " if tie else "~", tie))
                i += 1
            elif ch in "^_":
                i = self._text_script(i, end, out)
            else:  # a stray }
                out.append(TexPiece(ch, ch, False))
                i += 1
        return out

    def _command(self, i: int, end: int, depth: int, out: list[TexPiece]) -> int:
        s = self.s
        if i + 1 >= end:
            out.append(TexPiece("\\", "\\", False))
            return end
        ch = s[i + 1]
        if ch in ESCAPED:
            out.append(TexPiece(s[i : i + 2], ch, True))
            return i + 2
        if ch == "\\" or ch in SPACE_SYMBOLS:
            out.append(TexPiece(s[i : i + 2], " ", True))
            return i + 2
        if ch in SILENT_SYMBOLS:
            out.append(TexPiece(s[i : i + 2], "", True))
            return i + 2
        if ch in "([":  # \(inline\) and \[display\] math
            closing = "\\)" if ch == "(" else "\\]"
            stop = s.find(closing, i + 2, min(end, i + 2 + MAX_SPAN))
            if stop > i + 2 and self._balanced(i + 2, stop):
                rendered, safe = self.math(i + 2, stop, depth + 1)
                out.append(TexPiece(s[i : stop + 2], rendered.strip(), safe))
                return stop + 2
            out.append(TexPiece(s[i : i + 2], s[i : i + 2], False))
            return i + 2
        if ch in SYMBOL_ACCENTS:
            found = self._accented(i + 2, end, depth, SYMBOL_ACCENTS[ch])
            if found is None:
                out.append(TexPiece(s[i : i + 2], s[i : i + 2], False))
                return i + 2
            letter, j = found
            out.append(TexPiece(s[i:j], letter, True))
            return j
        if not (ch.isascii() and ch.isalpha()):
            out.append(TexPiece(s[i : i + 2], s[i : i + 2], False))
            return i + 2
        j = i + 1
        while j < end and s[j].isascii() and s[j].isalpha():
            j += 1
        done = self._word(i, j, end, depth, out)
        if done is None:  # not known: it stays as written, with the groups after it
            done = self._after_groups(j, end)
            out.append(TexPiece(s[i:done], s[i:done], False))
        return done

    def _word(self, i: int, j: int, end: int, depth: int, out: list[TexPiece]) -> int | None:
        """Append the control word s[i:j] in text mode, with what it takes, to ``out`` and
        return where it ends; None (nothing appended) when it is not one known here."""
        s = self.s
        name = s[i + 1 : j]
        k = _skip_spaces(s, j, end)
        piece: TexPiece | None = None
        if name in LETTER_ACCENTS:
            found = self._accented(k, end, depth, LETTER_ACCENTS[name])
            piece = None if found is None else TexPiece(s[i : found[1]], found[0], True)
        elif name in LETTERS:  # TeX eats the spaces after "\ss"; "\ss{}" is the usual form
            k = k + 2 if s.startswith("{}", k) and k + 2 <= end else k
            piece = TexPiece(s[i:k], LETTERS[name], True)
        elif name in SYMBOLS:
            k = j + 2 if s.startswith("{}", j) and j + 2 <= end else j
            piece = TexPiece(s[i:k], _MATH_SYMBOLS[name], True)
        elif name in SWITCHES:
            piece = TexPiece(s[i:k], "", True)
        elif name in UNWRAP or name in _EXTRA_UNWRAP:
            return self._unwrap(i, k, name, end, depth, out)
        if piece is None:
            return None
        out.append(piece)
        return i + len(piece.source)

    def _unwrap(
        self, i: int, k: int, name: str, end: int, depth: int, out: list[TexPiece]
    ) -> int | None:
        """\\textit{...} and the like, the argument opening at s[k]: its text."""
        s = self.s
        stop = self._group_end(k, end)
        if stop < 0 or depth >= MAX_DEPTH:
            return None
        inner = s[k + 1 : stop]
        table = _SCRIPTS.get(name)
        if name in _VERBATIM:  # a link: its characters as they are, escaped in LaTeX
            out.append(TexPiece(s[i : stop + 1], inner, False))
        elif table is not None and inner and all(c in table for c in inner):
            out.append(TexPiece(s[i : stop + 1], "".join(table[c] for c in inner), True))
        else:
            out.append(TexPiece(s[i : k + 1], "", True))
            out.extend(self.text(k + 1, stop, depth + 1))
            out.append(TexPiece("}", "", True))
        return stop + 1

    def _group_end(self, k: int, end: int) -> int:
        """Where the balanced group opening at s[k] closes (before ``end``), else -1."""
        if k < end and self.s[k] == "{":
            stop = self.close.get(k, -1)
            if stop < end:
                return stop
        return -1

    def _after_groups(self, k: int, end: int) -> int:
        """The end of the balanced groups right at s[k] (an unknown command's arguments)."""
        while (stop := self._group_end(k, end)) >= 0:
            k = stop + 1
        return k

    def _accented(self, i: int, end: int, depth: int, mark: str) -> tuple[str, int] | None:
        """The accented letter of an accent command's argument ({u}, {\\i}, u), or None."""
        s = self.s
        if i >= end:
            return None
        if s[i] == "{":
            stop = self.close.get(i, -1)
            if not (0 <= stop < end) or depth >= MAX_DEPTH:
                return None
            inner = "".join(p.text for p in self.text(i + 1, stop, depth + 1))
            if not inner or not inner[0].isalpha():
                return None
            return accent(inner, mark, ""), stop + 1
        if s[i] == "\\":
            j = i + 1
            while j < end and s[j].isascii() and s[j].isalpha():
                j += 1
            name = s[i + 1 : j]
            if name in LETTERS:
                return accent(LETTERS[name], mark, ""), j
            return None
        if s[i].isalpha():
            return accent(s[i], mark, ""), i + 1
        return None

    def _group(self, i: int, end: int, depth: int, out: list[TexPiece]) -> int:
        s = self.s
        stop = self.close.get(i, -1)
        if not (0 <= stop < end) or depth >= MAX_DEPTH:
            out.append(TexPiece("{", "{", False))
            return i + 1
        inner = s[i + 1 : stop]
        if "://" in inner:  # a link whose \href or \url the source lost: keep it whole
            out.append(TexPiece(s[i : stop + 1], s[i : stop + 1], False))
            return stop + 1
        if inner.startswith("\\") or not any(c.isspace() or c == "," for c in inner):
            out.append(TexPiece("{", "", True))
            out.extend(self.text(i + 1, stop, depth + 1))
            out.append(TexPiece("}", "", True))
            return stop + 1
        # Braces around words and spaces are more likely a set or a template than TeX.
        out.append(TexPiece("{", "{", False))
        return i + 1

    def _dollar(self, i: int, end: int, depth: int, out: list[TexPiece]) -> int:
        s = self.s
        display = s.startswith("$$", i) and i + 1 < end
        start = i + (2 if display else 1)
        k = bisect.bisect_left(self.dollars, start)
        stop = self.dollars[k] if k < len(self.dollars) else -1
        after = stop + (2 if display else 1)
        ok = start < stop and after <= end
        if ok and display:
            ok = s.startswith("$$", stop)
        elif ok:
            ok = (
                not s[start].isspace()
                and not s[stop - 1].isspace()
                # "$5-$10" is two prices; "$\\sim$10" is TeX (it holds a command).
                and not (after < len(s) and s[after].isdigit() and "\\" not in s[start:stop])
            )
        if ok and self._balanced(start, stop) and depth < MAX_DEPTH:
            rendered, safe = self.math(start, stop, depth + 1)
            out.append(TexPiece(s[i:after], rendered.strip() if display else rendered, safe))
            return after
        out.append(TexPiece("$", "$", False))
        return i + 1

    def _dash(self, i: int, end: int, out: list[TexPiece]) -> int:
        s = self.s
        j = i
        while j < end and s[j] == "-":
            j += 1
        run = j - i
        before = s[i - 1] if i > 0 else " "
        after = s[j] if j < len(s) else " "
        dash = {2: "–", 3: "—"}.get(run)
        if dash and ((before == " " and after == " ") or (before.isalnum() and after.isalnum())):
            out.append(TexPiece(s[i:j], dash, True))
        else:
            out.append(TexPiece(s[i:j], s[i:j], False))
        return j

    def _quote(self, i: int, end: int, out: list[TexPiece]) -> int:
        s = self.s
        if s.startswith("``", i) and i + 2 <= end:
            stop = s.find("''", i + 2, min(end, i + 2 + MAX_SPAN))
            if stop > i + 2 and "``" not in s[i + 2 : stop]:
                self.closing_quotes.add(stop)
                out.append(TexPiece("``", "“", True))
                return i + 2
        elif i in self.closing_quotes:
            out.append(TexPiece("''", "”", True))
            return i + 2
        out.append(TexPiece(s[i], s[i], False))
        return i + 1

    def _text_script(self, i: int, end: int, out: list[TexPiece]) -> int:
        """M^{2}SNet outside math: the braced script alone, when Unicode has its forms."""
        s = self.s
        k = i + 1
        stop = self.close.get(k, -1) if k < end and s[k] == "{" else -1
        table = _SUPERSCRIPTS if s[i] == "^" else _SUBSCRIPTS
        inner = s[k + 1 : stop] if 0 <= stop < end else ""
        if inner and all(c in table for c in inner):
            # Not TeX as written (^ outside math), so LaTeX gets the text-mode command.
            command = "textsuperscript" if s[i] == "^" else "textsubscript"
            text = "".join(table[c] for c in inner)
            out.append(TexPiece(s[i : stop + 1], text, True, f"\\{command}{{{inner}}}"))
            return stop + 1
        out.append(TexPiece(s[i], s[i], False))
        return i + 1

    def _balanced(self, i: int, stop: int) -> bool:
        """Every brace in s[i:stop] is matched inside it (escaped braces aside)."""
        s = self.s
        j = i
        while j < stop:
            ch = s[j]
            if ch == "\\":
                j += 2
                continue
            if ch == "{" and not (0 <= self.close.get(j, -1) < stop):
                return False
            if ch == "}" and self.opening.get(j, -1) < i:
                return False
            j += 1
        return True

    # -- math mode ------------------------------------------------------------------

    def math(self, i: int, end: int, depth: int) -> tuple[str, bool]:
        """Readable text of the math in s[i:end], and whether LaTeX may keep it as written
        (every command in it is one this module knows)."""
        s = self.s
        out: list[str] = []
        safe = True
        while i < end:
            run = _MATH_RUN.match(s, i, end)
            if run:
                out.append(run.group())
                safe = safe and not _MATH_UNSAFE.intersection(run.group())
                i = run.end()
                continue
            ch = s[i]
            if ch in "^_":
                arg, i, ok = self._math_argument(_skip_spaces(s, i + 1, end), end, depth)
                safe = safe and ok
                out.append(_script(ch, arg))
            elif ch == "'":
                j = i
                while j < end and s[j] == "'":
                    j += 1
                out.append("′" * (j - i) if j - i < 3 else "‴")
                i = j
            elif ch == "~":
                out.append(" ")
                i += 1
            else:
                piece, i, ok = self._math_token(i, end, depth, out)
                safe = safe and ok
                out.append(piece)
        return "".join(out), safe

    def _math_token(self, i: int, end: int, depth: int, before: list[str]) -> tuple[str, int, bool]:
        """One command, group or character of math: (text, next index, safe)."""
        s = self.s
        ch = s[i]
        if ch == "{":
            stop = self.close.get(i, -1)
            if not (0 <= stop < end) or depth >= MAX_DEPTH:
                return "{", i + 1, False
            text, ok = self.math(i + 1, stop, depth + 1)
            return text, stop + 1, ok
        if ch != "\\":
            return ch, i + 1, ch != "}" and ch != "$"
        if i + 1 >= end:
            return "\\", end, False
        nxt = s[i + 1]
        if nxt in ESCAPED:
            return nxt, i + 2, True
        if nxt == "\\" or nxt in SPACE_SYMBOLS:
            return " ", i + 2, True
        if nxt in SILENT_SYMBOLS:
            return "", i + 2, True
        if nxt == "|":
            return "‖", i + 2, True
        if not (nxt.isascii() and nxt.isalpha()):
            return s[i : i + 2], i + 2, False
        j = i + 1
        while j < end and s[j].isascii() and s[j].isalpha():
            j += 1
        name = s[i + 1 : j]
        if name in _MATH_SYMBOLS:
            text = _MATH_SYMBOLS[name]
            if name in _OPERATOR_NAMES:
                tail = next((b[-1] for b in reversed(before[-3:]) if b), "")
                text = (" " if tail.isalnum() else "") + text
                if j < end and s[j].isalnum():
                    text += " "
            return text, j, True
        if name in LETTERS:
            return LETTERS[name], j, True
        k = _skip_spaces(s, j, end)
        if name in _MATH_ACCENTS:
            arg, k, ok = self._math_argument(k, end, depth)
            if len(arg) == 1 and arg.isalpha():
                return unicodedata.normalize("NFC", arg + _MATH_ACCENTS[name]), k, ok
            return s[i:k], k, False
        if name in ("mathbb", "mathbbm"):
            arg, k, ok = self._math_argument(k, end, depth)
            return "".join(_DOUBLE_STRUCK.get(c, c) for c in arg), k, ok
        if name in UNWRAP and k < end and s[k] == "{" and 0 <= self.close.get(k, -1) < end:
            stop = self.close[k]
            if name in _VERBATIM:
                return s[k + 1 : stop], stop + 1, False
            if name in _TEXT_IN_MATH:
                pieces = self.text(k + 1, stop, depth + 1)
                return (
                    "".join(p.text for p in pieces),
                    stop + 1,
                    all(p.tex or not _LATEX_UNSAFE.intersection(p.source) for p in pieces),
                )
            text, ok = self.math(k + 1, stop, depth + 1)
            return text, stop + 1, ok
        if name in ("frac", "dfrac", "tfrac"):
            top, k, ok1 = self._math_argument(k, end, depth)
            bottom, k, ok2 = self._math_argument(_skip_spaces(s, k, end), end, depth)
            return f"{_operand(top)}/{_operand(bottom)}", k, ok1 and ok2
        if name == "sqrt":
            radicand, k, ok = self._math_argument(k, end, depth)
            return f"√{_operand(radicand)}", k, ok
        if name in SWITCHES:
            return "", j, True
        # Not known: as written, with the groups right after it.
        k = j
        while k < end and s[k] == "{" and 0 <= self.close.get(k, -1) < end:
            k = self.close[k] + 1
        return s[i:k], k, False

    def _math_argument(self, i: int, end: int, depth: int) -> tuple[str, int, bool]:
        """The argument of ^, _ or a command: a group, a command or one character."""
        if i >= end:
            return "", i, False
        if self.s[i] == "{" or self.s[i] == "\\":
            return self._math_token(i, end, depth, [])
        return self.s[i], i + 1, self.s[i] not in "}$"


def _script(kind: str, arg: str) -> str:
    """x^{arg} / x_{arg} as readable text."""
    arg = arg.strip()
    table = _SUPERSCRIPTS if kind == "^" else _SUBSCRIPTS
    if kind == "^" and arg in _SUPERSCRIPT_SIGNS:
        return _SUPERSCRIPT_SIGNS[arg]
    if arg and all(c in table for c in arg):
        return "".join(table[c] for c in arg)
    if not arg:
        return kind
    return kind + (arg if len(arg) == 1 or _SCRIPT_WORD.match(arg) else f"({arg})")


def _operand(text: str) -> str:
    text = text.strip()
    return text if _SCRIPT_WORD.match(text) or len(text) <= 1 else f"({text})"


def _is_tie(s: str, i: int, end: int) -> bool:
    before = s[i - 1] if i > 0 else " "
    after = s[i + 1] if i + 1 < end else " "
    return (before.isalpha() or before == ".") and (after.isalnum() or after in "\\$")


def _skip_spaces(s: str, i: int, end: int) -> int:
    while i < end and s[i] in " \t\n":
        i += 1
    return i


def _matching_braces(s: str) -> dict[int, int]:
    """Position of each balanced '{' -> position of its '}' (escaped braces skipped)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            pairs[stack.pop()] = i
        i += 1
    return pairs


def _unescaped_dollars(s: str) -> list[int]:
    found: list[int] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "$":
            found.append(i)
        i += 1
    return found
