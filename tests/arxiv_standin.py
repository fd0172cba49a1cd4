"""A local stand-in for the arXiv API: serves the real API responses saved in
tests/data/real, page by page, and records what it was asked. Used by the tests
and to record the arXiv cassette (see README, "Re-recording cassettes")."""

from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REAL = Path(__file__).resolve().parent / "data" / "real"
PAGES = [REAL / "arxiv_api_query_testing_100.xml", REAL / "arxiv_api_id_list_2.xml"]


class ArxivStandIn:
    def __init__(self, port: int = 0, failures: list[int] | None = None) -> None:
        self.requests: list[dict] = []
        self.failures = list(failures or [])  # status codes to answer first, in order
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                standin.requests.append(
                    {"path": url.path, "query": query, "user_agent": self.headers.get("User-Agent")}
                )
                if standin.failures:
                    self.send_response(standin.failures.pop(0))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if url.path != "/api/query" or "search_query" not in query:
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                page = int(query.get("start", "0")) // 100
                body = PAGES[page].read_bytes() if page < len(PAGES) else _empty_feed()
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/query"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ArxivStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _empty_feed() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>arXiv Query</title></feed>'
    )


if __name__ == "__main__":
    # python tests/arxiv_standin.py PORT: serve until interrupted (for recording).
    import sys
    import time

    with ArxivStandIn(port=int(sys.argv[1])) as api:
        print(api.url, flush=True)
        while True:
            time.sleep(3600)
