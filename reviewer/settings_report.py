"""What `reviewer config show` reports: the settings in use, keys masked, what is
missing, and the mail settings (the SMTP password only as set or not)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewer.settings import Settings

KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "TOGETHERAI_API_KEY",
    "OPENROUTER_API_KEY",
    "AZURE_API_KEY",
    "DEEPSEEK_API_KEY",
    "OLLAMA_API_BASE",
)


def mask(value: str) -> str:
    if len(value) <= 8:
        return "***"
    return f"{value[:3]}…{value[-4:]}"


def settings_report(settings: Settings) -> dict[str, Any]:
    """The settings as JSON: model, server, keys (masked), what is missing, paths, mail."""
    from reviewer.mail import mail_settings_report
    from reviewer.prompts import prompts_dir

    missing: list[str] = []
    needed: list[str] = []
    if not settings.model:
        missing.append("REVIEWER_MODEL (writing commands need a model)")
    elif settings.api_base is None:
        from reviewer.llm.litellm_import import litellm

        needed = list(litellm.validate_environment(settings.model).get("missing_keys", []))
        missing += [k for k in needed if "KEY" in k or "TOKEN" in k]
    keys = {k: mask(v) for k in KEY_VARIABLES if (v := os.environ.get(k))}
    if settings.api_key is not None:
        keys["REVIEWER_API_KEY"] = mask(settings.api_key.get_secret_value())
    if settings.judge_api_key is not None:
        keys["REVIEWER_JUDGE_API_KEY"] = mask(settings.judge_api_key.get_secret_value())
    # The judge --verify asks (on by default when it is set); its key only masked.
    judge = {
        "model": settings.judge_model,
        "api_base": settings.judge_api_base,
        "key_sent": (
            "REVIEWER_JUDGE_API_KEY"
            if settings.judge_api_base and settings.judge_api_key
            else "none (custom server)"
            if settings.judge_api_base
            else "the provider's variable"
        )
        if settings.judge_model
        else None,
        "verify_by_default": bool(settings.judge_model),
    }
    llm_settings = {
        "timeout_s": settings.llm_timeout,
        "transport_retries": settings.llm_retries,
        "expand_budget_s": settings.expand_budget,
        "reasks": settings.llm_reasks,
        "max_tokens": settings.max_tokens,
        "temperature": settings.temperature,
        "concurrency": settings.concurrency,
        "input_cost_per_mtok": settings.input_cost_per_mtok,
        "output_cost_per_mtok": settings.output_cost_per_mtok,
    }
    data: dict[str, Any] = {
        "model": settings.model,
        "api_base": settings.api_base,
        "keys": keys,
        "key_sent": (
            "REVIEWER_API_KEY"
            if settings.api_base and settings.api_key
            else "none (custom server)"
            if settings.api_base
            else "the provider's variable"
        ),
        "missing": missing,
        "llm": llm_settings,
        "judge": judge,
        "home": str(settings.home),
        "store": settings.chroma_url or str(settings.chroma_path),
        "embedder": settings.embedder,
        "call_log": str(settings.llm_db_path),
        "prompts": str(prompts_dir()),
        "mail": mail_settings_report(settings),
    }
    return data
