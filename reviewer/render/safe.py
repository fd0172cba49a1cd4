"""Text from papers is untrusted: what every reader-facing renderer does to it.

- ``strip_controls``: no terminal control reaches a reader. ANSI escape sequences
  (CSI such as ``ESC[31m``, OSC such as the hyperlink ``ESC]8;;file:...``) and every
  other C0/C1 control character except newline and tab are removed, so ``cat`` of a
  Markdown file, a terminal table or a plain-text email cannot recolour, retitle or
  link anything.
- ``http_url``: a link is kept only when it is http(s) (no ``javascript:``, ``data:``,
  ``file:``), with no spaces, quotes, angle brackets or braces in it.
- ``md_text`` / ``md_link``: Markdown from a paper is shown, never interpreted: ``[``,
  ``]``, ``<``, backticks and backslashes are escaped (``[x](javascript:...)`` stays
  text, ``<script>`` becomes ``&lt;script>``); ``md_link`` writes a link only to an
  http(s) URL.
"""

from __future__ import annotations

import re

# No spaces, quotes, angle brackets, backslashes, backticks or braces: the URL goes
# into HTML attributes, Markdown autolinks and BibTeX field braces as it is.
_HTTP = re.compile(r"^https?://[^\s\"'<>\\`{}]+$", re.IGNORECASE)
# ESC [ ... final byte (CSI); ESC ] ... BEL or ESC \ (OSC); ESC P/X/^/_ ... ESC \ (DCS,
# SOS, PM, APC); ESC and one more character (the rest).
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MD_SPECIAL = re.compile(r"([\\`\[\]])")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def strip_controls(text: str) -> str:
    return _CONTROLS.sub("", _ANSI.sub("", text))


def http_url(url: str | None) -> str | None:
    """``url`` (stripped) if it is an http(s) URL safe to write as a link, else None."""
    if not url:
        return None
    url = url.strip()
    return url if _HTTP.match(url) else None


def md_text(text: str) -> str:
    """``text`` as literal Markdown: shown as written, never a link, tag or code span."""
    text = strip_controls(text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _ENTITY.sub("&amp;", text).replace("<", "&lt;")


def md_link(label: str, url: str | None) -> str:
    """``[label](url)`` when ``url`` is http(s), else the label alone (both escaped)."""
    safe = http_url(url)
    if safe is None:
        return md_text(label)
    target = safe.replace("(", "%28").replace(")", "%29")
    return f"[{md_text(label)}]({target})"
