"""The digest's parts in process: windows, rendering, SMTP retries, the ledger, and the
config file that carries the mail settings."""

from __future__ import annotations

from datetime import date, datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from smtp_server import SMTPServer, free_port

from reviewer.corpus.model import Paper
from reviewer.errors import ConfigError, NetworkError, ReviewerError
from reviewer.mail import MailLedger, check_smtp_settings, deliver
from reviewer.render.email import build_message, render_html, render_text, subject
from reviewer.settings import Settings, load_settings
from reviewer.tasks.digest import (
    DigestContent,
    DigestPaper,
    DigestTheme,
    TopicMatch,
    Window,
    date_window,
    new_window,
)
from reviewer.tasks.topic_relevance import Relevance, Words

TODAY = date(2025, 9, 10)  # a Wednesday


# -- windows ---------------------------------------------------------------------------


def test_weeks_and_date_windows() -> None:
    assert date_window(None, None, "2025-W36", False, TODAY) == Window(
        date(2025, 9, 1), date(2025, 9, 7)
    )
    assert date_window(None, None, "last", False, TODAY) == Window(
        date(2025, 9, 1), date(2025, 9, 7)
    )
    assert date_window("2025-09-01", None, None, False, TODAY) == Window(date(2025, 9, 1), TODAY)
    assert date_window(None, None, None, True, TODAY) is None  # --new: the ledger decides
    assert Window(date(2025, 8, 30), date(2025, 9, 5)).label() == "30 Aug – 5 Sep 2025"
    assert Window(date(2024, 12, 30), date(2025, 1, 5)).label() == "30 Dec 2024 – 5 Jan 2025"


@pytest.mark.parametrize(
    ("since", "until", "week", "new", "fragment"),
    [
        (None, None, None, False, "say which papers"),
        ("2025-09-01", None, "2025-W36", False, "choose one window"),
        (None, None, "2025-W36", True, "choose one window"),
        (None, None, "2025-W54", False, "2025 has no week 54"),
        (None, None, "week 36", False, "not an ISO week"),
        (None, "2025-09-07", None, False, "--until needs --since"),
        ("2025-09-07", "2025-09-01", None, False, "is after --until"),
        ("07/09/2025", None, None, False, "is not a date"),
    ],
)
def test_window_errors(
    since: str | None, until: str | None, week: str | None, new: bool, fragment: str
) -> None:
    with pytest.raises(ReviewerError) as info:
        date_window(since, until, week, new, TODAY)
    assert fragment in info.value.message


def test_new_starts_at_the_oldest_last_digest_or_a_week_back() -> None:
    now = datetime(2025, 9, 10, 8, 0, tzinfo=timezone.utc)
    window = new_window({"a@x.org": "2025-09-03T08:00:00+00:00", "b@x.org": None}, now)
    assert window.added_since == "2025-09-03T08:00:00+00:00" and window.first_new
    window = new_window({"a@x.org": "2025-09-08T08:00:00+00:00"}, now)
    assert window.added_since == "2025-09-08T08:00:00+00:00" and not window.first_new


def test_model_theme_names_must_use_the_titles_words() -> None:
    from pydantic import ValidationError

    from reviewer.tasks.digest import _theme_names_model, words_not_in_titles

    groups = [["Segment Anything for CT", "SAM2 adapters in MRI"], ["Federated learning at scale"]]
    names = _theme_names_model()
    ok = names.model_validate(
        {"names": ["Segmenting CT and MRI", "Federated learning"]}, context={"groups": groups}
    )
    # "Segmenting" shares its first five letters with the title word "Segment".
    assert ok.names[0] == "Segmenting CT and MRI"
    assert words_not_in_titles("Quantum blockchain for CT", groups[0]) == ["quantum", "blockchain"]
    for bad, fragment in [
        (["Quantum blockchain", "Federated learning"], "not in the group's titles: quantum"),
        (["Federated learning"], "give 2 names"),
        (["Segment Anything", "segment anything"], "same name"),
    ]:
        with pytest.raises(ValidationError, match=fragment):
            names.model_validate({"names": bad}, context={"groups": groups})


