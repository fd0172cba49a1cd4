"""`reviewer digest` end to end: the command in a subprocess, a real SMTP server
(aiosmtpd) on loopback, the messages parsed back with the standard library."""

from __future__ import annotations

import json
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from conftest import DATA, REAL, run_cli
from fault_server import FaultServer
from smtp_server import Received, SMTPServer, free_port

# The four seed papers published 1-7 September 2025: the week the digest tests send.
WEEK = ("--since", "2025-09-01", "--until", "2025-09-07")
WEEK_IDS = {"2509.05340", "2509.05343", "2509.05431", "2509.06096"}
LAB = "lab@example.org"


def parts(received: Received) -> tuple[str, str]:
    """The text and HTML parts of a multipart/alternative message."""
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def arxiv_ids(text: str) -> set[str]:
    return set(re.findall(r"arxiv\.org/abs/(\d{4}\.\d{5})", text))


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_the_week_arrives_once_and_force_sends_it_again(seeded_home: Path) -> None:
    with SMTPServer() as smtp:
        first = run_cli("digest", *WEEK, "--to", LAB, env=smtp.env())
        assert first.returncode == 0, first.stderr
        assert len(smtp.messages) == 1
        received = smtp.messages[0]
        assert received.recipients == [LAB]
        message = received.message
        assert message["Subject"] == "Paper digest, 1–7 Sep 2025: 4 papers"
        assert message["To"] == LAB and "reviewer@example.org" in message["From"]
        text, html = parts(received)
        # exactly the papers of the window, in both parts
        assert arxiv_ids(text) == WEEK_IDS
        assert arxiv_ids(html) == WEEK_IDS
        assert len(re.findall(r"^\d+\. ", text, re.MULTILINE)) == 4
        assert "MedSeqFT" in text and "MedSeqFT" in html
        assert "MM-DINOv2" not in text  # published 8 September
        # no model configured: the TL;DR is the abstract's first sentence, labelled so
        assert "From the abstract (first sentence)" in text
        assert "<script" not in html.lower() and "<img" not in html.lower()
        assert "<style" not in html.lower()

        again = run_cli("digest", *WEEK, "--to", LAB, env=smtp.env())
        assert again.returncode == 0
        assert len(smtp.messages) == 1
        assert "sent already" in again.stderr and "nothing sent" in again.stderr

        forced = run_cli("digest", *WEEK, "--to", LAB, "--force", env=smtp.env())
        assert forced.returncode == 0, forced.stderr
        assert len(smtp.messages) == 2
        assert arxiv_ids(parts(smtp.messages[1])[0]) == WEEK_IDS
        assert smtp.messages[1].message["Message-ID"] != message["Message-ID"]

        # A later, overlapping window does not repeat what the lab already has.
        later = run_cli(
            "digest",
            "--since",
            "2025-09-05",
            "--until",
            "2025-09-08",
            "--to",
            LAB,
            "--json",
            env=smtp.env(),
        )
        assert later.returncode == 0, later.stderr
        report = json.loads(later.stdout)
        assert report["status"] == "sent"
        assert set(report["left_out_already_sent"]) == {"arxiv:2509.05431", "arxiv:2509.06096"}
        assert arxiv_ids(parts(smtp.messages[2])[0]) == {"2509.06617"}


def test_a_4xx_fails_cleanly_and_a_later_run_sends_the_kept_digest_once(
    seeded_home: Path,
) -> None:
    # Every attempt of the first run meets a 451; its one retry is used up.
    with SMTPServer(replies=["451 4.3.0 Try again later"] * 2) as smtp:
        env = {**smtp.env(), "REVIEWER_SMTP_RETRIES": "1"}
        failed = run_cli("digest", *WEEK, "--to", LAB, env=env)
        assert failed.returncode == 6
        errors = error_lines(failed.stderr)
        assert len(errors) == 1, failed.stderr
        assert f"127.0.0.1:{smtp.port}" in errors[0] and "451" in errors[0]
        assert "Traceback" not in failed.stderr
        assert smtp.messages == [] and smtp.refused == 2

        later = run_cli("digest", *WEEK, "--to", LAB, env=env)
        assert later.returncode == 0, later.stderr
        assert len(smtp.messages) == 1
        assert arxiv_ids(parts(smtp.messages[0])[0]) == WEEK_IDS
        assert run_cli("digest", *WEEK, "--to", LAB, env=env).returncode == 0
        assert len(smtp.messages) == 1


