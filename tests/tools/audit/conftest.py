"""Fixtures for the live audit: a moto server on 127.0.0.1, the AWS environment pointing at it, and a runner."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import urllib.request
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tools.audit import cli

PACK = Path(__file__).resolve().parents[3] / "policies" / "cmek"


class AuditRun:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.out)

    def findings(self, field: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.json["findings"] if field is None or f["field"] == field]

    def by_resource(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for f in self.json["findings"]:
            found.setdefault(f["resource"].rsplit("/", 1)[-1], set()).add(f["field"])
        return found


class _ThisThread(io.StringIO):
    """Captures what the calling thread writes; other threads (moto's threaded server prints "Unable to find
    appropriate backend" for services it lacks) write to the real stream."""

    def __init__(self, real: Any) -> None:
        super().__init__()
        self.real, self.thread = real, threading.get_ident()

    def write(self, text: str) -> int:
        return super().write(text) if threading.get_ident() == self.thread else self.real.write(text)


def run_audit(*argv: str) -> AuditRun:
    out, err = _ThisThread(sys.stdout), _ThisThread(sys.stderr)
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--policy-pack", str(PACK), *argv])
    return AuditRun(code, out.getvalue(), err.getvalue())


@pytest.fixture
def audit() -> Callable[..., AuditRun]:
    return run_audit


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The standard AWS environment, as a user would set it, pointing at a fresh moto server state."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).read()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    # moto answers HTTP 500 for operations it lacks; botocore's standard mode would retry each with backoff
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return moto_url
