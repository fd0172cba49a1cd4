"""Settings from the environment (prefix REVIEWER_) and an optional TOML config file,
with sensible defaults.

The config file holds the same keys as the fields below (``smtp_host = "..."``); it is
``REVIEWER_HOME/config.toml`` unless ``REVIEWER_CONFIG`` names another file, and an
environment variable wins over the file. Imported inside commands, never at CLI
start-up (pydantic-settings is not free).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from reviewer.errors import ConfigError

SmtpSecurity = Literal["starttls", "ssl", "none"]
DEFAULT_SMTP_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("reviewer", appauthor=False))


def config_path() -> Path:
    """REVIEWER_CONFIG, else config.toml in REVIEWER_HOME (the file need not exist)."""
    override = os.environ.get("REVIEWER_CONFIG")
    if override:
        return Path(override).expanduser()
    home = os.environ.get("REVIEWER_HOME")
    return (Path(home).expanduser() if home else default_home()) / "config.toml"


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
    profile: str = Field(
        default="general",
        description="Summary profile: the fields a summary extracts. general, "
        "medical-imaging, a NAME with REVIEWER_HOME/profiles/NAME.toml, or a TOML file's path.",
    )
    llm_timeout: float = Field(
        default=120.0,
        gt=0,
        description="Seconds a model may stay silent: before the first token of an answer "
        "and between tokens (answers are streamed; a model that keeps writing is never cut "
        "off). A timeout is not retried.",
    )
    llm_retries: int = Field(
        default=4, ge=0, le=10, description="Transport retries (429, 5xx, connection resets)."
    )
    expand_budget: float = Field(
        default=60.0,
        gt=0,
        description="Seconds related-work's optional query-variant step may take; when "
        "they run out, it is skipped with a note and the topic alone is searched.",
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

    # -- the judge --verify asks whether each cited abstract supports a claim ----------
    judge_model: str | None = Field(
        default=None,
        description="litellm model string of the judge --verify asks (e.g. gpt-4o); when "
        "set, --verify is on by default. Unset = no verification.",
    )
    judge_api_base: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server for the judge (not inherited "
        "from REVIEWER_API_BASE).",
    )
    judge_api_key: SecretStr | None = Field(
        default=None,
        description="Key for REVIEWER_JUDGE_API_BASE (never logged or printed); hosted "
        "providers read their usual variables.",
    )

    # -- mail: the weekly digest -----------------------------------------------------
    smtp_host: str | None = Field(default=None, description="SMTP server host name.")
    smtp_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="SMTP port; unset = 587 for starttls, 465 for ssl, 25 for none.",
    )
    smtp_security: SmtpSecurity = Field(
        default="starttls",
        description="starttls (upgrade a plain connection), ssl (TLS from the start) or none.",
    )
    smtp_user: str | None = Field(default=None, description="SMTP login; unset = no AUTH.")
    smtp_password: SecretStr | None = Field(
        default=None, description="SMTP password (never logged, printed or stored)."
    )
    smtp_timeout: float = Field(default=30.0, gt=0, description="Seconds per SMTP operation.")
    smtp_retries: int = Field(
        default=3, ge=0, le=10, description="Retries after a transient SMTP failure."
    )
    smtp_retry_wait: float = Field(
        default=0.5,
        ge=0,
        description="Seconds before the first retry; each later wait doubles (3.5 s in all "
        "with the defaults).",
    )
    mail_from: str | None = Field(default=None, description="The digest's From address.")
    mail_to: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Default digest recipients (comma-separated in the environment, a list "
        "in the config file); --to overrides.",
    )

    @field_validator("mail_to", mode="before")
    @classmethod
    def _split_addresses(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win: arguments, then REVIEWER_* variables, then the file.
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_path()),
        )

    @property
    def smtp_port_in_use(self) -> int:
        return self.smtp_port or DEFAULT_SMTP_PORTS[self.smtp_security]

    @property
    def mail_db_path(self) -> Path:
        return self.home / "mail.sqlite"

    @property
    def llm_db_path(self) -> Path:
        return self.home / "llm.sqlite"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def bm25_path(self) -> Path:
        return self.home / "bm25"


def judge_settings(settings: Settings) -> Settings:
    """The settings the judge's client runs with: REVIEWER_JUDGE_MODEL, _API_BASE and
    _API_KEY in place of the writing model's (the server and key are not inherited). The
    price overrides are for the writing model: they apply to the judge only when it is the
    same model."""
    update: dict[str, Any] = {
        "model": settings.judge_model,
        "api_base": settings.judge_api_base,
        "api_key": settings.judge_api_key,
    }
    if settings.judge_model != settings.model:
        update |= {"input_cost_per_mtok": None, "output_cost_per_mtok": None}
    return settings.model_copy(update=update)


def check_config_file(path: Path) -> None:
    """A ConfigError naming the file when it is not TOML or holds a key that is no
    setting (a misspelt key would otherwise be ignored without a word)."""
    if not path.exists():
        return
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - pydantic-settings reads TOML with tomli there too
        import tomli as tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            hint='Each line is key = value, e.g. smtp_host = "smtp.example.org".',
        ) from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
            hint="The keys are the REVIEWER_ variable names without the prefix, in lower "
            "case; the README lists them.",
        )


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment and the config file; ``overrides`` (field names
    of Settings, e.g. ``home=``, ``model=``) win over both."""
    # Chroma reads these at import; make sure nothing phones home.
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ.setdefault("CHROMA_TELEMETRY_ENABLED", "False")
    path = config_path()
    check_config_file(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first.get("loc", ())) or "settings"
        # The input value is left out: it may be a secret.
        raise ConfigError(
            f"invalid setting {name}: {first.get('msg', 'invalid value')} "
            f"(REVIEWER_{name.upper()}, or {name} in {path})",
        ) from None
