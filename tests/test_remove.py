"""Removing papers: all or nothing, out of every view (search, list, stats, show, the
wiki export), with their summaries, and finishable after a stop."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import run_cli

from reviewer.corpus.model import Paper, Source
from reviewer.errors import NotFoundError, ReviewerError, StoreError
from reviewer.index import store as store_module
from reviewer.index.search import MODES, Mode, search
from reviewer.index.store import Store
from reviewer.llm.db import LLMDatabase
from reviewer.removal import RemovalReport, RemovedPaper, remove_papers
from reviewer.settings import load_settings

MODEL_FREE: tuple[Mode, ...] = ("lexical",)  # modes a subprocess can search without loading MiniLM


def open_store() -> Store:
    return Store.open(load_settings())


def hit_ids(store: Store, query: str, mode: Mode, k: int = 10) -> list[str]:
    return [h.paper.id for h in search(store, query, k=k, mode=mode)]


def bm25_meta(store: Store) -> dict[str, Any]:
    """What the BM25 index on disk holds, read from its files: the papers it has (its
    live rows) and the store revision it has caught up with (changes seen, pending)."""
    folder = store.settings.bm25_path / store.settings.collection
    state = folder / f"state-{(folder / 'CURRENT').read_text(encoding='utf-8')}"
    meta = json.loads((state / "meta.json").read_text(encoding="utf-8"))
    ids = json.loads((state / "ids.json").read_text(encoding="utf-8"))
    with np.load(state / "rows.npz") as rows:
        alive = rows["alive"].tolist()
    pending = len(meta["pending"])
    seen = len(meta["applied"]) + pending
    return {
        "revision": f"{seen}" + (f"+{pending}" if pending else ""),
        "ids": sorted(pid for pid, live in zip(ids, alive, strict=True) if live),
    }


def snapshot(store: Store, papers: list[Paper]) -> dict[str, Any]:
    """What the store answers about these papers, in every mode."""
    return {
        "count": store.count(),
        "revision": store.revision,
        "ids": sorted(s.paper.id for s in store.iter_all()),
        "resolve": [getattr(store.resolve(p.id), "paper", None) for p in papers],
        "search": {(p.id, m): hit_ids(store, p.title, m) for p in papers for m in MODES},
    }


def summary_row(paper: Paper) -> dict[str, Any]:
    """TEST INPUT DATA: a summary row as the summarize task stores it (not a real one)."""
    return {
        "paper_id": paper.id,
        "abstract_hash": paper.text_hash(),
        "model": "test-fixture",
        "prompt": "test@1",
        "tldr": "Written by the test suite, not by a model.",
    }


def put_summaries(papers: list[Paper]) -> None:
    db = LLMDatabase(load_settings().llm_db_path)
    for paper in papers:
        db.put_summary(summary_row(paper))
    db.close()


def stored_summary_ids() -> set[str]:
    db = LLMDatabase(load_settings().llm_db_path)
    try:
        return set(db.get_summaries())
    finally:
        db.close()


def merged_paper(store: Store) -> Paper:
    """A paper of the seed corpus merged from several sources, found by its title in
    every mode."""
    for stored in sorted(store.iter_all(), key=lambda s: s.paper.id):
        paper = stored.paper
        if (
            len(paper.sources) > 1
            and paper.arxiv_id
            and paper.other_titles
            and all(hit_ids(store, paper.title, m)[:1] == [paper.id] for m in MODES)
        ):
            return paper
    raise AssertionError("the seed corpus has no merged paper with another title")


def cli_json(*args: str) -> Any:
    return json.loads(run_cli(*args, "--json", check=True).stdout)


# -- removing one paper ------------------------------------------------------------------


def test_removed_paper_leaves_every_view(seeded_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "wiki"
    run_cli("export", "wiki", "--out", str(out), check=True)
    store = open_store()
    before = store.count()
    target = merged_paper(store)
    kept = next(s.paper for s in store.iter_all() if s.paper.id != target.id)
    put_summaries([target, kept])
    wiki_index = json.loads((out / "index.json").read_text())
    target_file = next(e["file"] for e in wiki_index["papers"] if e["id"] == target.id)
    assert (out / target_file).is_file()

    assert target.arxiv_id
    report = remove_papers(store, [target.arxiv_id])  # a bare arXiv id, resolved
    assert report == RemovalReport(
        removed=[RemovedPaper(id=target.id, title=target.title)],
        not_found=[],
        summaries_deleted=1,
        remaining=before - 1,
    )
    assert json.loads(report.model_dump_json())["removed"] == [
        {"id": target.id, "title": target.title}
    ]
    assert stored_summary_ids() == {kept.id}

    # This store object and a fresh one (the BM25 index read back from disk) agree.
    for view in (store, open_store()):
        assert view.count() == before - 1
        # The merged record goes whole: none of its ids or titles finds anything.
        for ref in [target.id, target.arxiv_id, target.title, *target.other_titles]:
            assert view.resolve(ref) is None
        for mode in MODES:
            hits = hit_ids(view, target.title, mode)
            assert target.id not in hits and len(hits) == 10
        meta = bm25_meta(view)
        assert meta["revision"] == view.revision
        assert target.id not in meta["ids"] and len(meta["ids"]) == before - 1

    # The CLI's list, stats, show and search see exactly the remaining papers.
    rows = cli_json("list")
    assert len(rows) == before - 1 and target.id not in {r["id"] for r in rows}
    assert {r["id"] for r in rows} == {s.paper.id for s in open_store().iter_all()}
    assert cli_json("stats")["papers"] == before - 1
    shown = run_cli("show", target.id)
    assert shown.returncode == 5 and "no paper" in shown.stderr
    assert cli_json("show", kept.id)["id"] == kept.id
    for mode in MODEL_FREE:
        hits = cli_json("search", target.title, "--mode", mode)
        assert hits and target.id not in {h["id"] for h in hits}

    # The next wiki export drops its file and its index entry.
    counts = json.loads(run_cli("export", "wiki", "--out", str(out), "--json", check=True).stdout)
    assert (counts["papers"], counts["removed"], counts["written"]) == (before - 1, 1, 0)
    assert not (out / target_file).exists()
    wiki_index = json.loads((out / "index.json").read_text())
    assert wiki_index["count"] == before - 1
    assert target.id not in {e["id"] for e in wiki_index["papers"]}
    assert len(list((out / "papers").iterdir())) == before - 1


# -- all or nothing -------------------------------------------------------------------


def test_an_unknown_ref_removes_nothing(seeded_home: Path) -> None:
    store = open_store()
    present = merged_paper(store)
    put_summaries([present])
    before = snapshot(store, [present])
    bm25_before = bm25_meta(store)
    called: list[list[Paper]] = []

    with pytest.raises(NotFoundError) as caught:
        store.remove(
            [present.id, "arxiv:9912.99999", "A Title No Paper Has"],
            before_delete=called.append,
        )
    message = str(caught.value)
    assert "'arxiv:9912.99999'" in message and "'A Title No Paper Has'" in message
    assert present.id not in message
    assert caught.value.hint and "reviewer list" in caught.value.hint
    assert caught.value.exit_code == 5
    assert called == []

    with pytest.raises(NotFoundError, match=r"9912\.99999"):
        remove_papers(store, [present.title, "9912.99999"])

    for view in (store, open_store()):
        assert snapshot(view, [present]) == before
        assert bm25_meta(view) == bm25_before
    assert stored_summary_ids() == {present.id}


def test_a_ref_naming_several_papers_removes_nothing() -> None:
    shared = "Two Papers Sharing One Title"
    papers = [
        Paper(
            id=f"arxiv:2501.0000{n}",
            arxiv_id=f"2501.0000{n}",
            title=shared,
            abstract=f"Abstract number {n} of a paper about removal tests.",
            sources=[Source(path="t.json", format="json", entry=f"entry {n}")],
        )
        for n in (1, 2)
    ]
    store = open_store()
    assert store.ingest(papers).new == 2
    revision = store.revision
    with pytest.raises(ReviewerError, match="names 2 papers") as caught:
        store.remove([shared.lower()])
    assert "arxiv:2501.00001" in str(caught.value) and "arxiv:2501.00002" in str(caught.value)
    assert (store.count(), store.revision) == (2, revision)

    # By id each goes; the last one leaves an empty store that searches to nothing.
    assert [p.id for p in store.remove(["2501.00001", "arxiv:2501.00002"])] == [
        "arxiv:2501.00001",
        "arxiv:2501.00002",
    ]
    fresh = open_store()
    assert fresh.count() == 0
    assert all(hit_ids(fresh, shared, m) == [] for m in MODES)
    assert bm25_meta(fresh)["ids"] == []


def test_removal_refuses_while_another_command_writes(seeded_home: Path) -> None:
    store = open_store()
    target = next(store.iter_all()).paper
    with store.write_lock(), pytest.raises(StoreError, match="another reviewer command"):
        open_store().remove([target.id])
    assert store.resolve(target.id) is not None


# -- across processes and after a stop ------------------------------------------------

REMOVE_IN_A_FRESH_PROCESS = textwrap.dedent(
    """
    import json, sys
    from reviewer.index.search import search
    from reviewer.index.store import Store
    from reviewer.settings import load_settings

    def no_full_pass(*args, **kwargs):
        raise AssertionError("the BM25 index was rebuilt by a pass over the store")

    Store.iter_all = no_full_pass  # the index must come from disk
    store = Store.open(load_settings())
    title, pid = sys.argv[1], sys.argv[2]
    before = [h.paper.id for h in search(store, title, k=10, mode="lexical")]
    loaded_from_disk = store._lexical is not None
    removed = [p.id for p in store.remove([pid])]
    after = [h.paper.id for h in search(store, title, k=10, mode="lexical")]
    print(json.dumps({"before": before, "after": after, "removed": removed,
                      "loaded_from_disk": loaded_from_disk}))
    """
)


def test_removal_in_a_fresh_process_with_the_index_on_disk(seeded_home: Path) -> None:
    """The seeded home's BM25 index was built by the ingest process; a new process
    loads it, removes a paper, and every later reader, including a store opened
    before the removal, stops finding that paper."""
    early = open_store()
    target = merged_paper(early)
    assert hit_ids(early, target.title, "lexical")[0] == target.id  # index now in memory
    before = early.count()

    result = subprocess.run(
        [sys.executable, "-c", REMOVE_IN_A_FRESH_PROCESS, target.title, target.id],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    child = json.loads(result.stdout)
    assert child["loaded_from_disk"] and child["removed"] == [target.id]
    assert child["before"][0] == target.id and target.id not in child["after"]

    fresh = open_store()
    assert fresh.count() == before - 1 and fresh.resolve(target.id) is None
    for mode in MODES:
        assert target.id not in hit_ids(fresh, target.title, mode)
    # The early store still holds the old BM25 index in memory; search skips the
    # paper Chroma no longer has and fills its place from further down.
    hits = hit_ids(early, target.title, "lexical")
    assert target.id not in hits and len(hits) == 10


def test_a_stop_after_the_deletes_is_healed_and_a_rerun_finishes(
    seeded_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store()
    target = merged_paper(store)
    before = store.count()
    real_delete = store.collection.delete

    def delete_then_die(**kwargs: Any) -> None:
        real_delete(**kwargs)
        raise KeyboardInterrupt  # killed before the BM25 index was rebuilt

    monkeypatch.setattr(store.collection, "delete", delete_then_die)
    with pytest.raises(KeyboardInterrupt):
        store.remove([target.id])
    stale = bm25_meta(store)
    assert target.id in stale["ids"]  # the index on disk is the old one...

    fresh = open_store()
    assert stale["revision"] != fresh.revision  # ...for an older revision,
    assert target.id not in hit_ids(fresh, target.title, "lexical")  # so it is rebuilt
    assert target.id not in bm25_meta(fresh)["ids"]

    with pytest.raises(NotFoundError, match=re.escape(target.id)):
        fresh.remove([target.id])
    report = remove_papers(open_store(), [target.id], missing_ok=True)
    assert report == RemovalReport(
        removed=[], not_found=[target.id], summaries_deleted=0, remaining=before - 1
    )


def test_a_stop_between_delete_batches_is_finished_by_a_rerun(
    seeded_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store()
    papers = sorted((s.paper for s in store.iter_all()), key=lambda p: p.id)[:3]
    put_summaries(papers)
    before = store.count()
    monkeypatch.setattr(store_module, "DELETE_BATCH", 1)
    real_delete = store.collection.delete
    calls: list[list[str]] = []

    def die_on_second(**kwargs: Any) -> None:
        calls.append(kwargs["ids"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_delete(**kwargs)

    monkeypatch.setattr(store.collection, "delete", die_on_second)
    refs = [p.id for p in papers]
    with pytest.raises(KeyboardInterrupt):
        remove_papers(store, refs)
    assert open_store().count() == before - 1
    assert stored_summary_ids() == set()  # summaries go before any record

    with pytest.raises(NotFoundError) as caught:
        open_store().remove(refs)
    assert repr(papers[0].id) in str(caught.value) and papers[1].id not in str(caught.value)
    report = remove_papers(open_store(), refs, missing_ok=True)
    assert [r.id for r in report.removed] == refs[1:]
    assert (report.not_found, report.remaining) == ([refs[0]], before - 3)
    fresh = open_store()
    assert not {p.id for p in papers} & set(bm25_meta(fresh)["ids"])
    assert bm25_meta(fresh)["revision"] == fresh.revision


# -- stored summaries -------------------------------------------------------------------


def test_delete_summaries_drops_only_the_papers_named(tmp_path: Path) -> None:
    db = LLMDatabase(tmp_path / "llm.sqlite")
    papers = [Paper(id=f"doi:10.1/{n}", title=f"Paper {n}") for n in range(503)]
    for paper in papers:
        db.put_summary(summary_row(paper))
    db.cache_put("key", "model", "summarize", 1, ["{}"], valid=True, rejected=0)
    named = [p.id for p in papers[:501]] + ["doi:10.1/not-summarized", papers[0].id]
    assert db.delete_summaries(named) == 501
    assert set(db.get_summaries()) == {papers[501].id, papers[502].id}
    cached = db.cache_get("key")
    assert cached is not None and cached.contents == ["{}"]
    assert db.delete_summaries([]) == 0
    db.close()
