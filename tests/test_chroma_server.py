"""The same acceptance path against a real Chroma server (`chroma run`) on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import REAL, SEEDS, run_cli

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chroma = Path(sys.executable).with_name("chroma")
    data = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = open(data / "server.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(data / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"chroma run did not start:\n{(data / 'server.log').read_text()}"
                    ) from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_acceptance_path_on_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    env = {"REVIEWER_CHROMA_URL": chroma_url, "REVIEWER_COLLECTION": "seeds"}
    first = json.loads(run_cli("ingest", *map(str, SEEDS), "--json", env=env, check=True).stdout)
    assert (first["new"], first["embedded"], first["store"]["papers"]) == (423, 423, 423)
    # Nothing about the papers lives under REVIEWER_HOME but the derived BM25 index.
    assert not (Path(os.environ["REVIEWER_HOME"]) / "chroma").exists()

    again = json.loads(run_cli("ingest", *map(str, SEEDS), "--json", env=env, check=True).stdout)
    assert (again["new"], again["updated"], again["embedded"]) == (0, 0, 0)
    stats = json.loads(run_cli("stats", "--json", env=env, check=True).stdout)
    assert stats["papers"] == 423 and stats["backend"] == "chroma-server"
    rows = json.loads(run_cli("list", "--json", env=env, check=True).stdout)
    assert len({r["id"] for r in rows}) == len(rows) == 423

    for mode in ("hybrid", "dense", "lexical"):
        hits = json.loads(
            run_cli(
                "search",
                "segment anything",
                "--mode",
                mode,
                "-k",
                "5",
                "--json",
                env=env,
                check=True,
            ).stdout
        )
        assert len(hits) == 5 and any("segment anything" in h["title"].lower() for h in hits)

    # Bad input: refused, file named, store unchanged.
    bad = tmp_path / "broken.bib"
    bad.write_text("@article{k,\n  title = {Open {brace},\n}\n")
    result = run_cli("ingest", str(REAL / "arxiv_rss_cs.AI_2025-08-20.xml"), str(bad), env=env)
    assert result.returncode == 2 and str(bad) in result.stderr
    assert json.loads(run_cli("stats", "--json", env=env, check=True).stdout) == stats

    # A new REVIEWER_HOME (another machine) sees the same store and rebuilds its BM25 index.
    other_home = tmp_path / "other-home"
    hits = json.loads(
        run_cli(
            "search",
            "atlas-based segmentation",
            "--mode",
            "lexical",
            "--json",
            env={**env, "REVIEWER_HOME": str(other_home)},
            check=True,
        ).stdout
    )
    assert hits and (other_home / "bm25" / "seeds" / "CURRENT").is_file()


def test_real_arxiv_samples_on_a_chroma_server(chroma_url: str) -> None:
    env = {"REVIEWER_CHROMA_URL": chroma_url, "REVIEWER_COLLECTION": "real-samples"}
    files = [REAL / "arxiv_api_query_testing_100.xml", REAL / "arxiv_rss_cs.AI_2025-08-20.xml"]
    report = json.loads(run_cli("ingest", *map(str, files), "--json", env=env, check=True).stdout)
    assert [f["entries"] for f in report["files"]] == [100, 7]
    rows = json.loads(run_cli("list", "--json", "--full", env=env, check=True).stdout)
    assert len(rows) == report["store"]["papers"]
    assert all(
        r["arxiv_id"] and "v" not in r["arxiv_id"] and r["authors"] and r["categories"]
        for r in rows
    )


def test_unreachable_server_is_a_clear_error() -> None:
    result = run_cli("stats", env={"REVIEWER_CHROMA_URL": f"http://127.0.0.1:{_free_port()}"})
    assert result.returncode == 4
    assert "cannot reach the Chroma server" in result.stderr and "Traceback" not in result.stderr


def test_removal_on_a_chroma_server(
    chroma_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Removing from a server-backed store: the records go for every client, and another
    machine's BM25 index (built before the removal) is rebuilt without them."""
    from reviewer.corpus.readers import read_file
    from reviewer.errors import NotFoundError
    from reviewer.index.search import MODES, search
    from reviewer.index.store import Store
    from reviewer.settings import load_settings

    monkeypatch.setenv("REVIEWER_CHROMA_URL", chroma_url)
    monkeypatch.setenv("REVIEWER_COLLECTION", "removal")
    entries = read_file(SEEDS[0])[1][:20]
    store = Store.open(load_settings())
    assert store.ingest(entries).new == 20
    target, kept = entries[3], entries[4]

    # Another machine (its own REVIEWER_HOME) builds its BM25 index before the removal.
    home, other_home = os.environ["REVIEWER_HOME"], tmp_path / "other-home"
    monkeypatch.setenv("REVIEWER_HOME", str(other_home))
    other = Store.open(load_settings())
    assert search(other, target.title, k=1, mode="lexical")[0].paper.id == target.id
    monkeypatch.setenv("REVIEWER_HOME", home)

    with pytest.raises(NotFoundError, match="no such paper"):
        store.remove([target.id, "no such paper"])
    assert store.count() == 20
    assert [p.id for p in store.remove([target.title])] == [target.id]
    assert store.count() == 19 and store.resolve(target.id) is None
    for mode in MODES:
        ids = [h.paper.id for h in search(store, target.title, k=5, mode=mode)]
        assert ids and target.id not in ids
    # The other machine's store, opened before, catches up from the server's change log.
    assert target.id not in {h.paper.id for h in search(other, target.title, k=5, mode="lexical")}
    assert target.id not in other.lexical() and other.lexical().size == 19

    monkeypatch.setenv("REVIEWER_HOME", str(other_home))
    again = Store.open(load_settings())
    assert again.count() == 19
    hits = search(again, target.title, k=5, mode="lexical")
    assert target.id not in {h.paper.id for h in hits}
    assert search(again, kept.title, k=1, mode="lexical")[0].paper.id == kept.id
    folder = other_home / "bm25" / "removal"
    state = folder / f"state-{(folder / 'CURRENT').read_text()}"
    ids = json.loads((state / "ids.json").read_text())
    with np.load(state / "rows.npz") as rows:
        live = {pid for pid, alive in zip(ids, rows["alive"].tolist(), strict=True) if alive}
    assert target.id not in live and len(live) == 19


