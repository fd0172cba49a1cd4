"""Benchmark of the paper store at 1k-100k+ papers: ingest, re-ingest, search latency, memory, disk.

Run from the project root:

    .venv/bin/python evals/bench_store.py --sizes 1000 10000 100000 [--queries 50]
        [--out evals/results/bench_store.json]

It prints numbers and never asserts on them.

What is measured, per corpus size N (each size runs in a fresh subprocess, so
peak memory does not accumulate across sizes):

- store ingest: ``Store.ingest(papers)`` into an empty store (fresh temporary
  REVIEWER_HOME) with precomputed vectors, i.e. the store's own cost: dedupe and
  merge, record metadata, Chroma upserts, and the BM25 rebuild. Reported as
  papers/s with a breakdown of where the time went. A size above ``--chunk``
  (100k) is built and ingested that many papers at a time, each chunk into the
  store the earlier ones made, so that the benchmark's own corpus (about 1.5 GB
  per 100k papers) does not count for more than one chunk; its re-ingest is of
  the last chunk. 1M papers take about an hour, 14 GB and 12 GB of disk.
- real embedding throughput: ``MiniLMEmbedder.embed_documents`` on 500 synthetic
  abstracts, measured once per run (papers/s); the estimated real ingest rate
  for each size is then 1 / (1/store_rate + 1/embed_rate), i.e. the two costs
  added per paper.
- re-ingest: the same papers again (nothing should be embedded or written).
- search latency: ``reviewer.index.search.search(store, q, k=10, mode=...)`` for
  hybrid, dense and lexical modes, p50/p95 over ``--queries`` queries (the 10
  dev queries of evals/data/dev_qrels.json plus random 3-8 word phrases
  from seed titles), after one warm-up query per mode.
- cold first query: a new Store object in the same process (Chroma's client
  is cached per process, so this mainly loads the BM25 index from disk), and a
  fresh process (Store.open + first hybrid query, excluding Python imports and
  the MiniLM model load; with its peak RSS, i.e. what one CLI search costs).
- ``reviewer search`` run as a program on the store (median of 3 wall times: imports,
  MiniLM load, Chroma open, BM25 load, the query).
- growth, the weekly cron's case: in a fresh process, ``--grow`` (300) new papers
  ingested into the store of N, with the time apart from embedding (the real MiniLM
  cost of embedding them is shown beside it), the breakdown, and the peak RSS.
- peak RSS (VmHWM, see ``peak_rss_mb``) of the process that ran the size; it
  includes the benchmark's own corpus (papers and vector recipes; RSS after
  building them is reported too) and the MiniLM query model; and the on-disk
  (allocated) size of REVIEWER_HOME.

What is synthetic, and why: the corpus recombines sentences of the seed
abstracts in reviewer/demo/ (titles from recombined halves of real titles plus
a number, 5-9 random sentences, arXiv-like ids 9901.NNNNN, dates over
2020-2025, code links for ~30%). Embedding 100k abstracts with MiniLM takes
about two hours on this machine (~15 abstracts/s), so each distinct seed
sentence and title half is embedded once with the real MiniLM model (cached in
evals/.cache/sentence_vectors.npz) and a synthetic abstract's vector is the
L2-normalized mean of its title's vector and its sentences' vectors. Such
vectors have the right dimension, norm and a realistic neighbourhood
structure, which is all the store's cost depends on. Query embeddings are
real (MiniLM), so search latencies include embedding the query.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ.setdefault("CHROMA_TELEMETRY_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from reviewer.corpus.ids import canonical_id  # noqa: E402
from reviewer.corpus.model import Paper, Source  # noqa: E402
from reviewer.corpus.readers import read_file  # noqa: E402

DEMO_DIR = ROOT / "reviewer" / "demo"
QRELS = ROOT / "evals" / "data" / "dev_qrels.json"
CACHE = ROOT / "evals" / ".cache" / "sentence_vectors.npz"
DEFAULT_OUT = ROOT / "evals" / "results" / "bench_store.json"
EMBEDDER_NAME = "minilm-l6-v2-int8"
SEED = 20240601
EMBED_SAMPLE = 500
MODES = ("hybrid", "dense", "lexical")
WRITE_STEP = 2560  # progress line every this many papers (at least)

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _proc_status_mb(field: str) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return None


def peak_rss_mb() -> float:
    """Peak RSS of this process's own address space (VmHWM).

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: on Linux that survives fork+exec,
    so a child started by a big parent (the parent holds ~1.6 GB after the
    MiniLM throughput run) would report the parent's peak. ru_maxrss is the
    fallback where /proc is missing.
    """
    hwm = _proc_status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    rss = _proc_status_mb("VmRSS")
    return rss if rss is not None else float("nan")


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return (v / n if n > 0 else v).astype(np.float32)


# -- seed material ---------------------------------------------------------------


class Seed:
    """Distinct sentences and title halves of the demo corpus, and their real vectors."""

    def __init__(self) -> None:
        papers: list[Paper] = []
        for path in sorted(DEMO_DIR.glob("*.txt")):
            papers.extend(read_file(path)[1])
        titles = list(dict.fromkeys(p.title.strip() for p in papers if p.title.strip()))
        sentences: dict[str, None] = {}
        for p in papers:
            for s in _SENTENCE_RE.split(" ".join(p.abstract.split())):
                if len(s.split()) >= 4:
                    sentences.setdefault(s.strip(), None)
        heads: dict[str, None] = {}
        tails: dict[str, None] = {}
        for t in titles:
            words = t.split()
            if len(words) < 2:
                continue
            cut = (len(words) + 1) // 2
            heads.setdefault(" ".join(words[:cut]), None)
            tails.setdefault(" ".join(words[cut:]), None)
        self.titles = titles
        self.sentences = list(sentences)
        self.heads = list(heads)
        self.tails = list(tails)
        # One table of unit vectors: sentences, then heads, then tails.
        self.units = self.sentences + self.heads + self.tails
        self.head0 = len(self.sentences)
        self.tail0 = self.head0 + len(self.heads)
        self.vectors: np.ndarray | None = None

    def load_vectors(self, embedder_factory: Callable[[], Any]) -> None:
        """Real MiniLM vectors for every unit, from the cache or embedded now (once)."""
        cached: dict[str, np.ndarray] = {}
        if CACHE.is_file():
            with np.load(CACHE, allow_pickle=False) as data:
                if str(data["model"]) == EMBEDDER_NAME:
                    cached = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        keys = [hashlib.sha1(u.encode("utf-8")).hexdigest() for u in self.units]
        missing = [i for i, k in enumerate(keys) if k not in cached]
        if missing:
            log(f"embedding {len(missing)} seed sentences/title halves with MiniLM (cached after)")
            embedder = embedder_factory()
            done = [0]

            def progress(k: int) -> None:
                done[0] += k
                if done[0] % 640 < k or done[0] == len(missing):
                    log(f"  seed units embedded {done[0]}/{len(missing)}")

            fresh = embedder.embed_documents([self.units[i] for i in missing], progress=progress)
            for row, i in enumerate(missing):
                cached[keys[i]] = fresh[row]
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            all_keys = sorted(cached)
            tmp = CACHE.with_suffix(".tmp.npz")
            np.savez(
                tmp,
                model=np.array(EMBEDDER_NAME),
                keys=np.array(all_keys),
                vectors=np.stack([cached[k] for k in all_keys]).astype(np.float32),
            )
            tmp.replace(CACHE)
        self.vectors = np.stack([cached[k] for k in keys]).astype(np.float32)


# -- synthetic corpus ------------------------------------------------------------


class PrecomputedEmbedder:
    """Embedder protocol over precomputed document vectors; real MiniLM for queries.

    ``recipes`` maps a hash of a paper's embedding text to the indices of its
    units in ``seed.vectors`` (title head, title tail, then its sentences); the
    document vector is the normalized mean of the title vector and the sentence
    vectors, computed on lookup so 100k vectors are never all held at once.
    """

    name = EMBEDDER_NAME
    dimension = 384

    def __init__(self, seed: Seed, recipes: dict[bytes, np.ndarray], query_embedder: Any) -> None:
        assert seed.vectors is not None
        self._units = seed.vectors
        self._recipes = recipes
        self._query = query_embedder

    def vector(self, recipe: np.ndarray) -> np.ndarray:
        title = _unit(self._units[recipe[0]] + self._units[recipe[1]])
        sentences = self._units[recipe[2:]]
        return _unit((title + sentences.sum(axis=0)) / (1 + len(sentences)))

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            recipe = self._recipes.get(text_key(text))
            if recipe is None:
                raise KeyError(f"no precomputed vector for text {text[:80]!r}")
            out[row] = self.vector(recipe)
        if progress and len(texts):
            progress(len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._query.embed_query(text)


def build_corpus(
    seed: Seed, n: int, rng_seed: int = SEED, label: str = "", first: int = 0
) -> tuple[list[Paper], dict[bytes, np.ndarray]]:
    """``n`` synthetic papers (paper i is the same for every n) and their vector recipes;
    ``first``: number them from there, other papers with other ids (a later week)."""
    rng = random.Random(rng_seed + first)
    start = date(2020, 1, 1)
    span = (date(2025, 12, 31) - start).days
    authors_pool = [f"{a} {b}" for a in "ABCDEFGHJKLMNPRSTW" for b in ("Li", "Smith", "Müller")]
    categories = ["eess.IV", "cs.CV", "cs.LG", "physics.med-ph", "cs.AI"]
    source = "synthetic://bench_store"
    papers: list[Paper] = []
    recipes: dict[bytes, np.ndarray] = {}
    step = max(1000, n // 10)
    for i in range(first, first + n):
        h = rng.randrange(len(seed.heads))
        t = rng.randrange(len(seed.tails))
        title = f"{seed.heads[h]} {seed.tails[t]} {i}"
        picks = rng.sample(range(len(seed.sentences)), rng.randint(5, 9))
        abstract = " ".join(seed.sentences[s] for s in picks)
        arxiv_id = f"{9901 + i // 100000}.{i % 100000:05d}"
        cat = rng.choice(categories)
        paper = Paper(
            title=title,
            abstract=abstract,
            authors=rng.sample(authors_pool, rng.randint(1, 6)),
            published=start + timedelta(days=rng.randrange(span + 1)),
            arxiv_id=arxiv_id,
            arxiv_version=1,
            categories=[cat],
            primary_category=cat,
            abs_url=f"http://arxiv.org/abs/{arxiv_id}v1",
            pdf_url=f"http://arxiv.org/pdf/{arxiv_id}v1",
            code_urls=[f"https://github.com/synthetic/repo-{i}"] if rng.random() < 0.3 else [],
            sources=[Source(path=source, format="synthetic", entry=f"entry {i}")],
        )
        paper.id = canonical_id(paper.arxiv_id, paper.doi, paper.title)
        papers.append(paper)
        recipes[text_key(paper.embedding_text())] = np.array(
            [seed.head0 + h, seed.tail0 + t, *picks], dtype=np.int32
        )
        if (i + 1 - first) % step == 0 and n >= 10000:
            log(f"{label}building papers {i + 1 - first}/{n} (ids from {first})")
    return papers, recipes


def build_queries(seed: Seed, count: int) -> list[str]:
    queries: list[str] = []
    if QRELS.is_file():
        data = json.loads(QRELS.read_text(encoding="utf-8"))
        queries = [q["query"] for q in data.get("queries", [])][:count]
    else:
        log(f"warning: {QRELS} not found; using title phrases only")
    rng = random.Random(SEED + 1)
    while len(queries) < count:
        words = rng.choice(seed.titles).split()
        if len(words) < 3:
            continue
        length = rng.randint(3, min(8, len(words)))
        first = rng.randrange(len(words) - length + 1)
        queries.append(" ".join(words[first : first + length]))
    return queries


# -- instrumentation (wraps instance attributes only; reviewer/ is not modified) ---------


class PhaseTimer:
    """Time spent in the store's main callees during one ingest."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._in_lexical = False

    def add(self, name: str, dt: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + dt
        self.calls[name] = self.calls.get(name, 0) + 1

    def wrap(self, obj: Any, attr: str, name: str | Callable[[], str]) -> None:
        original = getattr(obj, attr)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(name() if callable(name) else name, time.perf_counter() - t0)

        setattr(obj, attr, wrapper)

    def install(self, store: Any) -> None:
        import reviewer.index.store as store_module
        from reviewer.index.lexical import LexicalIndex

        self.wrap(store.collection, "upsert", "chroma_upsert")
        self.wrap(store.collection, "delete", "chroma_delete")
        self.wrap(store.collection, "modify", "chroma_modify")
        self.wrap(store.collection, "count", "chroma_count")
        self.wrap(
            store.collection,
            "get",
            lambda: "bm25.chroma_get" if self._in_lexical else "chroma_lookup_get",
        )
        for attr in ("begin", "done", "count", "change_ids", "get", "pending"):
            self.wrap(store.changes, attr, "change_log")
        self.wrap(store._embedder, "embed_documents", "embed_documents(precomputed)")
        original_lexical = store.lexical

        def lexical(*args: Any, **kwargs: Any) -> Any:
            outer = not self._in_lexical
            self._in_lexical = True
            t0 = time.perf_counter()
            try:
                return original_lexical(*args, **kwargs)
            finally:
                if outer:
                    self._in_lexical = False
                    self.add("bm25(total: load, catch up, save)", time.perf_counter() - t0)

        store.lexical = lexical
        self._build, self._save = store_module.build, LexicalIndex.save
        timer = self

        def build(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return timer._build(*args, **kwargs)
            finally:
                timer.add("bm25.full_build", time.perf_counter() - t0)

        def save(index: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return timer._save(index, *args, **kwargs)
            finally:
                timer.add("bm25.save", time.perf_counter() - t0)

        store_module.build = build  # type: ignore[assignment]
        LexicalIndex.save = save  # type: ignore[method-assign]

    def uninstall(self, store: Any) -> None:
        import reviewer.index.store as store_module
        from reviewer.index.lexical import LexicalIndex

        for attr in ("upsert", "delete", "modify", "count", "get"):
            with contextlib.suppress(AttributeError):
                delattr(store.collection, attr)
        for attr in ("begin", "done", "count", "change_ids", "get", "pending"):
            with contextlib.suppress(AttributeError):
                delattr(store.changes, attr)
        with contextlib.suppress(AttributeError):
            delattr(store._embedder, "embed_documents")
        with contextlib.suppress(AttributeError):
            delattr(store, "lexical")
        store_module.build = self._build  # type: ignore[assignment]
        LexicalIndex.save = self._save  # type: ignore[method-assign]

    def breakdown(self, total: float) -> dict[str, float]:
        out = {k: round(v, 3) for k, v in sorted(self.seconds.items())}
        # bm25.* are parts of bm25(total); everything else is top-level.
        top = sum(v for k, v in self.seconds.items() if not k.startswith("bm25."))
        out["other_python(dedupe,merge,metadata,json)"] = round(total - top, 3)
        return out


def disk_usage(path: Path) -> tuple[float, dict[str, float]]:
    """Allocated MB (like du) of the folder, and per top-level entry."""
    parts: dict[str, float] = {}
    for entry in path.iterdir():
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        parts[entry.name] = sum(p.stat().st_blocks * 512 for p in files) / 1e6
    return sum(parts.values()), {k: round(v, 1) for k, v in parts.items()}


def pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2)


# -- one size (child process) ------------------------------------------------------


def run_one_size(n: int, n_queries: int, home: Path, chunk: int) -> dict[str, Any]:
    from reviewer.index.embedder import MiniLMEmbedder
    from reviewer.index.search import search
    from reviewer.index.store import Store
    from reviewer.settings import Settings

    label = f"[{n}] "
    seed = Seed()
    query_embedder = MiniLMEmbedder()
    seed.load_vectors(lambda: query_embedder)
    queries = build_queries(seed, n_queries)
    settings = Settings(home=home)
    store = Store.open(settings)
    embedder = PrecomputedEmbedder(seed, {}, query_embedder)
    store._embedder = embedder

    # Ingest into an empty store, with progress and a breakdown of where time goes. A
    # size above ``chunk`` is built and ingested ``chunk`` papers at a time (each chunk
    # into the store the previous ones made), so the benchmark never holds more than one
    # chunk of papers and vector recipes: at 100k they cost about 1.5 GB.
    starts = list(range(0, n, chunk))
    build_s = ingest_s = 0.0
    ingest_breakdown: dict[str, float] = {}
    per_chunk: list[dict[str, Any]] = []
    totals = {"new": 0, "embedded": 0}
    rss_before = 0.0
    papers: list[Paper] = []
    for first in starts:
        size = min(chunk, n - first)
        t0 = time.perf_counter()
        if len(starts) == 1:
            papers, recipes = build_corpus(seed, n, label=label)
        else:
            papers, recipes = build_corpus(seed, size, label=label, first=first)
        build_s += time.perf_counter() - t0
        embedder._recipes = recipes
        gc.collect()
        rss_before = max(rss_before, current_rss_mb())
        timer = PhaseTimer()
        timer.install(store)
        written = [0]
        step = max(WRITE_STEP, size // 20)

        def on_embedded(
            k: int,
            written: list[int] = written,
            size: int = size,
            first: int = first,
            step: int = step,
        ) -> None:
            written[0] += k
            if written[0] // step != (written[0] - k) // step or written[0] == size:
                log(f"{label}ingest: {first + written[0]}/{n} papers vectorized+upserted")

        log(f"{label}ingest of papers {first + 1}-{first + size} into a store of {first} ...")
        t0 = time.perf_counter()
        result = store.ingest(papers, on_embedded=on_embedded)
        chunk_s = time.perf_counter() - t0
        ingest_s += chunk_s
        for key, value in timer.breakdown(chunk_s).items():
            ingest_breakdown[key] = round(ingest_breakdown.get(key, 0.0) + value, 3)
        timer.uninstall(store)
        totals["new"] += result.new
        totals["embedded"] += result.embedded
        per_chunk.append({"store_before": first, "papers": size, "seconds": round(chunk_s, 2)})
        log(
            f"{label}ingest: {size} papers in {chunk_s:.1f}s = {size / chunk_s:.0f} papers/s "
            f"(new={result.new}, embedded={result.embedded}, store now {first + size}); "
            f"peak RSS so far {peak_rss_mb():.0f} MB"
        )
        if first != starts[-1]:
            del papers, recipes
    log(f"{label}ingest: {ingest_s:.1f}s = {n / ingest_s:.0f} papers/s; {ingest_breakdown}")
    rss_after_ingest = current_rss_mb()

    # Re-ingest of the same papers (the last chunk, for a chunked size): nothing to
    # embed or write.
    timer = PhaseTimer()
    timer.install(store)
    log(f"{label}re-ingest of the same {len(papers)} papers ...")
    t0 = time.perf_counter()
    again = store.ingest(papers)
    reingest_s = time.perf_counter() - t0
    reingest_breakdown = timer.breakdown(reingest_s)
    timer.uninstall(store)
    log(
        f"{label}re-ingest: {reingest_s:.1f}s (embedded={again.embedded}, "
        f"unchanged={again.unchanged}, new={again.new}); {reingest_breakdown}"
    )
    reingested = len(papers)
    del papers
    gc.collect()

    # Search latency (warm).
    log(f"{label}search latency over {len(queries)} queries x {len(MODES)} modes ...")
    latency: dict[str, dict[str, float]] = {}
    for mode in MODES:
        search(store, "medical image segmentation with foundation models", k=10, mode=mode)
        times = []
        for q in queries:
            t0 = time.perf_counter()
            hits = search(store, q, k=10, mode=mode)
            times.append((time.perf_counter() - t0) * 1000)
            if not hits and mode != "lexical":
                log(f"{label}warning: no hits for {q!r} ({mode})")
        latency[mode] = {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95)}
    embed_times = []
    for q in queries:
        t0 = time.perf_counter()
        query_embedder.embed_query(q)
        embed_times.append((time.perf_counter() - t0) * 1000)
    latency["query_embedding_only"] = {
        "p50_ms": pct(embed_times, 50),
        "p95_ms": pct(embed_times, 95),
    }

    # Cold: a new Store object (Chroma client cached in-process; BM25 loaded from disk).
    fresh = Store.open(settings)
    fresh._embedder = store._embedder
    t0 = time.perf_counter()
    search(fresh, queries[0], k=10, mode="hybrid")
    cold_new_store_ms = (time.perf_counter() - t0) * 1000
    log(f"{label}first hybrid query on a new Store object: {cold_new_store_ms:.0f} ms")

    return {
        "size": n,
        "build_corpus_s": round(build_s, 2),
        "ingest": {
            "seconds": round(ingest_s, 2),
            "papers_per_s": round(n / ingest_s, 1),
            "result": totals,
            "breakdown_s": ingest_breakdown,
            "chunks": per_chunk,
        },
        "reingest": {
            "papers": reingested,
            "seconds": round(reingest_s, 2),
            "embedded": again.embedded,
            "result": {k: v for k, v in again.to_json().items() if not k.endswith("_ids")},
            "breakdown_s": reingest_breakdown,
        },
        "latency": latency,
        "cold_new_store_first_query_ms": round(cold_new_store_ms, 1),
        "rss_mb": {
            "after_building_corpus": round(rss_before, 1),
            "after_ingest": round(rss_after_ingest, 1),
            "peak": round(peak_rss_mb(), 1),
        },
    }


def cold_probe(home: Path, query: str) -> dict[str, Any]:
    """Fresh process: Store.open + first hybrid query (imports and model load excluded)."""
    import bm25s  # noqa: F401
    import chromadb  # noqa: F401  (import cost is not the store's)

    from reviewer.index.embedder import MiniLMEmbedder
    from reviewer.index.search import search
    from reviewer.index.store import Store
    from reviewer.settings import Settings

    embedder = MiniLMEmbedder()
    embedder.embed_query("warm up the onnx session")
    rss_before = current_rss_mb()
    t0 = time.perf_counter()
    store = Store.open(Settings(home=home))
    store._embedder = embedder
    t1 = time.perf_counter()
    store.lexical()  # load the BM25 index from disk and ask the change log what is new
    lexical_load_ms = (time.perf_counter() - t1) * 1000
    hits = search(store, query, k=10, mode="hybrid")
    t2 = time.perf_counter()
    t3 = time.perf_counter()
    search(store, query + " method", k=10, mode="hybrid")
    t4 = time.perf_counter()
    return {
        "open_ms": round((t1 - t0) * 1000, 1),
        "first_hybrid_query_ms": round((t2 - t1) * 1000, 1),
        "of_which_bm25_load_ms": round(lexical_load_ms, 1),
        "second_hybrid_query_ms": round((t4 - t3) * 1000, 1),
        "hits": len(hits),
        "rss_before_open_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def grow_probe(home: Path, existing: int, add: int) -> dict[str, Any]:
    """Fresh process, the weekly cron's case: open a store of ``existing`` papers and
    ingest ``add`` new ones (precomputed vectors: embedding is reported apart, from the
    measured MiniLM rate), with where the time went and the process's peak RSS."""
    from reviewer.index.embedder import MiniLMEmbedder
    from reviewer.index.search import search
    from reviewer.index.store import Store
    from reviewer.settings import Settings

    seed = Seed()
    query_embedder = MiniLMEmbedder()
    seed.load_vectors(lambda: query_embedder)
    papers, recipes = build_corpus(seed, add, first=existing)
    rss_before = current_rss_mb()
    t0 = time.perf_counter()
    store = Store.open(Settings(home=home))
    store._embedder = PrecomputedEmbedder(seed, recipes, query_embedder)
    open_s = time.perf_counter() - t0
    timer = PhaseTimer()
    timer.install(store)
    t0 = time.perf_counter()
    result = store.ingest(papers)
    ingest_s = time.perf_counter() - t0
    breakdown = timer.breakdown(ingest_s)
    timer.uninstall(store)
    t0 = time.perf_counter()
    hits = search(store, papers[-1].title, k=1, mode="lexical")
    search_ms = (time.perf_counter() - t0) * 1000
    return {
        "existing": existing,
        "added": add,
        "new": result.new,
        "open_s": round(open_s, 2),
        "ingest_s_without_embedding": round(
            ingest_s - breakdown.get("embed_documents(precomputed)", 0.0), 2
        ),
        "breakdown_s": breakdown,
        "found_last_added": bool(hits) and hits[0].paper.id == papers[-1].id,
        "lexical_search_after_ms": round(search_ms, 1),
        "rss_before_open_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


# -- parent ---------------------------------------------------------------------------


def measure_embed_rate(seed: Seed) -> dict[str, Any]:
    from reviewer.index.embedder import MiniLMEmbedder

    t0 = time.perf_counter()
    embedder = MiniLMEmbedder()
    load_s = time.perf_counter() - t0
    seed.load_vectors(lambda: embedder)
    papers, _ = build_corpus(seed, EMBED_SAMPLE, rng_seed=SEED + 7)
    texts = [p.embedding_text() for p in papers]
    embedder.embed_query("warm up")
    log(f"measuring real MiniLM throughput on {len(texts)} synthetic abstracts ...")
    t0 = time.perf_counter()
    embedder.embed_documents(texts)
    seconds = time.perf_counter() - t0
    rate = len(texts) / seconds
    log(
        f"MiniLM: {rate:.1f} abstracts/s ({seconds:.1f}s for {len(texts)}); "
        f"model load {load_s:.2f}s"
    )
    return {
        "papers": len(texts),
        "seconds": round(seconds, 2),
        "papers_per_s": round(rate, 2),
        "model_load_s": round(load_s, 2),
    }


def run_size_subprocess(n: int, args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"bench_store_{n}_"))
    result_file = home.with_name(home.name + ".json")
    try:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--one-size",
            str(n),
            "--queries",
            str(args.queries),
            "--home",
            str(home / "reviewer"),
            "--result-file",
            str(result_file),
            "--chunk",
            str(args.chunk),
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        row = json.loads(result_file.read_text(encoding="utf-8"))
        row["wall_s"] = round(time.perf_counter() - t0, 1)
        disk, parts = disk_usage(home / "reviewer")
        row["disk_mb"] = round(disk, 1)
        row["disk_parts_mb"] = parts
        log(f"[{n}] cold probe in a fresh process ...")
        probe = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--cold-probe",
                str(home / "reviewer"),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        row["cold_process"] = json.loads(probe.stdout.strip().splitlines()[-1])
        log(f"[{n}] cold process: {row['cold_process']}")
        log(f"[{n}] `reviewer search` as a whole process (3 runs) ...")
        query = build_queries(Seed(), 1)[0]
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "reviewer", "search", query, "--json"],
                check=True,
                capture_output=True,
                env={**os.environ, "REVIEWER_HOME": str(home / "reviewer")},
            )
            walls.append(time.perf_counter() - t0)
        row["cli_search_s"] = {"median": round(sorted(walls)[1], 2), "runs": len(walls)}
        log(f"[{n}] cli search: {row['cli_search_s']}")
        log(f"[{n}] adding {args.grow} new papers in a fresh process ...")
        probe = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--grow-probe",
                str(home / "reviewer"),
                "--existing",
                str(n),
                "--grow",
                str(args.grow),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        row["grow"] = json.loads(probe.stdout.strip().splitlines()[-1])
        log(f"[{n}] grow: {row['grow']}")
        return row
    finally:
        result_file.unlink(missing_ok=True)
        if args.keep:
            log(f"[{n}] kept store at {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def print_table(rows: list[dict[str, Any]], embed: dict[str, Any]) -> None:
    header = [
        "size",
        "ingest p/s",
        "est.real p/s",
        "re-ingest s",
        "re-emb",
        "hyb p50/p95",
        "dense p50/p95",
        "lex p50/p95",
        "cold obj ms",
        "cold proc ms",
        "peak RSS MB",
        "disk MB",
    ]
    table = [header]
    for r in rows:
        lat = r["latency"]
        cp = r.get("cold_process", {})
        table.append(
            [
                f"{r['size']:,}",
                f"{r['ingest']['papers_per_s']:.0f}",
                f"{r['est_real_ingest_papers_per_s']:.1f}",
                f"{r['reingest']['seconds']:.2f}",
                str(r["reingest"]["embedded"]),
                *(f"{lat[m]['p50_ms']:.0f}/{lat[m]['p95_ms']:.0f}" for m in MODES),
                f"{r['cold_new_store_first_query_ms']:.0f}",
                f"{cp.get('open_ms', 0) + cp.get('first_hybrid_query_ms', 0):.0f}",
                f"{r['rss_mb']['peak']:.0f}",
                f"{r.get('disk_mb', float('nan')):.0f}",
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print()
    print(
        f"Store benchmark (MiniLM real embedding: {embed['papers_per_s']:.1f} abstracts/s; "
        "latencies in ms, k=10)"
    )
    print("\n".join(lines))
    print()
    print("Ingest breakdown (s):")
    for r in rows:
        print(f"  {r['size']:>7,} ingest:    {r['ingest']['breakdown_s']}")
        print(f"  {r['size']:>7,} re-ingest: {r['reingest']['breakdown_s']}")
    print()
    print("Cold fresh process (Store.open / first hybrid query / second, ms; peak RSS MB):")
    for r in rows:
        cp = r.get("cold_process", {})
        print(
            f"  {r['size']:>7,}: {cp.get('open_ms')} / {cp.get('first_hybrid_query_ms')} / "
            f"{cp.get('second_hybrid_query_ms')}; peak RSS {cp.get('peak_rss_mb')}"
        )
    print()
    print("Adding new papers to the store in a fresh process (embedding apart):")
    for r in rows:
        g = r.get("grow", {})
        real_embed = g.get("added", 0) / embed["papers_per_s"]
        print(
            f"  {r['size']:>7,} + {g.get('added')}: {g.get('ingest_s_without_embedding')} s "
            f"without embedding (+ {real_embed:.0f} s to embed them with MiniLM here); "
            f"open {g.get('open_s')} s; peak RSS {g.get('peak_rss_mb')} MB; "
            f"found the last one: {g.get('found_last_added')}"
        )
        print(f"           breakdown: {g.get('breakdown_s')}")
    print(
        "`reviewer search` as a whole process (imports, model load, query), median s: "
        + ", ".join(f"{r['size']:,}: {r.get('cli_search_s', {}).get('median')}" for r in rows)
    )
    print(
        "query embedding alone p50 ms: "
        + ", ".join(
            f"{r['size']:,}: {r['latency']['query_embedding_only']['p50_ms']}" for r in rows
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--keep", action="store_true", help="keep the temporary stores")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cold-probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--grow", type=int, default=300, help="new papers added to each store (default 300)"
    )
    parser.add_argument(
        "--chunk",
        type=int,
        default=100_000,
        help="a larger size is built and ingested this many papers at a time (default 100000)",
    )
    parser.add_argument("--grow-probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--existing", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.grow_probe:
        print(json.dumps(grow_probe(args.grow_probe, args.existing, args.grow)))
        return 0

    if args.cold_probe:
        query = build_queries(Seed(), 1)[0]
        print(json.dumps(cold_probe(args.cold_probe, query)))
        return 0

    if args.one_size:
        home = args.home or Path(tempfile.mkdtemp(prefix="bench_store_")) / "reviewer"
        row = run_one_size(args.one_size, args.queries, home, args.chunk)
        if args.result_file:
            args.result_file.write_text(json.dumps(row), encoding="utf-8")
        else:
            print(json.dumps(row, indent=1))
        return 0

    seed = Seed()
    log(
        f"seed: {len(seed.titles)} titles, {len(seed.sentences)} distinct sentences, "
        f"{len(seed.heads)}+{len(seed.tails)} title halves"
    )
    embed = measure_embed_rate(seed)  # also fills the sentence-vector cache
    rows = []
    for n in args.sizes:
        log(f"=== size {n:,} ===")
        row = run_size_subprocess(n, args)
        store_rate = row["ingest"]["papers_per_s"]
        row["est_real_ingest_papers_per_s"] = round(
            1.0 / (1.0 / store_rate + 1.0 / embed["papers_per_s"]), 2
        )
        rows.append(row)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "queries": args.queries,
            "real_embedding": embed,
            "sizes": rows,
        }
        args.out.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    print_table(rows, embed)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
