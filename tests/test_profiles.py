"""Summary profiles: the built-in ones, a user's TOML file, and the errors a bad file gives.

The expected field lists are written out here by hand (not read from the profile code):
a profile that silently gained or lost a field would change every summary and the wiki
schema, so that must fail a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from jsonschema import Draft202012Validator

from reviewer.corpus.model import Paper
from reviewer.errors import ConfigError
from reviewer.profiles import load_profile
from reviewer.render.wiki import json_schemas
from reviewer.tasks.summary_model import (
    SummaryKey,
    build_summary,
    current_summary,
    draft_model,
    grounding_problems,
)

GENERAL = [
    "problem",
    "contribution",
    "method",
    "task",
    "datasets",
    "metrics",
    "findings",
    "limitations",
    "code",
]
MEDICAL = [*GENERAL, "modality", "anatomy"]

# A real abstract from outside medicine: arXiv 2604.03438v1 (software testing), from
# tests/data/real/arxiv_api_query_testing_100.xml, cut to its first three sentences.
ABSTRACT = (
    "Android instrumentation tests (end-to-end tests that run on a device or emulator) can "
    "catch problems that simpler tests miss. However, running these tests automatically in "
    "continuous integration (CI) is often difficult because emulator setup is fragile and "
    "configurations tend to drift over time. We study how open-source Android apps run "
    "instrumentation tests in CI by analyzing 4,518 repositories that use CI (snapshot: "
    "Aug. 10, 2025)."
)
TITLE = (
    "Android Instrumentation Testing in Continuous Integration: Practices, Patterns, and "
    "Performance"
)

SOFTWARE_STUDIES = """\
name = "software-studies"
description = "empirical software engineering"
extends = "general"
compare_columns = ["task", "subjects", "results"]