def test_a_single_4xx_is_retried_within_the_run(seeded_home: Path) -> None:
    with SMTPServer(replies=["421 4.7.0 Too busy"]) as smtp:
        result = run_cli("digest", *WEEK, "--to", LAB, env=smtp.env())
        assert result.returncode == 0, result.stderr
        assert "retrying" in result.stderr
        assert smtp.refused == 1 and len(smtp.messages) == 1


def test_a_rejected_message_leaves_the_outbox_and_is_built_anew_next_time(
    seeded_home: Path,
) -> None:
    with SMTPServer(replies=["554 5.7.1 Message rejected"]) as smtp:
        rejected = run_cli("digest", *WEEK, "--to", LAB, env=smtp.env())
        assert rejected.returncode == 6 and smtp.refused == 1  # a 5xx is not retried
        errors = error_lines(rejected.stderr)
        assert len(errors) == 1 and "554" in errors[0] and f":{smtp.port}" in errors[0]
        assert "not kept for a retry" in rejected.stderr
        assert _outbox(seeded_home) == []  # it cannot hold up later digests
        later = run_cli("digest", *WEEK, "--to", LAB, env=smtp.env())
        assert later.returncode == 0, later.stderr
        assert len(smtp.messages) == 1 and arxiv_ids(parts(smtp.messages[0])[0]) == WEEK_IDS


def test_a_refused_connection_keeps_the_digest_for_the_next_run(seeded_home: Path) -> None:
    port = free_port()  # nothing listens there yet
    env = {
        "REVIEWER_SMTP_HOST": "127.0.0.1",
        "REVIEWER_SMTP_PORT": str(port),
        "REVIEWER_SMTP_SECURITY": "none",
        "REVIEWER_MAIL_FROM": "reviewer@example.org",
        "REVIEWER_SMTP_RETRY_WAIT": "0",
    }
    failed = run_cli("digest", *WEEK, "--to", LAB, "--json", env=env)
    assert failed.returncode == 6
    errors = error_lines(failed.stderr)
    assert len(errors) == 1 and f"127.0.0.1:{port}" in errors[0]
    assert "connection refused" in errors[0] and "4 attempts" in errors[0]
    assert "outbox" in failed.stderr
    # The built message was stored before the first attempt (as after a crash).
    held = BytesParser(policy=policy.default).parsebytes(_outbox(seeded_home)[0])
    with SMTPServer(port=port) as smtp:
        later = run_cli("digest", *WEEK, "--to", LAB, "--json", env=env)
        assert later.returncode == 0, later.stderr
        assert json.loads(later.stdout)["status"] == "sent_from_outbox"
        assert len(smtp.messages) == 1
        assert smtp.messages[0].message["Message-ID"] == held["Message-ID"]
        assert run_cli("digest", *WEEK, "--to", LAB, env=env).returncode == 0
        assert len(smtp.messages) == 1
    assert _outbox(seeded_home) == []


def _outbox(home: Path) -> list[bytes]:
    import sqlite3

    with sqlite3.connect(home / "mail.sqlite") as conn:
        return [r[0] for r in conn.execute("SELECT message FROM digests WHERE status='pending'")]


def test_dry_run_writes_eml_and_html_without_smtp_settings(
    seeded_home: Path, tmp_path: Path
) -> None:
    eml = tmp_path / "digest.eml"
    result = run_cli("digest", *WEEK, "--dry-run", "-o", str(eml))
    assert result.returncode == 0, result.stderr
    with eml.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Message-ID"] and "4 papers" in message["Subject"]
    html_file = tmp_path / "digest.html"
    assert run_cli("digest", *WEEK, "--dry-run", "-o", str(html_file)).returncode == 0
    html = html_file.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and arxiv_ids(html) == WEEK_IDS
    assert not (seeded_home / "mail.sqlite").exists()  # a dry run records nothing


def test_an_empty_week_sends_a_short_email_or_nothing_with_skip_empty(
    seeded_home: Path,
) -> None:
    with SMTPServer() as smtp:
        empty = run_cli("digest", "--week", "2030-W02", "--to", LAB, env=smtp.env())
        assert empty.returncode == 0, empty.stderr
        assert len(smtp.messages) == 1
        assert smtp.messages[0].message["Subject"] == "Paper digest, 7–13 Jan 2030: no new papers"
        text, html = parts(smtp.messages[0])
        assert "No new papers published 7–13 Jan 2030." in text and "No new papers" in html
        skipped = run_cli(
            "digest", "--week", "2030-W03", "--to", LAB, "--skip-empty", env=smtp.env()
        )
        assert skipped.returncode == 0
        assert "--skip-empty: nothing sent" in skipped.stderr
        assert len(smtp.messages) == 1


