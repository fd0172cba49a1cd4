"""The digest as an email: a plain-text part, an HTML part and the MIME message.

The HTML is built for mail clients, not browsers: a single centred column at most
640 px wide that shrinks to the screen (readable on a phone without media queries,
which many clients drop), tables for the outer layout, inline ``style`` attributes
only (no ``<style>`` block, no remote images or fonts, no scripts), and every piece of
paper data escaped. Links are kept only when they are http(s): a paper's metadata
comes from files and feeds, and a ``javascript:`` link must never reach a reader.
Titles, TL;DRs, authors and theme names are shown as readable text (``DS$^2$Net`` as
``DS²Net``, :func:`reviewer.render.tex.tex_to_text`), converted before they are escaped,
and stripped of terminal control sequences (:mod:`reviewer.render.safe`).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from reviewer.render.safe import http_url, strip_controls
from reviewer.render.tex import tex_to_text
from reviewer.tasks.digest import DigestContent, DigestPaper, TopicMatch

WIDTH = 76

FONT = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
INK = "#1f2328"
MUTED = "#59636e"
LINK = "#0b57d0"
RULE = "#e3e6ea"
PAGE = "#f3f4f6"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def safe_url(url: str | None) -> str | None:
    return http_url(url)


def _readable(text: str) -> str:
    """Paper text as a reader sees it: TeX as Unicode, no terminal control sequences."""
    return strip_controls(tex_to_text(text))


def subject(content: DigestContent) -> str:
    n = content.count
    count = f"{n} paper{'s' if n != 1 else ''}" if n else "no new papers"
    about = ""
    if content.topics:
        shown = content.topics[:2]
        about = " on " + ", ".join(shown) + (" …" if len(content.topics) > 2 else "")
    return f"Paper digest, {content.window.label()}: {count}{about}"


def authors_line(authors: Sequence[str]) -> str:
    if not authors:
        return "authors not listed"
    authors = [_readable(a) for a in authors]
    if len(authors) <= 3:
        return ", ".join(authors)
    return f"{', '.join(authors[:3])} et al. ({len(authors)} authors)"


def _date(item: DigestPaper) -> str:
    published = item.paper.published
    if published is None:
        return "date unknown"
    if item.paper.published_precision == "month":
        return f"{published:%b %Y}"
    return f"{published.day} {published:%b %Y}"


def tldr_label(item: DigestPaper) -> str:
    if item.tldr_source == "abstract":
        return "From the abstract (first sentence)"
    return "TL;DR"


def why_kept(match: TopicMatch) -> str:
    """Why the paper was kept for a topic, from the parts of its relevance."""
    r = match.relevance
    w = r.words
    side = "above" if r.z >= 0 else "below"
    similarity = (
        f"similarity {r.similarity:.2f}, {abs(r.z):.1f} sd {side} the store's typical "
        f"{r.typical:.2f}"
    )
    if r.words_counted:
        bits = ["all found" if w.terms >= 0.995 else f"{w.terms:.0%} found"]
        if w.in_title >= 0.995:
            bits.append("all in the title")
        elif w.in_title > 0:
            bits.append(f"{w.in_title:.0%} in the title")
        if w.together is not None:
            bits.append("together" if w.together >= 0.995 else f"{w.together:.0%} together")
        bits.append(f"named in {w.mentions} sentence{'s' if w.mentions != 1 else ''}")
        words = f"topic words {w.score:.2f}: {', '.join(bits)}"
    else:
        words = "topic words not counted: similarity below the store's typical"
    return (
        f'kept for "{match.topic}": relevance {r.relevance:.2f} ({similarity}; {words}), '
        f"{_ordinal(match.rank)} of {match.of}"
    )


def _sentence(text: str) -> str:
    """``text`` with a capital first letter (the rest as it is: a topic keeps its case)."""
    return text[:1].upper() + text[1:]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def intro(content: DigestContent) -> str:
    window = content.window
    if window.new:
        where = f"added to the store since {(window.added_since or '')[:16].replace('T', ' ')} UTC"
    else:
        where = f"published {window.label()}"
    n = content.count
    if not n:
        reasons = []
        if content.left_out_sent:
            k = len(content.left_out_sent)
            reasons.append(f"{k} paper{'s were' if k != 1 else ' was'} sent in an earlier digest")
        if content.left_out_topics:
            k = content.left_out_topics
            reasons.append(f"{k} did not match the topics")
        tail = f" ({'; '.join(reasons)})" if reasons else ""
        return f"No new papers {where}{tail}."
    themes = len(content.themes)
    return (
        f"{n} paper{'s' if n != 1 else ''} {where}"
        + (f", in {themes} themes" if themes > 1 else "")
        + "."
    )


def footer_lines(content: DigestContent) -> list[str]:
    lines = []
    if content.topics:
        lines.append(
            "Topics: "
            + "; ".join(content.topics)
            + ". A paper is kept when its relevance to a topic is at least "
            f"{content.min_score:g}: relevance weighs how much more similar to the topic "
            "the paper is than the store's typical paper, and how it uses the topic's "
            "words (together, in the title or the abstract's first sentences, more than "
            "once in passing)."
        )
    if content.left_out_sent and content.count:
        k = len(content.left_out_sent)
        lines.append(
            f"{k} paper{'s' if k != 1 else ''} sent in an earlier digest "
            f"{'are' if k != 1 else 'is'} not repeated."
        )
    if any(p.tldr_source == "abstract" for p in content.papers):
        lines.append(
            "“From the abstract” marks the abstract's first sentence, quoted because the "
            "paper has no current model summary."
        )
    lines.append("Sent by reviewer (reviewer digest).")
    return lines


# -- plain text ------------------------------------------------------------------------


def _wrap(text: str, indent: str = "   ") -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_long_words=False
    )


def render_text(content: DigestContent) -> str:
    out = [f"Paper digest: {content.window.label()}", "", _wrap(intro(content), ""), ""]
    number = 0
    for theme in content.themes:
        if len(content.themes) > 1:
            heading = f"{_readable(theme.title)} ({len(theme.papers)})"
            out += [heading, "=" * min(len(heading), WIDTH), ""]
        for item in theme.papers:
            number += 1
            paper = item.paper
            out.append(
                textwrap.fill(
                    f"{number}. {_readable(paper.title)}",
                    WIDTH,
                    subsequent_indent="   ",
                    break_long_words=False,
                )
            )
            out.append(_wrap(f"{_date(item)} · {authors_line(paper.authors)}"))
            if item.tldr:
                out.append(_wrap(f"{tldr_label(item)}: {_readable(item.tldr)}"))
            abstract = safe_url(paper.abs_url)
            out.append(f"   Abstract: {abstract or 'no link'}")
            codes = [u for u in map(safe_url, paper.code_urls) if u]
            out.append(f"   Code: {' '.join(codes) if codes else 'none listed'}")
            for match in item.matches:
                out.append(_wrap(_sentence(why_kept(match))))
            out.append("")
    out += ["--"] + [textwrap.fill(line, WIDTH) for line in footer_lines(content)]
    return "\n".join(out) + "\n"


# -- HTML ---------------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _link(url: str, label: str) -> str:
    return (
        f'<a href="{_e(url)}" style="color:{LINK};text-decoration:underline;'
        f'word-break:break-all;">{_e(label)}</a>'
    )


def _paper_html(item: DigestPaper, number: int) -> str:
    paper = item.paper
    abstract = safe_url(paper.abs_url)
    title = _e(_readable(paper.title))
    if abstract:
        title = f'<a href="{_e(abstract)}" style="color:{INK};text-decoration:none;">{title}</a>'
    links = []
    if abstract:
        links.append(_link(abstract, "Abstract"))
    codes = [u for u in map(safe_url, paper.code_urls) if u]
    for i, url in enumerate(codes):
        links.append(_link(url, "Code" if len(codes) == 1 else f"Code {i + 1}"))
    if not codes:
        links.append(f'<span style="color:{MUTED};">no code listed</span>')
    parts = [
        f'<div style="font-size:16px;line-height:1.35;font-weight:600;color:{INK};'
        f'word-break:break-word;">{number}. {title}</div>',
        f'<div style="font-size:13px;line-height:1.5;color:{MUTED};margin-top:3px;">'
        f"{_e(_date(item))} · {_e(authors_line(paper.authors))}</div>",
    ]
    if item.tldr:
        label = _e(tldr_label(item))
        parts.append(
            f'<div style="font-size:15px;line-height:1.5;color:{INK};margin-top:6px;">'
            f'<span style="font-weight:600;">{label}:</span> {_e(_readable(item.tldr))}</div>'
        )
    parts.append(
        f'<div style="font-size:14px;line-height:1.5;margin-top:6px;">'
        f"{' &nbsp;·&nbsp; '.join(links)}</div>"
    )
    for match in item.matches:
        parts.append(
            f'<div style="font-size:12px;line-height:1.5;color:{MUTED};margin-top:4px;">'
            f"{_e(_sentence(why_kept(match)))}</div>"
        )
    return (
        f'<tr><td style="padding:14px 0;border-top:1px solid {RULE};">'
        + "".join(parts)
        + "</td></tr>"
    )


def render_html(content: DigestContent) -> str:
    title = subject(content)
    rows: list[str] = []
    number = 0
    for theme in content.themes:
        if len(content.themes) > 1:
            n = len(theme.papers)
            rows.append(
                f'<tr><td style="padding:24px 0 8px;">'
                f'<div style="font-size:17px;line-height:1.35;font-weight:700;color:{INK};'
                f'border-left:4px solid {LINK};padding-left:10px;">{_e(_readable(theme.title))} '
                f'<span style="font-size:13px;font-weight:400;color:{MUTED};">'
                f"{n} paper{'s' if n != 1 else ''}</span></div></td></tr>"
            )
        for item in theme.papers:
            number += 1
            rows.append(_paper_html(item, number))
    if not rows:
        rows.append(
            f'<tr><td style="padding:14px 0;border-top:1px solid {RULE};font-size:15px;'
            f'color:{MUTED};">Nothing this time.</td></tr>'
        )
    footer = "".join(f'<p style="margin:0 0 6px;">{_e(line)}</p>' for line in footer_lines(content))
    layout = 'role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"'
    card = f"max-width:640px;background-color:#ffffff;border:1px solid {RULE};border-radius:8px;"
    kicker = f"font-size:13px;color:{MUTED};letter-spacing:0.04em;text-transform:uppercase;"
    h1 = f"margin:4px 0 8px;font-size:22px;line-height:1.3;font-weight:700;color:{INK};"
    lead = f"margin:0;font-size:15px;line-height:1.5;color:{INK};"
    foot = (
        f"padding:14px 22px 20px;font-family:{FONT};font-size:12px;line-height:1.5;"
        f"color:{MUTED};border-top:1px solid {RULE};"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
</head>
<body style="margin:0;padding:0;background-color:{PAGE};">
<div style="display:none;max-height:0;overflow:hidden;">{_e(intro(content))}</div>
<table {layout} style="background-color:{PAGE};">
<tr><td align="center" style="padding:16px 8px;">
<table {layout} style="{card}">
<tr><td style="padding:22px 22px 8px;font-family:{FONT};color:{INK};">
<div style="{kicker}">Paper digest</div>
<h1 style="{h1}">{_e(content.window.label())}</h1>
<p style="{lead}">{_e(intro(content))}</p>
</td></tr>
<tr><td style="padding:0 22px 8px;font-family:{FONT};">
<table {layout}>
{"".join(rows)}
</table>
</td></tr>
<tr><td style="{foot}">
{footer}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""


# -- the message ----------------------------------------------------------------------------


def build_message(
    content: DigestContent,
    recipients: Sequence[str],
    sender: str | None,
    key: str,
) -> EmailMessage:
    """multipart/alternative: the text part first, the HTML part last (preferred)."""
    message = EmailMessage(policy=policy.default)
    message["Subject"] = subject(content)
    if sender:
        message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=True)
    domain = sender.rpartition("@")[2].strip(" >") if sender and "@" in sender else "localhost"
    # An explicit domain: make_msgid's default asks DNS for this host's name.
    message["Message-ID"] = make_msgid(idstring="digest", domain=domain)
    # RFC 3834: automatic mail; well-behaved auto-responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Reviewer-Digest"] = key
    message.set_content(render_text(content), subtype="plain", cte="quoted-printable")
    message.add_alternative(render_html(content), subtype="html", cte="quoted-printable")
    return message
