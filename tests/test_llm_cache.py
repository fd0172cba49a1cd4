"""The response cache: its database side (schema migration, verdicts, clear, stats) and the
`reviewer cache clear|stats` commands, run as subprocesses."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import run_cli

from reviewer.llm.db import MIGRATIONS, CallRecord, LLMDatabase


def _call(run_id: str = "r1") -> CallRecord:
    return CallRecord(
        run_id=run_id,
        task="summarize",
        subject="arxiv:2509.06617",
        prompt_id="summarize_paper",
        prompt_version=1,
        prompt_hash="h" * 64,
        model="openai/x",
        cache_key="k",
        cache_hit=False,
        attempt=1,
        reask=0,
        status="ok",
        input_tokens=10,
        output_tokens=5,
    )


SUMMARY = {
    "paper_id": "arxiv:2509.06617",
    "abstract_hash": "a" * 16,
    "model": "openai/x",
    "prompt": "summarize_paper@1",
}


def _put(db: LLMDatabase, key: str, days_old: float, valid: bool = True) -> None:
    db.cache_put(
        key,
        "openai/x",
        "summarize_paper",
        1,
        ['{"tldr": "x"}'],
        valid=valid,
        rejected=0 if valid else 1,
        errors=[] if valid else ["tldr: not in the abstract"],
    )
    created = datetime.now(timezone.utc) - timedelta(days=days_old)
    with sqlite3.connect(db.path) as conn:
        conn.execute(
            "UPDATE cache SET created = ? WHERE key = ?",
            (created.isoformat(timespec="milliseconds"), key),
        )


@pytest.fixture
def db(_isolated_home: Path) -> LLMDatabase:
    """An LLM database with three cached entries (1, 10 and 40 days old, the middle one a
    failure), one logged call and one stored summary."""
    database = LLMDatabase(_isolated_home / "llm.sqlite")
    _put(database, "new", 1)
    _put(database, "middle", 10, valid=False)
    _put(database, "old", 40)
    database.log_call(_call())
    database.put_summary(SUMMARY)
    return database


def test_cached_entry_round_trip_keeps_the_verdict(db: LLMDatabase) -> None:
    good, bad = db.cache_get("new"), db.cache_get("middle")
    assert good is not None and bad is not None and db.cache_get("missing") is None
    assert (good.valid, good.rejected, good.errors) == (True, 0, [])
    assert (bad.valid, bad.rejected, bad.errors) == (False, 1, ["tldr: not in the abstract"])
    assert bad.contents == ['{"tldr": "x"}']


def test_migration_from_the_first_schema(_isolated_home: Path) -> None:
    """An llm.sqlite written before the cache kept verdicts: its log and summaries are
    kept, its cached answers (failures that could look good) dropped."""
    path = _isolated_home / "llm.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(f"{MIGRATIONS[0]}; PRAGMA user_version=1;")
        conn.execute(
            "INSERT INTO cache VALUES ('k', 'openai/x', 'summarize_paper', 1, '[\"{}\"]', 'then')"
        )
        conn.execute(
            "INSERT INTO summaries VALUES ('p', 'h', 'openai/x', 'summarize_paper@1', '{}', 'then')"
        )
    conn.close()
    db = LLMDatabase(path)
    db.log_call(_call())
    assert db.cache_get("k") is None
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0
    conn.close()
    assert db.get_summaries() == {"p": {}}
    db.cache_put("k", "openai/x", "summarize_paper", 1, ["{}"], valid=False, rejected=3)
    cached = db.cache_get("k")
    assert cached is not None and (cached.valid, cached.rejected) == (False, 3)
    db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()
    LLMDatabase(path).close()  # opening a migrated file again changes nothing


def test_clear_cache_by_age_keeps_the_log_and_the_summaries(db: LLMDatabase) -> None:
    assert db.clear_cache(timedelta(days=7)) == 2
    assert [k for k in ("new", "middle", "old") if db.cache_get(k)] == ["new"]
    assert db.clear_cache(timedelta(days=7)) == 0
    assert db.clear_cache() == 1
    assert db.cache_stats().entries == 0
    assert len(db.calls()) == 1 and list(db.get_summaries()) == [SUMMARY["paper_id"]]
    with pytest.raises(ValueError):
        db.clear_cache(timedelta(0))


def test_cache_stats(db: LLMDatabase) -> None:
    stats = db.cache_stats()
    assert (stats.entries, stats.failed) == (3, 1)
    assert stats.size_bytes > 3 * len('["{\\"tldr\\": \\"x\\"}"]')
    assert stats.oldest is not None and stats.newest is not None and stats.oldest < stats.newest


# -- the command -----------------------------------------------------------------------


def test_cache_clear_older_than_then_all(db: LLMDatabase, _isolated_home: Path) -> None:
    db.close()
    result = run_cli("cache", "clear", "--older-than", "7", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"deleted": 2, "remaining": 1, "older_than_days": 7.0}

    result = run_cli("cache", "clear")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Deleted 1 cached answer; 0 left.")
    assert "call log" in result.stderr

    logged = json.loads(run_cli("logs", "--json", check=True).stdout)
    assert [r["status"] for r in logged] == ["ok"]
    kept = LLMDatabase(_isolated_home / "llm.sqlite")
    assert list(kept.get_summaries()) == [SUMMARY["paper_id"]]
    kept.close()


def test_cache_stats_command(db: LLMDatabase) -> None:
    db.close()
    data = json.loads(run_cli("cache", "stats", "--json", check=True).stdout)
    assert (data["entries"], data["failed"]) == (3, 1) and data["size_bytes"] > 0
    text = run_cli("cache", "stats", check=True).stdout
    assert "entries" in text and "failed" in text


def test_cache_commands_without_a_database_create_none(_isolated_home: Path) -> None:
    result = run_cli("cache", "clear", "--older-than", "0.5", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["deleted"] == 0
    assert json.loads(run_cli("cache", "stats", "--json", check=True).stdout)["entries"] == 0
    assert not (_isolated_home / "llm.sqlite").exists()


def test_cache_clear_help_says_what_is_kept() -> None:
    text = " ".join(run_cli("cache", "clear", "--help", check=True).stdout.split())
    assert "call log" in text and "stored summaries are left alone" in text
    assert "--older-than" in text and "DAYS" in text


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf"])
def test_older_than_must_be_a_positive_number(value: str) -> None:
    """typer's own validation: a usage error, exit 2, before anything is opened."""
    from typer.testing import CliRunner

    from reviewer.cli import app

    result = CliRunner().invoke(app, ["cache", "clear", "--older-than", value])
    assert result.exit_code == 2
    text = " ".join(result.output.replace("│", " ").split())  # the error box wraps lines
    assert "Invalid value for '--older-than'" in text and "number of days" in text


def test_older_than_usage_error_from_the_installed_command() -> None:
    result = run_cli("cache", "clear", "--older-than", "0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "number of days" in result.stderr