# -- two machines, one server ------------------------------------------------------------


def _overlapping_inputs(folder: Path) -> tuple[Path, Path, list[str]]:
    """TEST INPUT DATA: two files as two machines' feeds give them. Five papers are in
    both: with their arXiv ids in the listing, by title only on the other page (how a
    Hugging Face page and an arXiv listing differ); each file has five of its own."""
    words = ["Aurora", "Basalt", "Cobalt", "Dunes", "Ember", "Fjord", "Granite", "Harbor"]
    words += ["Iris", "Juniper", "Kelp", "Lagoon", "Meadow", "Nimbus", "Opal"]
    titles = [f"Shared Paper: {words[n]} Sparse Attention for Long Documents" for n in range(5)]
    abstract = "We study {} and report results on {} benchmarks with a new method."
    listing = [
        {
            "title": t,
            "arxiv_id": f"2511.{10000 + n}",
            "authors": ["A. Author"],
            "abstract": abstract.format(f"shared topic {words[n]}", "listing"),
        }
        for n, t in enumerate(titles)
    ] + [
        {
            "title": f"Listing Only Paper on {words[5 + n]} Protein Folding Kinetics",
            "arxiv_id": f"2511.{20000 + n}",
            "abstract": abstract.format(f"protein folding case {words[5 + n]}", "kinetics"),
        }
        for n in range(5)
    ]
    page = [
        {"title": t, "abstract": abstract.format(f"shared topic {words[n]}", "page")}
        for n, t in enumerate(titles)
    ] + [
        {
            "title": f"Page Only Paper on {words[10 + n]} Glacier Melt Forecasting",
            "abstract": abstract.format(f"glacier case {words[10 + n]}", "climate"),
        }
        for n in range(5)
    ]
    a, b = folder / "listing.json", folder / "page.json"
    a.write_text(json.dumps(listing))
    b.write_text(json.dumps(page))
    return a, b, [p["title"] for p in listing + page[5:]]