def test_tldr_from_a_current_summary_else_the_first_sentence() -> None:
    from reviewer.tasks.digest import tldr_for

    paper = Paper(id="arxiv:1", title="T", abstract="First sentence here. Second one.")
    summary = {
        "paper_id": paper.id, "title": "T", "tldr": "What it does.", "tldr_source": "model",
        "problem": "p", "method": "m", "task": "t", "modality": "MRI", "anatomy": "brain",
        "datasets": [], "metrics": [], "findings": [], "limitations": [],
        "code": {"available": "no", "urls": [], "source": "none"}, "not_reported": [],
        "abstract_truncated": False, "validation": "passed", "model": "x", "prompt": "p@1",
        "profile": "medical-imaging@0123456789ab", "abstract_hash": paper.text_hash(),
    }  # fmt: skip
    assert tldr_for(paper, summary) == ("What it does.", "summary")
    stale = {**summary, "abstract_hash": "0" * 32}  # made from an older abstract
    assert tldr_for(paper, stale) == ("First sentence here.", "abstract")
    assert tldr_for(paper, None) == ("First sentence here.", "abstract")
    assert tldr_for(Paper(id="x", title="No abstract"), None) == ("", "none")


# -- rendering ------------------------------------------------------------------------------


def _relevance() -> Relevance:
    words = Words(score=0.92, terms=1.0, in_title=1.0, together=None, mentions=2)
    return Relevance(0.61, 0.3, 0.1, 0.08, 0.4, words, words_counted=True)


def _content(papers: list[Paper], topics: list[str] | None = None) -> DigestContent:
    items = [
        DigestPaper(
            p,
            "It does a thing <well>.",
            "abstract",
            [TopicMatch("segmentation", _relevance(), 1, 3)] if topics else [],
        )
        for p in papers
    ]
    return DigestContent(
        window=Window(date(2025, 9, 1), date(2025, 9, 7)),
        topics=topics or [],
        min_score=0.4,
        themes=[DigestTheme("Segmentation", "clusters", items)] if items else [],
        in_window=len(items),
        left_out_sent=[],
        left_out_topics=0,
    )


def test_paper_data_is_escaped_and_only_http_links_are_kept() -> None:
    paper = Paper(
        id="arxiv:2509.00001",
        title='<script>alert("x")</script> & SAM',
        abstract="A.",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
        published=date(2025, 9, 2),
        abs_url="javascript:alert(1)",
        code_urls=["https://github.com/x/y", "ftp://example.org/code"],
    )
    content = _content([paper], topics=["segmentation"])
    html = render_html(content)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html and "ftp://" not in html
    assert 'href="https://github.com/x/y"' in html
    assert "&lt;well&gt;" in html
    text = render_text(content)
    assert "Abstract: no link" in text and "Code: https://github.com/x/y" in text
    assert "Ada Lovelace, Alan Turing, Grace Hopper et al. (4 authors)" in text
    flat = " ".join(text.split())  # the text part is wrapped
    assert 'Kept for "segmentation": relevance 0.61 (similarity 0.30, 2.5 sd above' in flat
    assert "topic words 0.92: all found, all in the title, named in 2 sentences" in flat
    assert "<style" not in html and "<img" not in html and "@import" not in html


