"""What a user installs holds what the program reads: the prompts and the demo corpus.

Builds the sdist and, from it, the wheel (as pip does for an sdist) with no network
(`python -m build --no-isolation`: the build backend comes from the dev extra), from
a copy of the checkout so no build files land in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = sorted(p.name for p in (ROOT / "prompts").glob("*.md"))
DEMO = sorted(p.name for p in (ROOT / "reviewer" / "demo").glob("*.txt"))
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "results",
    ".cache",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel) of this checkout."""
    work = tmp_path_factory.mktemp("build")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    dist = work / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    return sdist, wheel


def test_the_repository_has_prompts_and_a_demo_corpus() -> None:
    assert len(PROMPTS) >= 7 and "summarize_paper.md" in PROMPTS
    assert len(DEMO) == 4


def test_the_wheel_holds_every_prompt_the_demo_corpus_and_every_module(
    built: tuple[Path, Path],
) -> None:
    _, wheel = built
    names = set(zipfile.ZipFile(wheel).namelist())
    for prompt in PROMPTS:
        assert f"reviewer/_prompts/{prompt}" in names
    for demo in DEMO:
        assert f"reviewer/demo/{demo}" in names
    # pyproject.toml lists the packages by name: a new one left out of it fails here.
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "reviewer").rglob("*.py")}
    assert modules - names == set()


def test_the_sdist_holds_every_prompt_and_the_demo_corpus(built: tuple[Path, Path]) -> None:
    sdist, _ = built
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for prompt in PROMPTS:
        assert f"prompts/{prompt}" in names
    for demo in DEMO:
        assert f"reviewer/demo/{demo}" in names


def test_the_installed_package_reads_its_own_prompts(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    """The wheel unpacked is the package as pip lays it out: prompts_dir() is inside it
    and every prompt loads, with no REVIEWER_PROMPTS_DIR and no checkout on the path."""
    _, wheel = built
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys; from reviewer.prompts import prompts_dir, load_prompt;"
        "d = prompts_dir(); print(d);"
        "[load_prompt(p.stem) for p in sorted(d.glob('*.md'))];"
        "print(len(list(d.glob('*.md'))))"
    )
    env = {k: v for k, v in os.environ.items() if k != "REVIEWER_PROMPTS_DIR"}
    # -I: neither the current folder nor PYTHONPATH; the unpacked wheel goes first
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    where, count = result.stdout.split()
    assert Path(where) == site / "reviewer" / "_prompts"
    assert int(count) == len(PROMPTS)
