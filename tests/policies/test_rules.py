"""What every policy shares: exemptions, option defaults, type matching, unknown-safe reading, decoding once."""

from __future__ import annotations

import gc
import threading

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import EnforcementLevel, StackValidationPolicy
from pulumi_policy import policy as sdk
from pulumi_policy.proxy import unknown_checking_proxy

from tests.policies.harness import UNKNOWN, Analyzer, Res, analyzer, of
from cmek_policies import decode_once, props, rules

BUCKET = "gcp:storage/bucket:Bucket"
POLICY = "gcp-storage-bucket-cmek"


def _exempting(*patterns: str) -> Analyzer:
    return Analyzer({"all": "mandatory", POLICY: {"excludeFor": list(patterns)}})


def test_exempted_names_are_not_checked_and_say_so():
    response = _exempting("scratch-.*", "tmp").analyze_response(Res(BUCKET, {}, name="scratch-42"))
    assert list(response.diagnostics) == []
    assert [(n.policy_name, n.reason) for n in response.not_applicable] == [(POLICY, "scratch-42 is exempt by excludeFor")]


@pytest.mark.parametrize("name", ["data", "my-scratch-42", "tmp2"])
def test_patterns_match_the_whole_name_only(name):
    assert len(of(_exempting("scratch-.*", "tmp").analyze(Res(BUCKET, {}, name=name)), POLICY)) == 1


def test_exemption_is_per_policy():
    exempting = _exempting(".*")
    found = exempting.analyze(Res("gcp:artifactregistry/repository:Repository", {}, name="images"))
    assert [f.policy for f in found] == ["gcp-artifactregistry-repository-cmek"]


def test_bad_pattern_is_reported_and_exempts_nothing():
    found = [f.message.splitlines()[-1] for f in of(_exempting("([").analyze(Res(BUCKET, {}, name="data")), POLICY)]
    assert found[0].startswith("Option excludeFor: pattern '([' is not a regular expression")
    assert "defaultKmsKeyName is not set" in found[1]


def test_option_defaults_apply_without_cli_filled_config():
    # No Configure at all: the pack's own defaults (requireFullCmek=true) hold.
    job = Res("gcp:dataflow/job:Job", {"kmsKeyName": "k", "enableStreamingEngine": True})
    assert len(of(Analyzer().analyze(job), "gcp-dataflow-job-cmek")) == 1


@pytest.mark.parametrize("token, canonical", [
    ("azure-native:storage/v20230101:StorageAccount", "azure-native:storage:StorageAccount"),
    ("azure-native:storage:StorageAccount", "azure-native:storage:StorageAccount"),
    ("gcp:storage/bucket:Bucket", "gcp:storage/bucket:Bucket"),
])
def test_canonical_type(token, canonical):
    assert rules.canonical_type(token) == canonical


def test_lookup_reads_unknowns_without_raising():
    proxied = unknown_checking_proxy({"a": {"b": UNKNOWN, "c": "x", "e": ""}, "l": [UNKNOWN, {"k": "v"}], "u": UNKNOWN})
    with pytest.raises(Exception):
        "b" in proxied["a"]  # the SDK's proxy raises even on `in`; lookup must not
    assert props.lookup(proxied, "a", "b") is props.UNKNOWN
    assert props.lookup(proxied, "u", "deeper") is props.UNKNOWN
    assert props.lookup(proxied, "a", "c") == "x"
    assert props.lookup(proxied, "a", "e") is None and props.lookup(proxied, "missing", "x") is None
    assert props.lookup(proxied, "l", 1, "k") == "v" and props.lookup(proxied, "l", 5) is None
    assert list(props.elements(props.lookup(proxied, "l")))[0] is props.UNKNOWN
    assert props.present(props.UNKNOWN) and not props.present(None) and not props.known(props.UNKNOWN)


def test_unknown_has_no_truth_value():
    with pytest.raises(TypeError):
        bool(props.UNKNOWN)


def test_each_request_is_decoded_once():
    assert decode_once.install()
    configured = analyzer()  # Configure decodes the policies' options; only Analyze is counted
    calls = []
    wrapped = sdk.json_format._json_format

    class Counting:
        def MessageToDict(self, message, *args, **kwargs):  # noqa: N802
            calls.append(message)
            return wrapped.MessageToDict(message, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(wrapped, name)

    sdk.json_format._json_format = Counting()
    try:
        findings = configured.analyze(Res(BUCKET, {"location": "EU", "labels": {"n": "1"}}, name="once"))
    finally:
        sdk.json_format._json_format = wrapped
    assert len(calls) == 1 and [f.policy for f in findings] == [POLICY]


def test_decoding_once_never_serves_another_requests_properties():
    with_key = Res(BUCKET, {"encryption": {"defaultKmsKeyName": "k"}})
    without = Res(BUCKET, {"encryption": {}})
    results = {}

    def analyze(i):
        resource = with_key if i % 2 else without
        results[i] = [len(analyzer().analyze(resource)) for _ in range(50)]

    threads = [threading.Thread(target=analyze, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: [0 if i % 2 else 1] * 50 for i in range(4)}


def test_sdk_names_are_wrapped_only_for_the_pinned_version():
    assert decode_once.SUPPORTED_VERSION == "1.21.0"
    assert isinstance(sdk.json_format, decode_once._JsonFormat)
    assert sdk.json_format.Parse is json_format.Parse  # everything else passes through


def test_a_request_runs_with_the_cyclic_collector_paused_and_restores_it():
    assert decode_once.install()
    seen = []
    probe = StackValidationPolicy(
        name="probe", description="records the collector's state",
        validate=lambda args, report: seen.append(gc.isenabled()), enforcement_level=EnforcementLevel.MANDATORY)
    servicer = sdk._PolicyAnalyzerServicer("probe-pack", "1.0.0", [probe], EnforcementLevel.MANDATORY)
    assert gc.isenabled()
    servicer.AnalyzeStack(pb.AnalyzeStackRequest(resources=[]), None)
    assert seen == [False] and gc.isenabled()
