"""Settings from the environment (prefix REVIEWER_) with sensible defaults.

Imported inside commands, never at CLI start-up (pydantic-settings is not free).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
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
