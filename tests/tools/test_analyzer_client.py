"""The analyzer client: the pack is started, configured and asked as the Pulumi CLI does.

`echo_pack/` reports back what each request carried, so these tests see what reached the pack
over gRPC, not just what the client meant to send.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_gcp as gcp
import pytest
from pulumi.runtime import rpc

from tools import analyzer_client, analyzer_requests, preview
from tools.analyzer_terms import PolicyPackError

ECHO_PACK = Path(__file__).resolve().parent / "echo_pack"
STACK_URN = "urn:pulumi:dev::cmek-ml::pulumi:pulumi:Stack::cmek-ml-dev"
ZONE_URN = "urn:pulumi:dev::cmek-ml::cmek-ml:test:Zone::z"
RING_URN = "urn:pulumi:dev::cmek-ml::cmek-ml:test:Zone$gcp:kms/keyRing:KeyRing::z-ring"
KEY_URN = "urn:pulumi:dev::cmek-ml::cmek-ml:test:Zone$gcp:kms/cryptoKey:CryptoKey::z-key"
BUCKET_URN = "urn:pulumi:dev::cmek-ml::cmek-ml:test:Zone$gcp:storage/bucket:Bucket::z-bucket"
EXPLICIT_BUCKET_URN = "urn:pulumi:dev::cmek-ml::gcp:storage/bucket:Bucket::explicit"
CONFIG = {"cmek-ml:gcpRegion": "europe-west4", "gcp:project": "p-default"}


class Zone(pulumi.ComponentResource):
    """A key ring, a key (protected, renamed with aliases) and a bucket on that key."""

    def __init__(self, name: str):
        super().__init__("cmek-ml:test:Zone", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        ring = gcp.kms.KeyRing(f"{name}-ring", name="r", location="europe-west4", project="p",
                               opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=True)))
        key = gcp.kms.CryptoKey(
            f"{name}-key", name="k", key_ring=ring.id,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                protect=True,
                aliases=[pulumi.Alias(name="old-key"), pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])))
        gcp.storage.Bucket(f"{name}-bucket", name="b", location="EUROPE-WEST4",
                           encryption={"default_kms_key_name": key.id}, opts=child)
        self.register_outputs({})


def program() -> None:
    Zone("z")
    eu = gcp.Provider("eu", project="p-explicit", region="europe-west4")
    gcp.storage.Bucket("explicit", name="e", location="EU", labels={"token": pulumi.Output.secret("s3cr3t")},
                       opts=pulumi.ResourceOptions(provider=eu))


def echo_preview(policy_config_path=None) -> preview.PreviewResult:
    return preview.analyze(program, CONFIG, preview.stack_context("dev", CONFIG), ECHO_PACK, policy_config_path)


@pytest.fixture(scope="module")
def echoed(tmp_path_factory):
    config = tmp_path_factory.mktemp("policy") / "config.json"
    config.write_text(json.dumps({"all": "mandatory", "echo-resource": {"fromFile": 7}}))
    return echo_preview(config)


def _analyze_echo(result, urn):
    [violation] = [v for v in result.violations if v.policy_name == "echo-resource" and v.urn == urn]
    return json.loads(violation.message.split("\n", 1)[1])


def _stack_echo(result, urn):
    [violation] = [v for v in result.violations if v.policy_name == "echo-stack" and v.urn == urn
                   and v.message.endswith("}")]
    return json.loads(violation.message.split("\n", 1)[1])


# --- What reached the pack ---------------------------------------------------------------------


def test_analyze_carries_inputs_with_unknowns_still_unknown(echoed):
    bucket = _analyze_echo(echoed, BUCKET_URN)
    assert bucket["type"] == "gcp:storage/bucket:Bucket"
    assert bucket["name"] == "z-bucket"
    assert bucket["props"] == {"name": "b", "location": "EUROPE-WEST4",
                               "encryption": {"defaultKmsKeyName": rpc.UNKNOWN}}


def test_analyze_carries_protect_parent_and_alias_urns(echoed):
    key = _analyze_echo(echoed, KEY_URN)
    assert key["protect"] is True
    assert key["parent"] == ZONE_URN
    assert key["aliases"] == [
        "urn:pulumi:dev::cmek-ml::cmek-ml:test:Zone$gcp:kms/cryptoKey:CryptoKey::old-key",
        "urn:pulumi:dev::cmek-ml::gcp:kms/cryptoKey:CryptoKey::z-key",
    ]
    assert _analyze_echo(echoed, BUCKET_URN)["protect"] is False


def test_analyze_carries_the_default_or_explicit_provider(echoed):
    default = _analyze_echo(echoed, BUCKET_URN)["provider"]
    assert default["type"] == "pulumi:providers:gcp"
    assert default["name"].startswith("default_")
    assert default["props"]["project"] == "p-default"
    explicit = _analyze_echo(echoed, EXPLICIT_BUCKET_URN)["provider"]
    assert explicit == {"type": "pulumi:providers:gcp", "name": "eu",
                        "urn": "urn:pulumi:dev::cmek-ml::pulumi:providers:gcp::eu",
                        "props": {"project": "p-explicit", "region": "europe-west4"}}


def test_analyze_stack_carries_parent_dependencies_and_property_dependencies(echoed):
    bucket = _stack_echo(echoed, BUCKET_URN)
    assert bucket["parent"] == ZONE_URN
    assert bucket["dependencies"] == [KEY_URN]
    assert bucket["propertyDependencies"] == {"encryption": [KEY_URN]}
    key = _stack_echo(echoed, KEY_URN)
    assert key["protect"] is True
    assert key["propertyDependencies"] == {"keyRing": [RING_URN]}
    # The engine's view: the root stack and the default provider are resources too.
    assert _stack_echo(echoed, STACK_URN)["type"] == "pulumi:pulumi:Stack"
    assert _stack_echo(echoed, ZONE_URN)["parent"] == STACK_URN


def test_stack_finding_without_urn_belongs_to_the_root_stack(echoed):
    [finding] = [v for v in echoed.violations if v.message.endswith("stack-wide finding without a URN")]
    assert finding.urn == STACK_URN


def test_pack_sees_the_stack_environment_like_under_the_cli(echoed):
    bucket = _analyze_echo(echoed, BUCKET_URN)
    assert (bucket["stack"], bucket["project"], bucket["dryRun"]) == ("dev", "cmek-ml", True)
    assert bucket["gcpRegion"] == "europe-west4"  # PULUMI_CONFIG reaches pulumi.Config in the pack
    assert bucket["stackTags"]["pulumi:project"] == "cmek-ml"  # ConfigureStack was sent


def test_secrets_reach_the_pack_but_never_the_output(echoed):
    assert _analyze_echo(echoed, EXPLICIT_BUCKET_URN)["props"]["labels"]["token"] == "s3cr3t"
    resources = json.loads(preview.render_json(echoed))["resources"]
    assert "s3cr3t" not in json.dumps(resources) + "\n".join(preview.render_tree(echoed.run.resources))
    [explicit] = [r for r in resources if r["urn"] == EXPLICIT_BUCKET_URN]
    assert explicit["inputs"]["labels"] == {"token": preview.SECRET_DISPLAY}


def test_configure_sends_schema_defaults_file_properties_and_all(echoed):
    assert _analyze_echo(echoed, BUCKET_URN)["config"] == {"fromSchema": "schema-default", "fromFile": 7}
    assert {v.enforcement_level for v in echoed.violations} == {"mandatory"}
    assert echoed.enforcement == {"echo-resource": "mandatory", "echo-stack": "mandatory"}
    assert echoed.exit_code == preview.EXIT_MANDATORY_VIOLATION


def test_policies_keep_their_own_level_without_a_config():
    result = echo_preview()
    assert {v.enforcement_level for v in result.violations} == {"advisory"}
    assert result.exit_code == preview.EXIT_CLEAN
    # Severity comes from the diagnostic, else from the policy's metadata.
    assert {v.severity for v in result.violations if v.policy_name == "echo-stack"} == {"critical"}


# --- The process ----------------------------------------------------------------------------------


def test_pack_process_is_killed_after_use():
    context = preview.stack_context("dev", CONFIG)
    with analyzer_client.PolicyAnalyzer(ECHO_PACK, context) as pack:
        assert pack.info().name == "echo"
        assert pack.running
    assert not pack.running


def test_pack_process_is_killed_when_the_program_fails(monkeypatch):
    started = []
    original_launch = analyzer_client.PolicyAnalyzer.launch

    def recording_launch(self):
        started.append(self)
        return original_launch(self)

    monkeypatch.setattr(analyzer_client.PolicyAnalyzer, "launch", recording_launch)

    def failing_program():
        Zone("z")
        raise RuntimeError("program failed")

    with pytest.raises(RuntimeError, match="program failed"):
        preview.analyze(failing_program, CONFIG, preview.stack_context("dev", CONFIG), ECHO_PACK)
    [pack] = started
    assert not pack.running


def test_a_pack_that_cannot_start_is_reported_with_its_output(tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text("raise ImportError('cmek_policies is missing')\n")
    context = preview.stack_context("dev", CONFIG)
    with pytest.raises(PolicyPackError, match="did not print its port(.|\n)*cmek_policies is missing"):
        with analyzer_client.PolicyAnalyzer(tmp_path, context):
            pass


def test_a_folder_without_pulumipolicy_yaml_is_not_a_pack(tmp_path):
    with pytest.raises(PolicyPackError, match="no PulumiPolicy.yaml"):
        analyzer_client.PolicyAnalyzer(tmp_path, preview.stack_context("dev", CONFIG))


# --- Requests built from registrations ------------------------------------------------------------


def test_property_dependencies_without_urns_are_left_out_as_the_cli_does(run_component):
    run = run_component(lambda: Zone("z"), preview=True)
    bucket = run.one("gcp:storage/bucket:Bucket", "z-bucket")
    resource = analyzer_requests.analyzer_resource(bucket)
    assert set(resource.propertyDependencies) == {"encryption"}
    assert list(resource.propertyDependencies["encryption"].urns) == [KEY_URN]
    assert resource.parent == resource.options.parent == ZONE_URN
    assert list(resource.dependencies) == [KEY_URN]
    request = analyzer_requests.analyze_request(resource)
    assert (request.urn, request.type, request.name) == (BUCKET_URN, "gcp:storage/bucket:Bucket", "z-bucket")
    assert request.properties == resource.properties


def test_alias_urns_from_urns_and_specs_of_any_stack(run_component):
    run = run_component(lambda: Zone("z"), preview=True)
    key = run.one("gcp:kms/cryptoKey:CryptoKey", "z-key")
    old_urn = "urn:pulumi:dev::cmek-ml::gcp:kms/cryptoKey:CryptoKey::legacy"
    key.aliases = [old_urn, 'spec {\n  name: "moved"\n  stack: "staging"\n  project: "old-ml"\n}\n']
    assert analyzer_requests.alias_urns(key, run.monitor.make_urn) == [
        old_urn,
        "urn:pulumi:staging::old-ml::cmek-ml:test:Zone$gcp:kms/cryptoKey:CryptoKey::moved",
    ]
