"""One SQLite file under REVIEWER_HOME for everything the LLM layer remembers:
the call log (every attempt, with tokens, cost, latency, cache hit and error),
the response cache, and the latest grounded summary of each paper.

Migrations are append-only: a new schema change is a new entry in MIGRATIONS,
and ``PRAGMA user_version`` records how many have run.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

# calls.status: ok (an answer arrived), invalid (it failed validation), error (transport
# failure), cache (answered from the cache, no request). A cache row with an error replayed
# an answer that had failed validation when it was cached; the error is that failure's.
MIGRATIONS = (
    """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        run_id TEXT NOT NULL,
        task TEXT NOT NULL,
        subject TEXT,
        prompt_id TEXT NOT NULL,
        prompt_version INTEGER NOT NULL,
        prompt_hash TEXT NOT NULL,
        model TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        cache_hit INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        reask INTEGER NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        priced INTEGER NOT NULL DEFAULT 1,
        latency_ms REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX calls_run ON calls(run_id);
    CREATE TABLE cache (
        key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        prompt_version INTEGER NOT NULL,
        content TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE summaries (
        paper_id TEXT PRIMARY KEY,
        abstract_hash TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt TEXT NOT NULL,
        json TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    """,
    # 2: each cached entry says whether its last answer passed validation, how many answers
    # the validators rejected and the last answer's errors, so that a failure is replayed as
    # a failure. Entries written before did not say (a failure could be replayed as if it
    # were good), and the cache key now also covers the validation context, so no old key
    # would be asked for again: they are dropped.
    """
    DELETE FROM cache;
    ALTER TABLE cache ADD COLUMN valid INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cache ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cache ADD COLUMN errors TEXT NOT NULL DEFAULT '[]';
    CREATE INDEX cache_created ON cache(created);
    """,
)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class CallRecord:
    run_id: str
    task: str
    subject: str | None
    prompt_id: str
    prompt_version: int
    prompt_hash: str
    model: str
    cache_key: str
    cache_hit: bool
    attempt: int
    reask: int
    status: str
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    priced: bool = True
    latency_ms: float = 0.0
    ts: str = field(default_factory=now)
    id: int | None = None


@dataclass(frozen=True)
class CachedAnswer:
    """One entry of the response cache: every answer of one structured request."""

    contents: list[str]  # every answer's raw text, oldest first
    valid: bool  # the last answer passed validation
    rejected: int  # answers the validators rejected
    errors: list[str]  # the last answer's validation errors ([] when it passed)
    created: str  # when the answers arrived (UTC, ISO 8601)


@dataclass(frozen=True)
class CacheStats:
    entries: int
    failed: int  # entries whose last answer failed validation
    size_bytes: int  # the stored answers and errors (the file shrinks only on a VACUUM)
    oldest: str | None
    newest: str | None


class LLMDatabase:
    """Thread-safe (one connection, one lock); several processes may share the file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            if self._conn.execute("PRAGMA user_version").fetchone()[0] >= len(MIGRATIONS):
                return
            # Another process may be migrating the same file: take the write lock first,
            # then read the version again, so each migration runs exactly once.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                version = self._conn.execute("PRAGMA user_version").fetchone()[0]
                for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                    for statement in script.split(";"):
                        if statement.strip():
                            self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version={number}")
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    # -- call log ---------------------------------------------------------------

    def log_call(self, record: CallRecord) -> int:
        data = asdict(record)
        data.pop("id")
        data["cache_hit"] = int(record.cache_hit)
        data["priced"] = int(record.priced)
        columns = ", ".join(data)
        marks = ", ".join(f":{k}" for k in data)
        with self._tx() as conn:
            cursor = conn.execute(f"INSERT INTO calls ({columns}) VALUES ({marks})", data)
            return int(cursor.lastrowid or 0)

    def mark_invalid(self, call_id: int, error: str) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE calls SET status='invalid', error=? WHERE id=?", (error, call_id))

    def calls(
        self, limit: int | None = None, run_id: str | None = None, task: str | None = None
    ) -> list[dict[str, Any]]:
        where, args = [], []
        if run_id:
            where.append("run_id = ?")
            args.append(run_id)
        if task:
            where.append("task = ?")
            args.append(task)
        sql = "SELECT * FROM calls"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = [dict(r) for r in self._conn.execute(sql, args)]
        for row in rows:
            row["cache_hit"] = bool(row["cache_hit"])
            row["priced"] = bool(row["priced"])
        return rows[::-1]

    def totals(self, run_id: str | None = None) -> dict[str, Any]:
        sql = (
            "SELECT COUNT(*) AS rows, "
            "SUM(CASE WHEN cache_hit=0 THEN 1 ELSE 0 END) AS model_calls, "
            "SUM(cache_hit) AS cache_hits, "
            "SUM(CASE WHEN cache_hit=1 AND error IS NOT NULL THEN 1 ELSE 0 END) AS cache_invalid, "
            "SUM(CASE WHEN status='invalid' THEN 1 ELSE 0 END) AS rejected, "
            "SUM(CASE WHEN status='error' THEN 1 ELSE 0 END) AS errors, "
            "COALESCE(SUM(input_tokens), 0) AS input_tokens, "
            "COALESCE(SUM(output_tokens), 0) AS output_tokens, "
            "COALESCE(SUM(cost_usd), 0) AS cost_usd, "
            "COALESCE(MIN(priced), 1) AS priced FROM calls"
        )
        args: list[Any] = []
        if run_id:
            sql += " WHERE run_id = ?"
            args.append(run_id)
        with self._lock:
            row = dict(self._conn.execute(sql, args).fetchone())
        row = {k: (v or 0) for k, v in row.items()}
        row["priced"] = bool(row["priced"])
        return row

    # -- response cache ---------------------------------------------------------------

    def cache_get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT content, valid, rejected, errors, created FROM cache WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        return CachedAnswer(
            contents=[str(c) for c in json.loads(row["content"])],
            valid=bool(row["valid"]),
            rejected=int(row["rejected"]),
            errors=[str(e) for e in json.loads(row["errors"])],
            created=str(row["created"]),
        )

    def cache_put(
        self,
        key: str,
        model: str,
        prompt_id: str,
        version: int,
        contents: Sequence[str],
        *,
        valid: bool,
        rejected: int,
        errors: Sequence[str] = (),
    ) -> None:
        """Store (or replace) the answers of one request, with whether the last passed."""
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO cache "
                "(key, model, prompt_id, prompt_version, content, created, valid, rejected, errors)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    model,
                    prompt_id,
                    version,
                    json.dumps(list(contents), ensure_ascii=False),
                    now(),
                    int(valid),
                    rejected,
                    json.dumps(list(errors), ensure_ascii=False),
                ),
            )

    def clear_cache(self, older_than: timedelta | None = None) -> int:
        """Delete the cached answers (those cached more than ``older_than`` ago, or all);
        the call log and the stored summaries are kept. Returns how many were deleted."""
        if older_than is not None and older_than <= timedelta(0):
            raise ValueError(f"older_than must be positive, not {older_than}")
        with self._tx() as conn:
            if older_than is None:
                cursor = conn.execute("DELETE FROM cache")
            else:
                cutoff = datetime.now(timezone.utc) - older_than
                cursor = conn.execute(
                    "DELETE FROM cache WHERE created < ?",
                    (cutoff.isoformat(timespec="milliseconds"),),
                )
            return int(cursor.rowcount)

    def cache_stats(self) -> CacheStats:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(1 - valid), 0), "
                "COALESCE(SUM(LENGTH(CAST(content AS BLOB)) + LENGTH(CAST(errors AS BLOB))), 0), "
                "MIN(created), MAX(created) FROM cache"
            ).fetchone()
        return CacheStats(
            entries=int(row[0]),
            failed=int(row[1]),
            size_bytes=int(row[2]),
            oldest=row[3],
            newest=row[4],
        )

    # -- summaries ----------------------------------------------------------------------

    def put_summary(self, summary: dict[str, Any]) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?, ?)",
                (
                    summary["paper_id"],
                    summary["abstract_hash"],
                    summary["model"],
                    summary["prompt"],
                    json.dumps(summary, ensure_ascii=False, sort_keys=True),
                    now(),
                ),
            )

    def get_summaries(self, paper_ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        with self._lock:
            if paper_ids is None:
                rows = self._conn.execute("SELECT paper_id, json FROM summaries").fetchall()
            else:
                rows = []
                for start in range(0, len(paper_ids), 500):
                    chunk = paper_ids[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows += self._conn.execute(
                        f"SELECT paper_id, json FROM summaries WHERE paper_id IN ({marks})", chunk
                    ).fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    def delete_summaries(self, paper_ids: Sequence[str]) -> int:
        """Drop the stored summaries of these papers (one transaction); returns how many
        there were. Cached answers stay: they are keyed by prompt content, not by paper."""
        unique = list(dict.fromkeys(paper_ids))
        deleted = 0
        with self._tx() as conn:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                cursor = conn.execute(f"DELETE FROM summaries WHERE paper_id IN ({marks})", chunk)
                deleted += cursor.rowcount
        return deleted


def stored_summaries(path: Path, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The stored summaries (of ``ids``, or all) in the database at ``path``, without
    creating the database when there is none."""
    if not path.exists():
        return {}
    db = LLMDatabase(path)
    try:
        return db.get_summaries(ids)
    finally:
        db.close()


def calls_line(totals: dict[str, Any]) -> str:
    """Model calls, rejections, cache hits, tokens and cost of one run, on one line."""
    cost = f"${totals['cost_usd']:.4f}" if totals["priced"] else "cost unknown (no price for model)"
    failed = totals.get("cache_invalid", 0)
    replayed = f" ({failed} replaying a failed answer)" if failed else ""
    return (
        f"{totals['model_calls']} model calls ({totals['rejected']} answers rejected "
        f"by the validators, {totals['errors']} transport errors), {totals['cache_hits']} "
        f"cache hits{replayed}; {totals['input_tokens']}+{totals['output_tokens']} tokens; {cost}"
    )
