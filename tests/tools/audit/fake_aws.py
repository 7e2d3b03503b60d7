"""A local HTTP endpoint that answers every AWS call with one recorded error (throttling, expired token)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# SageMaker speaks JSON 1.1: the error type is `__type` (botocore's JSON parser); STS speaks the query protocol (XML).
THROTTLING_JSON = (400, "application/x-amz-json-1.1", '{"__type": "ThrottlingException", "message": "Rate exceeded"}')
EXPIRED_TOKEN_XML = (403, "text/xml", (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    "<Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message>"
    "</Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"))


class FakeAws:
    def __init__(self, answer: tuple[int, str, str]) -> None:
        status, content_type, body = answer
        self.calls = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.calls += 1
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeAws":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
