"""`reviewer mcp`: the store as tools for AI assistants (Model Context Protocol, stdio).
The SDK is imported inside the command, so `reviewer --help` does not load it."""

from __future__ import annotations

import typer

from reviewer.cli.output import reflow


def mcp() -> None:
    """Serve the store to an AI assistant or coding agent as Model Context Protocol tools,
    over stdio: the client starts this command and talks to it on stdin/stdout (nothing
    else is written there; notes go to stderr).

    Tools: search, show, list_papers, stats, check_draft (no model needed), and
    related_work, outline, compare (a model, or extractive=true) and summarize (a model).
    Each returns the JSON the matching command prints with --json.

    Settings come from the same environment as every other command: REVIEWER_HOME (the
    store), REVIEWER_CHROMA_URL, REVIEWER_MODEL and REVIEWER_API_BASE (or the provider's
    key), or the config file; set them in the client's "env".

    Client configuration (Claude Desktop's claude_desktop_config.json, a project's
    .mcp.json for Claude Code, or another client's MCP settings):
    {"mcpServers": {"reviewer": {"command": "reviewer", "args": ["mcp"],
    "env": {"REVIEWER_HOME": "/path/to/your/store"}}}}"""
    from reviewer.mcp_server import serve

    serve()


def register(app: typer.Typer) -> None:
    app.command("mcp", help=reflow(mcp.__doc__))(mcp)
