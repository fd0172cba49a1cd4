"""`reviewer mcp`: the SDK's own client against the real server process over stdio.

One server process (``python -m reviewer mcp``, spawned by the SDK's stdio client) on a
copy of the seeded store serves one session for the whole module; the tests below check
what that session received. No model is configured: the model-backed tools must answer
with a tool error naming the setting."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import ROOT, run_cli

from reviewer.grounding import numbers_in, split_sentences

QUERY = "adapting the Segment Anything Model to medical image segmentation"
TOOLS = {
    "search",
    "show",
    "list_papers",
    "stats",
    "summarize",
    "compare",
    "related_work",
    "outline",
    "check_draft",
}
MISSING_NUMBER = "93.17"


@pytest.fixture(scope="module")
def mcp_home(seeded_home_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("mcp") / "home"
    shutil.copytree(seeded_home_template, home)
    return home


@pytest.fixture(scope="module")
def session(mcp_home: Path) -> dict[str, Any]:
    """Every answer of one session, by step, and the server's stderr."""
    stderr = mcp_home.parent / "server-stderr.txt"
    with stderr.open("w") as errlog:
        answers: dict[str, Any] = anyio.run(_session, mcp_home, errlog)
    answers["stderr"] = stderr.read_text()
    return answers


async def _session(home: Path, errlog: Any) -> dict[str, Any]:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "reviewer", "mcp"],
        # The stdio client passes only a few variables (PATH, HOME...) besides these:
        # no REVIEWER_MODEL, so no model is configured.
        env={"REVIEWER_HOME": str(home), "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"},
        cwd=str(ROOT),
    )
    out: dict[str, Any] = {}
    async with Client(stdio_client(server, errlog=errlog), read_timeout_seconds=300) as client:
        out["tools"] = (await client.list_tools()).tools
        out["search"] = await client.call_tool("search", {"query": QUERY, "k": 5})
        hit = json.loads(out["search"].content[0].text)[0]
        out["show"] = await client.call_tool("show", {"ref": hit["id"]})
        progress: list[str | None] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append(message)

        out["related_work"] = await client.call_tool(
            "related_work",
            {"topic": QUERY, "k": 6, "themes": 2, "extractive": True},
            progress_callback=on_progress,
        )
        out["progress"] = progress
        out["outline"] = await client.call_tool(
            "outline", {"topic": QUERY, "k": 6, "themes": 2, "extractive": True}
        )
        # A quote in quotation marks: the same words unquoted would be a copy.
        quote = f"“{split_sentences(hit['abstract'])[0].rstrip('.')}”."
        assert MISSING_NUMBER not in hit["abstract"]
        considered = json.loads(out["related_work"].content[0].text)["considered"]
        key = next(c["key"] for c in considered if c["id"] == hit["id"])
        out["draft"] = [
            {"text": quote, "citations": [hit["id"]]},
            {
                "text": f"{hit['title'].rstrip('.')} reaches a Dice score of {MISSING_NUMBER}.",
                "citations": [hit["id"]],
            },
            # The draft's citation key, inline: the same sentence again.
            {"text": f"{quote.rstrip('.')} [{key}]."},  # “…” [key].
            {"text": quote, "citations": ["nosuch2099paper"]},
        ]
        out["check_draft"] = await client.call_tool(
            "check_draft", {"sentences": out["draft"], "topic": QUERY}
        )
        out["unknown"] = await client.call_tool("show", {"ref": "arxiv:0000.00000"})
        out["summarize"] = await client.call_tool("summarize", {"query": QUERY, "k": 2})
        out["related_work_model"] = await client.call_tool("related_work", {"topic": QUERY})
        out["hit"] = hit
    return out