def _searched_titles(env: dict[str, str], titles: list[str]) -> list[str]:
    """The titles whose own lexical search, on this machine, finds that paper first."""
    found = []
    for title in titles:
        hits = json.loads(
            run_cli("search", title, "--mode", "lexical", "-k", "1", "--json", env=env).stdout
        )
        if hits and hits[0]["title"] == title:
            found.append(title)
    return found


def test_two_machines_ingesting_the_same_papers_at_once(chroma_url: str, tmp_path: Path) -> None:
    """Two REVIEWER_HOMEs on one `chroma run`, ingesting overlapping files at the same
    moment, three rounds: one record per paper, both indexes complete, no crash."""
    listing, page, titles = _overlapping_inputs(tmp_path)
    envs = [
        {
            "REVIEWER_CHROMA_URL": chroma_url,
            "REVIEWER_COLLECTION": "two-machines",
            "REVIEWER_HOME": str(tmp_path / name),
        }
        for name in ("machine-a", "machine-b")
    ]
    for _ in range(3):
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "reviewer", "ingest", str(path)],
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for env, path in zip(envs, (listing, page), strict=True)
        ]
        for run in runs:
            _, stderr = run.communicate(timeout=600)
            assert run.returncode == 0 and "Traceback" not in stderr, stderr
    for env in envs:
        stats = json.loads(run_cli("stats", "--json", env=env, check=True).stdout)
        assert stats["papers"] == 15  # 5 shared + 5 + 5, each once
        rows = json.loads(run_cli("list", "--json", env=env, check=True).stdout)
        assert sorted(r["title"] for r in rows) == sorted(titles)
        shared = [r for r in rows if r["title"].startswith("Shared Paper")]
        assert all(r["id"].startswith("arxiv:") for r in shared)  # merged under the id
        assert _searched_titles(env, titles) == titles


def test_a_write_the_other_machine_missed_is_merged(
    chroma_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race made certain: machine A looks its entries up, machine B stores the same
    papers by title only, then A writes them under their arXiv ids. A finds B's records
    after writing and merges them: one record each, and B's index learns it."""
    from reviewer.corpus.readers import read_file
    from reviewer.index.store import Store
    from reviewer.settings import load_settings

    listing, page, _ = _overlapping_inputs(tmp_path)
    monkeypatch.setenv("REVIEWER_CHROMA_URL", chroma_url)
    monkeypatch.setenv("REVIEWER_COLLECTION", "missed-write")

    def store_of(home: str) -> Store:
        monkeypatch.setenv("REVIEWER_HOME", str(tmp_path / home))
        return Store.open(load_settings())

    a, b = store_of("a"), store_of("b")
    embedder = a.embedder()
    real_embed = embedder.embed_documents
    b_wrote: list[int] = []

    def b_writes_first(texts: list[str], progress: object = None) -> np.ndarray:
        if not b_wrote:  # A has planned (found nothing stored); now B writes
            b_wrote.append(b.ingest(read_file(page)[1]).new)
        return real_embed(texts, progress=progress)  # type: ignore[arg-type]

    monkeypatch.setattr(embedder, "embed_documents", b_writes_first)
    result = a.ingest(read_file(listing)[1])
    assert b_wrote == [10] and result.new == 10
    assert result.absorbed == 5  # B's five title-only records merged into A's
    assert a.count() == 15
    shared = [s.paper for s in a.iter_all() if s.paper.title.startswith("Shared Paper")]
    assert len(shared) == 5 and all(p.id.startswith("arxiv:") for p in shared)
    assert all(
        {"json"} == {src.format for src in p.sources} and len(p.sources) == 2 for p in shared
    )
    assert b.lexical().size == 15 and sorted(b.lexical().paper_ids()) == sorted(
        s.paper.id for s in b.iter_all()
    )