[[fields]]
name = "subjects"
kind = "names"
description = "What was studied (projects, repositories, programs), as the abstract names it."
"""


def test_the_built_in_profiles_and_their_fields() -> None:
    general = load_profile(None)
    assert general.name == "general" and list(general.field_names) == GENERAL
    assert general.description == ""  # the prompt names no field of research
    medical = load_profile("medical-imaging")
    assert list(medical.field_names) == MEDICAL
    assert "modality" in medical.compare_columns
    assert "modality" not in general.compare_columns
    assert general.fingerprint != medical.fingerprint


def test_the_general_profile_has_no_medical_field_in_any_schema() -> None:
    general = load_profile("general")
    draft_schema = json.dumps(draft_model(general).model_json_schema()).lower()
    wiki_schema = json.dumps(json_schemas(general)["paper.schema.json"]).lower()
    for word in ("modality", "anatomy", "medical", "imaging"):
        assert word not in draft_schema and word not in wiki_schema, word
    medical_schema = json.dumps(json_schemas(load_profile("medical-imaging")))
    assert '"modality"' in medical_schema and '"anatomy"' in medical_schema


def _paper() -> Paper:
    return Paper(id="arxiv:2604.03438", title=TITLE, abstract=ABSTRACT)


def _user_profile(home: Path) -> Path:
    folder = home / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "software-studies.toml"
    path.write_text(SOFTWARE_STUDIES, encoding="utf-8")
    return path


def test_a_user_profile_adds_its_field_to_the_draft_the_summary_and_the_wiki_schema(
    tmp_path: Path,
) -> None:
    _user_profile(tmp_path)
    profile = load_profile("software-studies", home=tmp_path)
    assert list(profile.field_names) == [*GENERAL, "subjects"]
    assert profile.compare_columns == ("task", "subjects", "results")
    assert profile.source.endswith("software-studies.toml")
    # The same file named by its path loads the same profile.
    assert load_profile(tmp_path / "profiles" / "software-studies.toml").fields == profile.fields

    Draft = draft_model(profile)
    answer = {
        "tldr": "A study of how 4,518 open-source Android apps run instrumentation tests in CI.",
        "problem": "Running Android instrumentation tests in CI is difficult.",
        "contribution": "An analysis of 4,518 repositories that use CI.",
        "method": "not reported",
        "task": "study of instrumentation tests",
        "subjects": ["open-source Android apps", "Linux kernel"],
    }
    draft = Draft.model_validate(answer)
    problems = grounding_problems(draft, ABSTRACT, title=_paper().title)
    assert [(p.field, p.reason) for p in problems] == [("subjects[1]", "name not in the abstract")]
    summary = build_summary(draft, paper=_paper(), passed=False, model="m", prompt="p@1")
    dumped = summary.model_dump(mode="json")
    assert dumped["subjects"] == ["open-source Android apps"]
    assert "modality" not in dumped and dumped["profile"] == profile.label

    schema = json_schemas(profile)["paper.schema.json"]
    summary_schema = json.dumps(schema)
    assert '"subjects"' in summary_schema
    record = {
        "schema_version": 2,
        "id": "arxiv:2604.03438",
        "title": TITLE,
        "title_text": TITLE,
        "authors": [],
        "published": None,
        "published_precision": "day",
        "updated": None,
        "year": None,
        "venue": None,
        "arxiv_id": "2604.03438",
        "doi": None,
        "categories": [],
        "abs_url": None,
        "pdf_url": None,
        "code_urls": [],
        "other_titles": [],
        "abstract": ABSTRACT,
        "abstract_text": ABSTRACT,
        "abstract_truncated": False,
        "sources": [],
        "summary": dumped,
    }
    validator = Draft202012Validator(schema)
    assert not list(validator.iter_errors(record))
    # A summary of another profile does not fit this schema.
    del record["summary"]["subjects"]  # type: ignore[attr-defined]
    assert list(validator.iter_errors(record))


def test_a_summary_is_current_only_for_its_profile_model_and_prompt() -> None:
    profile = load_profile("general")
    draft = draft_model(profile).model_validate(
        {"tldr": "not reported", "problem": "x", "contribution": "x", "method": "x", "task": "x"}
    )
    stored = build_summary(
        draft, paper=_paper(), passed=True, model="m1", prompt="summarize_paper@2"
    ).model_dump(mode="json")
    same = SummaryKey(profile=profile.label, model="m1", prompt="summarize_paper@2")
    assert current_summary(_paper(), stored, same) is not None
    other_profile = same.model_copy(update={"profile": load_profile("medical-imaging").label})
    other_model = same.model_copy(update={"model": "m2"})
    other_prompt = same.model_copy(update={"prompt": "summarize_paper@3"})
    for key in (other_profile, other_model, other_prompt):
        assert current_summary(_paper(), stored, key) is None
    edited = _paper().model_copy(update={"abstract": ABSTRACT + " More."})
    assert current_summary(edited, stored, same) is None


BAD_PROFILES = [
    ('name = "x"\n[[fields]]\nname = "a"\nkind = "prose"\ndescription = "d"\n', "fields[0].kind"),
    ('[[fields]]\nname = "a"\nkind = "text"\n', "fields[0].description"),
    ('[[fields]]\nname = "a"\nkind = "text"\ndescription = "d"\ncolour = 1\n', "fields[0].colour"),
    ('[[fields]]\nname = "Bad Name"\nkind = "text"\ndescription = "d"\n', "fields[0].name"),
    ('[[fields]]\nname = "tldr"\nkind = "text"\ndescription = "d"\n', "fields[0].name"),
    ('fields = "problem"\n', "fields"),
    (
        'extends = "general"\n[[fields]]\nname = "a"\nkind = "text"\ndescription = "d"\n'
        '[[fields]]\nname = "a"\nkind = "name"\ndescription = "e"\n',
        "fields[1].name",
    ),
    ('name = "x"\n', "fields"),
    ('extends = "no-such-profile"\n', "no-such-profile"),
    ("[[fields]\n", "not valid TOML"),
    ('compare_columns = []\nextends = "general"\n', "compare_columns"),
]


@pytest.mark.parametrize(("text", "names"), BAD_PROFILES)
def test_a_malformed_profile_is_one_error_naming_the_file_and_the_key(
    tmp_path: Path, text: str, names: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    assert names in info.value.message
    if names != "no-such-profile":
        assert str(path) in info.value.message


def test_a_profile_that_extends_itself_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "a.toml").write_text('extends = "b"\n')
    (folder / "b.toml").write_text('extends = "a"\n')
    with pytest.raises(ConfigError, match="extends itself"):
        load_profile("a", home=tmp_path)


def test_the_cli_lists_profiles_and_reports_a_bad_one_in_one_line(_isolated_home: Path) -> None:
    _user_profile(_isolated_home)
    listed = json.loads(run_cli("profiles", "--json", check=True).stdout)
    assert [p["name"] for p in listed] == ["general", "medical-imaging", "software-studies"]
    shown = run_cli("profiles", "software-studies", check=True).stdout
    assert "subjects (names)" in shown and "compare columns: task, subjects, results" in shown

    bad = _isolated_home / "profiles" / "broken.toml"
    bad.write_text('[[fields]]\nname = "a"\nkind = "prose"\ndescription = "d"\n')
    for args in (["profiles", "broken"], ["summarize", "--profile", "broken", "--ids", "x"]):
        result = run_cli(*args, env={"REVIEWER_MODEL": "openai/none"})
        assert result.returncode == 3, result.stderr
        lines = result.stderr.strip().splitlines()
        assert lines[0] == (
            f"error: profile {bad}: fields[0].kind: must be one of "
            "text, name, names, metrics, quotes, link"
        )
        assert len(lines) <= 2 and "Traceback" not in result.stderr
    unknown = run_cli("compare", "x", "--profile", "nope", "--extractive")
    assert unknown.returncode == 3
    assert unknown.stderr.startswith("error: unknown profile 'nope'")
    env_selected = run_cli("profiles", env={"REVIEWER_PROFILE": "software-studies"}, check=True)
    assert "software-studies  (selected)" in env_selected.stdout
