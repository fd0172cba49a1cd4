"""The response cache: its database side (schema migration, verdicts)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

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
