"""The pack started the way the Pulumi CLI starts it, spoken to over gRPC."""

from __future__ import annotations

import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc

from tests.policies.harness import PACK_DIR, POLICIES, Res, configure_request, load_config


@pytest.fixture
def pack_port():
    # The CLI runs `python -u -m pulumi.policy <engine address> <pack dir>` with the pack dir as cwd.
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=PACK_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port_line = process.stdout.readline()
        if not port_line.strip().isdigit():
            process.kill()
            pytest.fail(f"pack did not print its port: {port_line!r} {process.stderr.read()}")
        yield int(port_line)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()


def test_pack_serves_analyzer_protocol(pack_port):
    with grpc.insecure_channel(f"127.0.0.1:{pack_port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=60)
        analyzer = analyzer_pb2_grpc.AnalyzerStub(channel)

        info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
        assert info.name == "cmek-ml"
        assert {p.name for p in info.policies} == set(POLICIES)
        assert all(p.remediation_steps and p.framework.reference for p in info.policies)

        bucket = Res("gcp:storage/bucket:Bucket", {"location": "US"}, name="raw-data")
        response = analyzer.Analyze(bucket.analyze_request())
        assert [(d.policyName, d.enforcementLevel, d.urn) for d in response.diagnostics] == [
            ("gcp-storage-bucket-cmek", pb.MANDATORY, "")]

        # dev.json makes key rotation advice: the same pack process now reports it as advisory.
        analyzer.Configure(configure_request(load_config("dev")))
        key = Res("gcp:kms/cryptoKey:CryptoKey", {"name": "k", "keyRing": "r"}, name="key")
        response = analyzer.Analyze(key.analyze_request())
        assert [(d.policyName, d.enforcementLevel) for d in response.diagnostics] == [
            ("gcp-kms-cryptokey-rotation", pb.ADVISORY)]
