"""Settings from the environment (prefix REVIEWER_) with sensible defaults.

Imported inside commands, never at CLI start-up (pydantic-settings is not free).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("reviewer", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVIEWER_", extra="ignore")

    home: Path = Field(
        default_factory=default_home,
        description="Folder for the store, the BM25 index and every other piece of user state.",
    )
    chroma_url: str | None = Field(
        default=None, description="http://host:port of a Chroma server; unset = embedded Chroma."
    )
    collection: str = Field(default="papers", description="Chroma collection name.")
    embedder: str = Field(
        default="minilm", description="minilm (offline default), litellm:<model> or ollama:<model>."
    )

    # -- the one model profile every writing task uses ---------------------------------
    model: str | None = Field(
        default=None,
        description="Any litellm model string: gpt-4o-mini, anthropic/claude-3-5-haiku-latest, "
        "ollama/llama3.1, or openai/<name> together with REVIEWER_API_BASE.",
    )
    api_base: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="Key for REVIEWER_API_BASE; hosted providers read their usual variables "
        "(OPENAI_API_KEY, ANTHROPIC_API_KEY, ...).",
    )
    llm_timeout: float = Field(default=120.0, gt=0, description="Seconds per model request.")
    llm_retries: int = Field(
        default=4, ge=0, le=10, description="Transport retries (429, 5xx, timeouts, resets)."
    )
    llm_retry_max_wait: float = Field(
        default=60.0,
        gt=0,
        description="Longest wait between transport retries, Retry-After included.",
    )
    llm_reasks: int = Field(
        default=2, ge=0, le=5, description="Re-asks after an answer fails validation."
    )
    max_tokens: int = Field(default=1024, gt=0, description="Output token limit per call.")
    temperature: float = Field(default=0.0, ge=0, le=2)
    concurrency: int = Field(default=4, ge=1, le=64, description="Model calls in flight at once.")
    input_cost_per_mtok: float | None = Field(
        default=None,
        ge=0,
        description="USD per million input tokens; overrides litellm's price map.",
    )
    output_cost_per_mtok: float | None = Field(
        default=None,
        ge=0,
        description="USD per million output tokens; overrides litellm's price map.",
    )

    @property
    def llm_db_path(self) -> Path:
        return self.home / "llm.sqlite"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def bm25_path(self) -> Path:
        return self.home / "bm25"


def load_settings() -> Settings:
    # Chroma reads these at import; make sure nothing phones home.
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ.setdefault("CHROMA_TELEMETRY_ENABLED", "False")
    return Settings()