def test_topics_keep_only_relevant_papers_and_say_why(seeded_home: Path) -> None:
    result = run_cli(
        # February 2025: Lung-DDPM's first version (2502.15204; the seeds list its
        # v2 of 2025-08-12, a revision that is not new in August).
        "digest", "--since", "2025-02-01", "--until", "2025-02-28",
        "--topic", "diffusion models", "--dry-run", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    papers = [p for theme in report["themes"] for p in theme["papers"]]
    kept = {p["id"] for p in papers}
    assert "arxiv:2502.15204" in kept  # Lung-DDPM: semantic layout-guided diffusion models
    assert 0 < len(kept) < report["papers_in_window"]
    assert report["left_out_by_topics"] == report["papers_in_window"] - len(kept)
    for paper in papers:
        (why,) = paper["kept_for"]
        assert why["topic"] == "diffusion models" and why["relevance"] >= report["min_score"]
        assert 1 <= why["rank"] <= why["of"] == report["papers_in_window"]
        # What the relevance is made of: similarity against the store's typical paper,
        # and how the paper uses the topic's words.
        assert why["similarity_z"] == pytest.approx(
            (why["similarity"] - why["typical_similarity"]) / why["similarity_spread"], abs=0.02
        )
        assert why["words_counted"] and 0 < why["words"] <= 1
        assert {"topic_terms", "in_title", "together", "mentions"} <= set(why)
    assert 'Kept for "diffusion models": relevance' in report["text"]
    text = " ".join(report["text"].split())  # the text part is wrapped
    assert "sd above the store's typical" in text and "topic words" in text


def test_auth_logs_in_and_the_password_is_never_shown_or_stored(seeded_home: Path) -> None:
    password = "s3cret-Pa55word-xyz"
    with SMTPServer(users={"digest": password}) as smtp:
        env = {**smtp.env(), "REVIEWER_SMTP_USER": "digest", "REVIEWER_SMTP_PASSWORD": password}
        sent = run_cli("digest", *WEEK, "--to", LAB, "--json", env=env)
        assert sent.returncode == 0, sent.stderr
        assert smtp.messages[0].login == "digest"
        wrong = run_cli(
            "digest", "--week", "2025-W35", "--to", LAB,
            env={**env, "REVIEWER_SMTP_PASSWORD": password + "-wrong"},
        )  # fmt: skip
        assert wrong.returncode == 6 and "login refused" in wrong.stderr
        shown = run_cli("config", "show", "--json", env=env)
        assert json.loads(shown.stdout)["mail"]["smtp_password"] == "*** (set)"
    for result in (sent, wrong, shown):
        assert password not in result.stdout + result.stderr
    for path in seeded_home.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_new_sends_what_was_added_since_the_last_digest() -> None:
    with SMTPServer() as smtp:
        run_cli("ingest", str(DATA / "rss" / "arxiv_cs_AI_rss2_sample.xml"), check=True)
        first = run_cli("digest", "--new", "--to", LAB, env=smtp.env())
        assert first.returncode == 0, first.stderr
        assert "a week back" in first.stderr
        assert len(smtp.messages) == 1 and "3 papers" in smtp.messages[0].message["Subject"]

        run_cli("ingest", str(REAL / "arxiv_api_id_list_2.xml"), check=True)
        second = run_cli("digest", "--new", "--to", LAB, "--json", env=smtp.env())
        assert second.returncode == 0, second.stderr
        assert len(smtp.messages) == 2
        report = json.loads(second.stdout)
        assert report["papers_in_window"] - len(report["left_out_already_sent"]) == 1
        assert "1 paper" in smtp.messages[1].message["Subject"]

        third = run_cli("digest", "--new", "--to", LAB, env=smtp.env())
        assert third.returncode == 0 and "nothing sent" in third.stderr
        assert len(smtp.messages) == 2


def test_an_ingest_that_outlasts_a_digest_is_in_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paper's `added_at` is its ingest's start, but it becomes visible only when
    written. A digest built in between must not move the next window past it."""
    import time

    from reviewer.corpus.readers import read_file
    from reviewer.index.store import Store
    from reviewer.settings import load_settings

    late = tmp_path / "late.json"  # TEST INPUT DATA: one paper, ingested slowly
    late.write_text(
        json.dumps(
            [
                {
                    "title": "Tidal Energy Forecasting with Graph Networks",
                    "arxiv_id": "2512.00001",
                    "abstract": "We forecast tidal energy output with graph neural networks.",
                }
            ]
        )
    )
    with SMTPServer() as smtp:
        run_cli("ingest", str(DATA / "rss" / "arxiv_cs_AI_rss2_sample.xml"), check=True)
        assert run_cli("digest", "--new", "--to", LAB, env=smtp.env()).returncode == 0
        run_cli("ingest", str(REAL / "arxiv_api_id_list_2.xml"), check=True)  # one new paper

        store = Store.open(load_settings())
        embedder = store.embedder()
        real_embed = embedder.embed_documents
        during: list[dict] = []

        def digest_meanwhile(texts: list[str], progress: object = None) -> object:
            if not during:  # the ingest has begun; its paper is not written yet
                time.sleep(1.1)  # the digest's clock is past the ingest's start
                sent = run_cli("digest", "--new", "--to", LAB, "--json", env=smtp.env())
                assert sent.returncode == 0, sent.stderr
                during.append(json.loads(sent.stdout))
            return real_embed(texts, progress=progress)  # type: ignore[arg-type]

        monkeypatch.setattr(embedder, "embed_documents", digest_meanwhile)
        assert store.ingest(read_file(late)[1]).new == 1
        assert during and during[0]["status"] == "sent"
        assert "Tidal Energy" not in smtp.messages[1].message.as_string()

        after = run_cli("digest", "--new", "--to", LAB, "--json", env=smtp.env())
        assert after.returncode == 0, after.stderr
        assert len(smtp.messages) == 3
        assert "1 paper" in smtp.messages[2].message["Subject"]
        text, _ = parts(smtp.messages[2])
        assert "Tidal Energy Forecasting with Graph Networks" in text


def test_model_theme_names_replace_the_clusters_names(seeded_home: Path) -> None:
    august = ["digest", "--since", "2025-08-01", "--until", "2025-08-31", "--dry-run", "--json"]
    themes = json.loads(run_cli(*august, check=True).stdout)["themes"]
    assert len(themes) >= 2 and all(t["source"] == "clusters" for t in themes)
    # The clustering names each group by words of its titles: such words pass.
    good = [" ".join(t["title"].replace(",", "").split()[:3]) for t in themes]
    with FaultServer([("answer", json.dumps({"names": good}))]) as model:
        env = {"REVIEWER_MODEL": "openai/fault-test", "REVIEWER_API_BASE": model.url}
        named = run_cli(*august, "--name-themes", env=env)
        assert named.returncode == 0, named.stderr
        assert len(model.requests) == 1
    renamed = json.loads(named.stdout)["themes"]
    assert [t["title"] for t in renamed] == good
    assert all(t["source"] == "model" for t in renamed)
    assert [t["papers"] for t in renamed] == [t["papers"] for t in themes]
    assert all(f"{name} " in json.loads(named.stdout)["html"] for name in good)


@pytest.mark.parametrize(
    ("args", "env", "code", "fragment"),
    [
        (["--week", "2025-W36", "--to", LAB], {}, 3, "REVIEWER_SMTP_HOST"),
        (["--week", "2025-W36"], {"REVIEWER_SMTP_HOST": "x"}, 2, "no recipients"),
        (["--week", "2025-W36", "--new", "--dry-run"], {}, 2, "choose one window"),
        (["--since", "2025-13-01", "--dry-run"], {}, 2, "'2025-13-01' is not a date"),
        (["--week", "2025-W36", "--to", "lab.example.org"], {}, 2, "not an email address"),
        (["--week", "2025-W36", "--topic", "SAM", "--min-score", "1.5"], {}, 2, "outside (0, 1]"),
    ],
)
def test_bad_input_is_one_line_and_touches_nothing(
    _isolated_home: Path, args: list[str], env: dict[str, str], code: int, fragment: str
) -> None:
    result = run_cli("digest", *args, env=env)
    assert result.returncode == code, result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and fragment in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not _isolated_home.exists()  # neither the store nor the ledger was created
