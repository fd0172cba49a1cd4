"""The README's "From Python" example runs as written, and the API gives what the CLI
prints: the same related-work JSON for the same store, and Pydantic models whose JSON is
the commands' --json."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run_cli

BLOCK = re.compile(r"<!-- python-api -->\s*```python\n(.*?)```", re.DOTALL)


def readme_example() -> str:
    found = BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md has no python block after <!-- python-api -->"
    return found.group(1)


def test_readme_example_runs_and_matches_the_cli(
    seeded_home_template: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    # The example ingests the demo corpus into ./reviewer-home; a copy of the seeded store
    # makes that ingest a no-op (same papers, nothing embedded), so the test stays fast.
    shutil.copytree(seeded_home_template, work / "reviewer-home")
    (work / "example.py").write_text(readme_example(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    result = subprocess.run(
        [sys.executable, "example.py"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["1", "2", "3"]
    assert "papers cited;" in lines[3]
    assert result.stderr == ""  # the library prints nothing; notes go to logging

    from_python = json.loads((work / "related.json").read_text(encoding="utf-8"))
    cli = run_cli(
        "related-work",
        "SAM adaptation for 3D medical segmentation",
        "-k",
        "6",
        "--extractive",
        "-f",
        "json",
        env={"REVIEWER_HOME": str(work / "reviewer-home")},
        check=True,
    )
    assert json.loads(cli.stdout) == from_python
    assert from_python["mode"] == "extractive" and from_python["references"]


def test_api_models_are_the_cli_json(seeded_home: Path) -> None:
    from reviewer import Reviewer
    from reviewer.progress import CollectingReporter

    reporter = CollectingReporter()
    rv = Reviewer(reporter=reporter)
    hits = rv.search("federated learning", k=4, mode="lexical")
    cli = json.loads(
        run_cli("search", "federated learning", "-k", "4", "--mode", "lexical", "--json").stdout
    )
    assert [h.model_dump(mode="json") for h in hits] == cli
    paper = rv.show(hits[0].id)
    assert paper.model_dump(mode="json") == json.loads(run_cli("show", hits[0].id, "--json").stdout)
    assert rv.stats().model_dump(mode="json") == json.loads(run_cli("stats", "--json").stdout)
    assert reporter.notes == []  # nothing to say on a search of a full store


def test_api_errors_are_reviewer_errors(seeded_home: Path) -> None:
    import pytest

    from reviewer import Reviewer
    from reviewer.errors import NotFoundError, UsageError

    rv = Reviewer()
    with pytest.raises(UsageError, match="fuzzy"):
        rv.search("x", mode="fuzzy")
    with pytest.raises(UsageError, match="is not a date"):
        rv.search("x", since="yesterday")
    with pytest.raises(NotFoundError, match=r"arxiv:0000\.00000"):
        rv.show("arxiv:0000.00000")