def _json(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def test_tools_are_listed_with_descriptions_and_schemas(session: dict[str, Any]) -> None:
    tools = {t.name: t for t in session["tools"]}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 80, tool.name
        assert tool.input_schema["type"] == "object", tool.name
    assert "untrusted" in tools["search"].description
    assert set(tools["search"].input_schema["properties"]) == {
        "query",
        "k",
        "mode",
        "since",
        "until",
        "has_code",
        "expand",
    }
    assert tools["search"].input_schema["required"] == ["query"]
    assert "extractive" in tools["related_work"].input_schema["properties"]
    assert tools["check_draft"].input_schema["required"] == ["sentences"]
    assert tools["stats"].annotations.read_only_hint is True


def test_search_returns_what_the_cli_json_gives(session: dict[str, Any], mcp_home: Path) -> None:
    hits = _json(session["search"])
    cli = run_cli("search", QUERY, "-k", "5", "--json", env={"REVIEWER_HOME": str(mcp_home)})
    assert cli.returncode == 0, cli.stderr
    assert [h["id"] for h in hits] == [h["id"] for h in json.loads(cli.stdout)]
    assert hits == json.loads(cli.stdout)
    record = _json(session["show"])
    assert record["id"] == hits[0]["id"] and record["abstract"] == hits[0]["abstract"]


def test_extractive_related_work_cites_only_considered_store_papers(
    session: dict[str, Any],
) -> None:
    result = session["related_work"]
    draft = _json(result)
    assert draft["mode"] == "extractive"
    considered = {c["key"]: c["id"] for c in draft["considered"]}
    cited = [
        k for s in draft["sections"] for sentence in s["sentences"] for k in sentence["citations"]
    ]
    assert cited and set(cited) <= set(considered)
    references = {r["key"]: r["id"] for r in draft["references"]}
    assert set(cited) == set(references)
    assert all(considered[key] == pid for key, pid in references.items())
    assert all(pid.startswith(("arxiv:", "doi:", "title:")) for pid in references.values())
    markdown = result.content[1].text
    assert markdown.startswith("## Related work:") and "## References" in markdown
    # The library's notes: the last text block, and progress notifications on the way.
    assert result.content[2].text.startswith("Notes from this run:")
    assert any(m and m.startswith("Extractive draft:") for m in session["progress"])


def test_extractive_outline_lists_the_same_papers_as_the_draft(session: dict[str, Any]) -> None:
    outline = _json(session["outline"])
    ids = [pid for theme in outline["themes"] for pid in theme["paper_ids"]]
    draft = _json(session["related_work"])
    assert sorted(ids) == sorted(c["id"] for c in draft["considered"])
    listing = session["outline"].content[1].text
    assert all(f"- {pid}  " in listing for pid in ids)


def test_check_draft_passes_a_quote_and_flags_numbers_repeats_and_unknown_papers(
    session: dict[str, Any],
) -> None:
    check = _json(session["check_draft"])
    good, bad, again, unknown = check["sentences"]
    assert good["ok"] and good["problems"] == [], good
    assert good["cited_ids"] == [session["hit"]["id"]]
    assert not bad["ok"]
    assert f"numbers not in the cited abstracts: {MISSING_NUMBER}" in bad["problems"]
    assert numbers_in(bad["text"]) == [MISSING_NUMBER]
    assert again["text"] == good["text"] and again["cited_ids"] == good["cited_ids"]
    assert again["problems"] == ["repeats an earlier sentence"]
    assert unknown["unknown_citations"] == ["nosuch2099paper"] and not unknown["ok"]
    assert (check["passed"], check["failed"]) == (1, 3)
    assert check["unknown_citations"] == ["nosuch2099paper"]


def test_errors_are_tool_errors_with_message_and_hint(session: dict[str, Any]) -> None:
    for name in ("summarize", "related_work_model", "unknown"):
        result = session[name]
        assert result.is_error, name
        text = result.content[0].text
        assert text.startswith("error: ") and "\nhint: " in text, text
        assert "Traceback" not in text
    unknown = session["unknown"].content[0].text
    assert "no paper 'arxiv:0000.00000'" in unknown and "the list_papers tool" in unknown
    for name in ("summarize", "related_work_model"):
        assert "REVIEWER_MODEL" in session[name].content[0].text
    assert "extractive=true" in session["related_work_model"].content[0].text
    assert "--extractive" not in session["related_work_model"].content[0].text
    assert "Traceback" not in session["stderr"]


def test_the_cli_loads_no_mcp_sdk_until_the_command_runs() -> None:
    code = "import sys, reviewer.cli; print(any(m.split('.')[0] == 'mcp' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    help_text = run_cli("mcp", "--help", check=True).stdout
    assert "stdio" in help_text and "mcpServers" in help_text and "REVIEWER_HOME" in help_text


def test_a_streamed_answer_reports_its_progress_to_the_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client waiting on a slow model hears of its tokens: when the request is sent,
    at most every TOKENS_EVERY seconds while they arrive, and at the end; every
    notification's progress larger than the last, as the protocol asks."""
    import anyio.lowlevel
    import anyio.to_thread

    from reviewer import mcp_server

    clock = [100.0]
    monkeypatch.setattr(mcp_server.time, "monotonic", lambda: clock[0])
    sent: list[tuple[float, float | None, str | None]] = []

    class Client:
        async def report_progress(
            self, progress: float, total: float | None, message: str | None
        ) -> None:
            sent.append((progress, total, message))

    def work(reporter: mcp_server._ToolReporter) -> None:
        reporter.start(2, "summaries")
        reporter.tokens("m: 2403.05433", 0, 0.0)
        for n in range(1, 31):  # three tokens a second for ten seconds
            clock[0] += 1 / 3
            reporter.tokens("m: 2403.05433", n, 3.0)
        reporter.tokens("m: 2403.05433", 30, 3.0, done=True)
        reporter.advance()

    async def main() -> None:
        reporter = mcp_server._ToolReporter(Client(), anyio.lowlevel.current_token())  # type: ignore[arg-type]
        await anyio.to_thread.run_sync(work, reporter)

    anyio.run(main)
    messages = [m for _, _, m in sent]
    assert messages[1] == "m: 2403.05433: waiting for the first token"
    streaming = [m for m in messages if m and "tok/s" in m]
    assert 4 <= len(streaming) <= 7  # ten seconds at one every two, not thirty
    assert streaming[-1] == "m: 2403.05433: 30 tokens, 3.0 tok/s (done)"
    progress = [p for p, _, _ in sent]
    assert all(b > a for a, b in itertools.pairwise(progress))
    assert sent[-1][0] >= 1 and sent[-1][1] == 2