def test_the_message_is_multipart_alternative_with_text_first() -> None:
    paper = Paper(id="arxiv:2509.00002", title="A paper", published=date(2025, 9, 3))
    message = build_message(
        _content([paper]), ["lab@example.org"], "Reviewer <digest@example.org>", "k1"
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Message-ID"].endswith("@example.org>")
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Subject"] == "Paper digest, 1–7 Sep 2025: 1 paper"
    assert subject(_content([])) == "Paper digest, 1–7 Sep 2025: no new papers"


# -- SMTP ---------------------------------------------------------------------------------


def _settings(home: Path, port: int, **extra: object) -> Settings:
    return Settings(
        home=home,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        mail_from="digest@example.org",
        **extra,  # type: ignore[arg-type]
    )


def test_transient_failures_back_off_boundedly_then_fail_naming_the_server(
    tmp_path: Path,
) -> None:
    port = free_port()
    waits: list[float] = []
    with pytest.raises(NetworkError) as info:
        deliver(b"Subject: x\r\n\r\nx\r\n", ["a@x.org"], _settings(tmp_path, port), waits.append)
    assert waits == [0.5, 1.0, 2.0]  # the defaults: 3.5 s in all
    assert f"127.0.0.1:{port}" in info.value.message and "4 attempts" in info.value.message


def test_a_permanent_refusal_is_not_retried(tmp_path: Path) -> None:
    waits: list[float] = []
    with SMTPServer(replies=["554 5.7.1 Rejected"]) as smtp:
        with pytest.raises(NetworkError) as info:
            deliver(b"Subject: x\r\n\r\nx\r\n", ["a@x.org"], _settings(tmp_path, smtp.port),
                    waits.append)  # fmt: skip
        assert "554" in info.value.message and waits == [] and smtp.refused == 1


def test_unsafe_or_incomplete_smtp_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unencrypted"):
        check_smtp_settings(
            Settings(
                home=tmp_path,
                smtp_host="smtp.example.org",
                smtp_security="none",
                smtp_user="u",
                smtp_password="pw",  # type: ignore[arg-type]
                mail_from="a@example.org",
            )
        )
    with pytest.raises(ConfigError, match="REVIEWER_SMTP_PASSWORD is not"):
        check_smtp_settings(_settings(tmp_path, 25, smtp_user="u"))
    with pytest.raises(ConfigError, match="REVIEWER_MAIL_FROM"):
        check_smtp_settings(Settings(home=tmp_path, smtp_host="h"))


# -- the ledger ------------------------------------------------------------------------------


def test_the_ledger_remembers_papers_per_recipient(tmp_path: Path) -> None:
    ledger = MailLedger(Settings(home=tmp_path))
    message = build_message(_content([]), ["Lab <LAB@example.org>"], None, "k")
    held = ledger.add_pending("k", message, ["Lab <LAB@example.org>"], ["p1", "p2"],
                              {"store_upto": "2025-09-08T00:00:00+00:00"})  # fmt: skip
    assert [d.key for d in ledger.pending()] == ["k"]
    assert ledger.already_sent(["lab@example.org"], ["p1", "p3"]) == set()  # not sent yet
    ledger.mark_sent(held, ["Lab <LAB@example.org>"])
    assert ledger.pending() == []
    assert ledger.already_sent(["lab@example.org", "x@y.org"], ["p1", "p3"]) == {"p1"}
    assert ledger.already_sent(["x@y.org"], ["p1"]) == set()
    assert ledger.last_new_upto(["lab@example.org", "x@y.org"]) == {
        "lab@example.org": "2025-09-08T00:00:00+00:00",
        "x@y.org": None,
    }
    assert ledger.last_sent("k") is not None and ledger.last_sent("other") is None
    ledger.close()


def test_one_sending_run_at_a_time(tmp_path: Path) -> None:
    first, second = MailLedger(Settings(home=tmp_path)), MailLedger(Settings(home=tmp_path))
    busy = pytest.raises(ReviewerError, match="another `reviewer digest` is sending")
    with first.lock(), busy, second.lock():
        pass  # pragma: no cover
    with second.lock():
        pass  # released when the first run ends
    first.close()
    second.close()


# -- the config file -------------------------------------------------------------------------


def test_the_config_file_holds_mail_settings_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "reviewer.toml"
    config.write_text(
        'smtp_host = "smtp.example.org"\nsmtp_security = "ssl"\n'
        'mail_to = ["a@example.org", "b@example.org"]\nsmtp_password = "from-file"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("REVIEWER_CONFIG", str(config))
    settings = load_settings()
    assert settings.smtp_host == "smtp.example.org" and settings.smtp_port_in_use == 465
    assert settings.mail_to == ["a@example.org", "b@example.org"]
    assert settings.smtp_password is not None and "from-file" not in repr(settings)
    monkeypatch.setenv("REVIEWER_SMTP_HOST", "other.example.org")
    monkeypatch.setenv("REVIEWER_MAIL_TO", "c@example.org, d@example.org")
    settings = load_settings()
    assert settings.smtp_host == "other.example.org"
    assert settings.mail_to == ["c@example.org", "d@example.org"]


def test_the_config_file_sits_in_reviewer_home_by_default(_isolated_home: Path) -> None:
    _isolated_home.mkdir()
    (_isolated_home / "config.toml").write_text('mail_from = "x@example.org"\n')
    assert load_settings().mail_from == "x@example.org"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('smtp_host = "unclosed\n', "not valid TOML"),
        ('smtp_hots = "x"\n', "unknown setting smtp_hots"),
        ('smtp_security = "tls"\n', "invalid setting smtp_security"),
        ("smtp_port = 70000\n", "invalid setting smtp_port"),
    ],
)
def test_a_bad_config_file_is_one_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fragment: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("REVIEWER_CONFIG", str(config))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert fragment in info.value.message and str(config) in info.value.message
    assert "\n" not in info.value.message
