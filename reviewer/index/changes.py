"""The store's change log: which papers each write touched, kept in Chroma itself.

Every write to the paper collection (an ingest batch, a removal, a merge of duplicates
found after a write) is announced here before it starts and marked done after it ends.
A change names the paper ids it writes or deletes; it does not say what they became:
whoever applies it reads those ids' current records. That makes applying a change
idempotent and independent of order, so a reader may apply a change still being
written (it sees part of it) and apply it again once it is done.

The log lives in a second Chroma collection, ``<collection>.changes``, next to the
papers it describes: two machines sharing a Chroma server share the log, and each
keeps its own lexical index up to date from it (see ``lexical``). Change ids start
with the writer's clock in nanoseconds, so listing them sorted is roughly their order;
nothing depends on that order.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

PAGE = 2000
# A change still pending after this long was left by a process that died; the digest
# stops waiting for it (its papers were stamped with its start, see ``pending_since``).
STALE_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class Change:
    id: str
    done: bool
    ids: tuple[str, ...]  # papers written or deleted
    started_at: str  # ISO 8601, UTC, the writer's clock


class ChangeLog:
    def __init__(self, client: Any, collection_name: str) -> None:
        self.collection = client.get_or_create_collection(
            f"{collection_name}.changes", embedding_function=None
        )
        self._begun: dict[str, dict[str, Any]] = {}  # metadata of changes begun here

    def begin(self, ids: Sequence[str], started_at: str | None = None) -> str:
        """Announce a write of these paper ids; returns the change's id."""
        change = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"
        started = started_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        metadata = {"done": False, "ids": json.dumps(list(ids)), "started_at": started}
        self.collection.add(
            ids=[change],
            embeddings=[[1.0]],  # Chroma needs a vector; the log has no use for one
            metadatas=[metadata],
        )
        self._begun[change] = metadata
        return change

    def done(self, change: str) -> None:
        metadata = self._begun.pop(change, None)
        if metadata is None:
            found = self.collection.get(ids=[change], include=["metadatas"])
            if not found["ids"]:
                return
            metadata = dict(found["metadatas"][0])
        self.collection.update(ids=[change], metadatas=[{**metadata, "done": True}])

    def count(self) -> int:
        return int(self.collection.count())

    def change_ids(self) -> list[str]:
        """Every change's id (no metadata read)."""
        out: list[str] = []
        offset = 0
        while True:
            page = self.collection.get(include=[], limit=PAGE, offset=offset)
            if not page["ids"]:
                return out
            out += page["ids"]
            offset += len(page["ids"])

    def get(self, change_ids: Sequence[str]) -> list[Change]:
        changes: list[Change] = []
        for start in range(0, len(change_ids), PAGE):
            found = self.collection.get(
                ids=list(change_ids[start : start + PAGE]), include=["metadatas"]
            )
            changes += [
                _change(cid, m) for cid, m in zip(found["ids"], found["metadatas"], strict=True)
            ]
        return changes

    def pending(self) -> list[Change]:
        """Changes announced and not yet done (fresh from the server)."""
        found = self.collection.get(where={"done": False}, include=["metadatas"])
        return [_change(cid, m) for cid, m in zip(found["ids"], found["metadatas"], strict=True)]

    def pending_since(self, now: datetime) -> str | None:
        """The start of the oldest write still under way (not older than
        ``STALE_AFTER``), or None: papers it writes carry that time as ``added_at``
        but become visible only when it is done."""
        starts = [
            c.started_at
            for c in self.pending()
            if c.started_at and _parse(c.started_at) >= now - STALE_AFTER
        ]
        return min(starts) if starts else None


def _change(change_id: str, metadata: Any) -> Change:
    return Change(
        id=change_id,
        done=bool(metadata.get("done")),
        ids=tuple(json.loads(str(metadata.get("ids") or "[]"))),
        started_at=str(metadata.get("started_at") or ""),
    )


def _parse(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
