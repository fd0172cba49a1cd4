"""The model-facing commands without a model: clear one-line errors, masked keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

NO_MODEL_ENV = {"REVIEWER_MODEL": "", "REVIEWER_API_BASE": ""}


@pytest.fixture(autouse=True)
def _no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REVIEWER_MODEL", "REVIEWER_API_BASE", "REVIEWER_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_summarize_without_a_model_names_the_settings(seeded_home: Path) -> None:
    result = run_cli("summarize", "--ids", "arxiv:2509.06617")
    assert result.returncode == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "REVIEWER_MODEL" in errors[0] and "REVIEWER_API_BASE" in errors[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    # nothing else breaks: the store still answers
    assert run_cli("search", "segmentation", "-k", "1", "--json").returncode == 0


def test_hosted_model_without_its_key_names_the_key(seeded_home: Path) -> None:
    result = run_cli(
        "summarize", "--ids", "arxiv:2509.06617", env={"REVIEWER_MODEL": "gpt-4o-mini"}
    )
    assert result.returncode == 3
    assert "OPENAI_API_KEY" in result.stderr.splitlines()[0]


def test_summarize_needs_ids_or_a_query() -> None:
    result = run_cli(
        "summarize",
        env={"REVIEWER_MODEL": "openai/x", "REVIEWER_API_BASE": "http://127.0.0.1:9/v1"},
    )
    assert result.returncode == 2
    assert "--ids" in result.stderr and "--query" in result.stderr


def test_unknown_id_is_a_one_line_error(seeded_home: Path) -> None:
    env = {"REVIEWER_MODEL": "openai/x", "REVIEWER_API_BASE": "http://127.0.0.1:9/v1"}
    result = run_cli("summarize", "--ids", "arxiv:2509.06617", "arxiv:0000.00000", env=env)
    assert result.returncode == 5
    assert "arxiv:0000.00000" in result.stderr and "Traceback" not in result.stderr


def test_config_show_masks_keys_and_lists_what_is_missing() -> None:
    secret = "sk-test-abcdefghijklmnop1234"
    result = run_cli(
        "config", "show", "--json", env={"REVIEWER_MODEL": "gpt-4o-mini", "OPENAI_API_KEY": secret}
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "gpt-4o-mini"
    assert data["keys"]["OPENAI_API_KEY"] == "sk-…1234"
    assert data["missing"] == []
    assert secret not in result.stdout + result.stderr

    bare = json.loads(run_cli("config", "show", "--json", check=True).stdout)
    assert bare["model"] is None
    assert any("REVIEWER_MODEL" in m for m in bare["missing"])
    text = run_cli(
        "config", "show", env={"REVIEWER_MODEL": "anthropic/claude-3-5-haiku-latest"}
    ).stdout
    assert "missing:" in text and "ANTHROPIC_API_KEY" in text


def test_custom_server_never_gets_the_openai_key() -> None:
    env = {
        "REVIEWER_MODEL": "openai/local",
        "REVIEWER_API_BASE": "http://127.0.0.1:9/v1",
        "OPENAI_API_KEY": "sk-test-abcdefghijklmnop1234",
    }
    data = json.loads(run_cli("config", "show", "--json", env=env, check=True).stdout)
    assert data["key_sent"] == "none (custom server)"


def test_logs_with_no_calls_yet() -> None:
    result = run_cli("logs", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []
    assert "No model calls yet" in run_cli("logs").stderr
    filtered = run_cli("logs", "--task", "summarize")
    assert filtered.stdout == "" and "No model call matches --run/--task." in filtered.stderr


def test_ids_option_takes_several_values() -> None:
    from reviewer.cli import expand_multi_value_options

    assert expand_multi_value_options(["summarize", "--ids", "a", "b", "--json"]) == [
        "summarize",
        "--ids",
        "a",
        "--ids",
        "b",
        "--json",
    ]
    assert expand_multi_value_options(["summarize", "--ids", "a", "-k", "3"]) == [
        "summarize",
        "--ids",
        "a",
        "-k",
        "3",
    ]


def test_logs_table_shows_the_problem_and_json_keeps_everything(_isolated_home: Path) -> None:
    from reviewer.llm.db import CallRecord, LLMDatabase

    error = (
        "answer: Value error, These answers are not supported by the abstract; fix or remove "
        "them, and use 'not reported' where the abstract is silent:\n"
        "- modality: does not occur in the abstract ('MRI')"
    )
    db = LLMDatabase(_isolated_home / "llm.sqlite")
    db.log_call(
        CallRecord(
            run_id="r1",
            task="summarize",
            subject="arxiv:2509.06617",
            prompt_id="summarize_paper",
            prompt_version=1,
            prompt_hash="h" * 64,
            model="openai/x",
            cache_key="k",
            cache_hit=False,
            attempt=1,
            reask=0,
            status="invalid",
            error=error,
            input_tokens=10,
            output_tokens=5,
            latency_ms=1234.56,
        )
    )
    db.close()
    table = run_cli("logs", env={"COLUMNS": "250"}, check=True).stdout
    assert "modality: does not occur in the abstract" in table
    assert "fix or remove" not in table and "1235" in table
    rows = json.loads(run_cli("logs", "--json", check=True).stdout)
    assert rows[0]["error"] == error and rows[0]["status"] == "invalid"
    totals = json.loads(run_cli("logs", "--totals", "--json", check=True).stdout)
    assert (totals["model_calls"], totals["rejected"], totals["input_tokens"]) == (1, 1, 10)
