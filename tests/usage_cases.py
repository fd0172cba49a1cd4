"""Wrong invocations of `reviewer`: each must end with exit code 2 and one `error:` line
(and at most one `hint:` line) on stderr, never a traceback.

Plain data, so that any test can run the table against any build of the program
(tests/test_usage_errors.py runs it against this checkout, or REVIEWER_TEST_BIN).

Each row: (name, arguments, a fragment the error line holds). The fragments are
the parts that read the same under every typer/click release in the declared
range; the wording around them differs between releases.
"""

from __future__ import annotations

WRONG_INVOCATIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # commands that do not exist
    ("typo-in-command", ("serach", "x"), "serach"),
    ("unknown-command", ("frobnicate",), "frobnicate"),
    ("typo-in-subcommand", ("config", "shwo"), "shwo"),
    ("unknown-export-command", ("export", "pdf"), "pdf"),
    # options that do not exist
    ("unknown-option", ("search", "x", "--bogus"), "--bogus"),
    ("unknown-root-option", ("--bogus",), "--bogus"),
    ("unknown-format-on-list", ("list", "--format", "csv"), "--format"),
    ("unknown-format-on-digest", ("digest", "--format", "html"), "--format"),
    # missing arguments and values
    ("missing-argument-show", ("show",), "ref"),
    ("missing-argument-search", ("search",), "query"),
    ("missing-option-value", ("search", "x", "--since"), "--since"),
    ("missing-required-option", ("export", "wiki"), "--out"),
    ("extra-argument", ("show", "a", "b"), "b"),
    # values out of range or of the wrong type (checked by typer/click)
    ("negative-k", ("search", "polyp", "-k", "-5"), "--limit"),
    ("k-not-a-number", ("search", "polyp", "-k", "many"), "--limit"),
    ("negative-list-limit", ("list", "-n", "-1"), "--limit"),
    ("list-limit-not-a-number", ("list", "--limit", "all"), "--limit"),
    ("no-pager-takes-no-value", ("list", "--no-pager", "yes"), "yes"),
    ("logs-limit-not-a-number", ("logs", "-n", "x"), "--limit"),
    ("ingest-max-not-a-number", ("ingest", "--max", "lots"), "--max"),
    ("negative-max-cost", ("summarize", "--max-cost", "-1"), "--max-cost"),
    ("zero-concurrency", ("compare", "x", "-j", "0"), "--concurrency"),
    ("words-not-a-number", ("related-work", "x", "--words", "many"), "--words"),
    ("too-many-themes", ("digest", "--max-themes", "99"), "--max-themes"),
    ("min-score-not-a-number", ("digest", "--min-score", "high"), "--min-score"),
    # values checked in the command body (typer.BadParameter)
    ("since-not-a-date", ("search", "x", "--since", "notadate"), "notadate"),
    ("until-not-a-date", ("related-work", "x", "--until", "2025-13-40"), "2025-13-40"),
    ("unknown-mode", ("search", "x", "--mode", "fuzzy"), "fuzzy"),
    ("empty-query", ("search", "  "), "the query is empty"),
    ("stop-word-only-query", ("search", "the of and"), "nothing to search for"),
    ("two-output-formats", ("search", "x", "--json", "--csv"), "--csv"),
    ("unknown-sort", ("list", "--sort", "size"), "size"),
    ("unknown-related-work-format", ("related-work", "x", "-f", "docx"), "docx"),
    ("unknown-compare-format", ("compare", "x", "-f", "xml"), "xml"),
    ("unknown-ingest-format", ("ingest", "-f", "docx", "paper.txt"), "docx"),
    ("missing-argument-check", ("check",), "file"),
    ("unknown-check-format", ("check", "notes.md", "--format", "docx"), "docx"),
    # checked by the API (a UsageError or an InputError, exit 2)
    ("check-unknown-suffix", ("check", "notes.docx"), ".docx"),
    ("check-missing-file", ("check", "missing.md"), "missing.md: no such file"),
)
