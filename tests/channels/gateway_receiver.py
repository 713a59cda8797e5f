"""A real HTTP server on loopback standing in for an SMS provider or a PBX."""

from __future__ import annotations

import http.server
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit


class GatewayReceiver(http.server.ThreadingHTTPServer):
    def __init__(self) -> None:
        self.hits: list[dict[str, Any]] = []
        self.status = 200
        self.ids = itertools.count(1)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                outer.hits.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                answer = json.dumps({"data": {"messages": [{"id": f"prov-{next(outer.ids)}"}]}})
                raw = answer.encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_POST = do_GET = _handle

            def log_message(self, *args: Any) -> None:
                return None

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send?account=7"

    def form(self, index: int = -1) -> dict[str, list[str]]:
        return parse_qs(self.hits[index]["body"].decode())

    def json(self, index: int = -1) -> Any:
        return json.loads(self.hits[index]["body"])


@contextmanager
def running_receiver() -> Iterator[GatewayReceiver]:
    server = GatewayReceiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
