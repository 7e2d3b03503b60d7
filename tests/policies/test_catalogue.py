"""The key catalogue: every entry's examples through the pack, the loader's errors, the type matcher, secrets."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import pytest

from cmek_policies import CATALOGUE, catalogue
from tests.policies.examples import catalogue_examples
from tests.policies.harness import POLICIES, Res, analyzer, of

EXAMPLES = {id_: (policy, type_, good, bad) for id_, policy, type_, good, bad in catalogue_examples()}
_SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_noncompliant_example_is_caught_by_its_policy(example):
    policy, type_, _good, bad = EXAMPLES[example]
    assert bad, "each type needs at least one noncompliant example"
    for props in bad:
        found = of(analyzer("prod").analyze(Res(type_, props)), policy)
        assert found, props
        assert all(f.level == "mandatory" for f in found)


def test_every_catalogue_policy_is_in_the_pack_with_its_metadata():
    for spec in CATALOGUE.policies:
        policy = POLICIES[spec.name]
        assert policy.description == spec.description and policy.remediation_steps == spec.remediation
        assert policy.framework.reference == spec.control["reference"]
        assert policy.cmek_resource_types == {catalogue.canonical_type(t.token) for t in spec.types}


def test_the_existing_policy_names_are_kept():
    existing = {
        "gcp-storage-bucket-cmek", "gcp-artifactregistry-repository-cmek", "gcp-bigquery-dataset-cmek",
        "gcp-dataflow-job-cmek", "gcp-pubsub-topic-cmek", "gcp-vertex-resource-cmek",
        "gcp-workbench-instance-disk-cmek", "gcp-compute-disk-cmek", "gcp-compute-instance-boot-disk-cmek",
        "gcp-logging-bucket-cmek", "gcp-kms-cryptokey-rotation", "gcp-kms-keyring-regional",
        "gcp-kms-iam-no-public-access", "gcp-iam-workloadidentitypoolprovider-attestation",
        "gcp-kms-iam-federated-decrypt-only", "gcp-orgpolicy-policy-cmek-effective", "aws-s3-bucket-encryption-cmk",
        "aws-s3-bucket-encryption-bucket-key", "aws-ecr-repository-encryption-cmk", "aws-sagemaker-training-job-cmk",
        "aws-sagemaker-notebook-instance-cmk", "aws-sagemaker-domain-cmk", "aws-sagemaker-endpoint-configuration-cmk",
        "aws-ebs-volume-encryption-cmk", "aws-cloudwatch-log-group-cmk", "aws-kms-key-rotation",
        "azure-storage-account-cmk", "azure-containerregistry-registry-cmk",
        "azure-machinelearningservices-workspace-cmk", "azure-cosmosdb-account-cmk",
        "azure-keyvault-vault-purge-protection", "azure-compute-disk-cmk", "gcp-kms-cryptokey-grant-before-use",
        "multicloud-kms-key-location-match", "multicloud-kms-key-protected", "aws-s3-bucket-encryption-configured",
    }
    assert len(existing) == 36 and existing <= set(POLICIES)


# --- point 5: verdicts that were wrong ---------------------------------------------------------------------

def test_region_disk_names_its_key_kms_key_name():
    key = "projects/kms/locations/europe-west4/keyRings/r/cryptoKeys/k"
    props = {"region": "europe-west4", "diskEncryptionKey": {"kmsKeyName": key}}
    assert of(analyzer().analyze(Res("gcp:compute/regionDisk:RegionDisk", props)), "gcp-compute-disk-cmek") == []
    # kmsKeySelfLink is the zonal Disk's name for it, and no field of a RegionDisk.
    props = {"region": "europe-west4", "diskEncryptionKey": {"kmsKeySelfLink": key}}
    assert of(analyzer().analyze(Res("gcp:compute/regionDisk:RegionDisk", props)), "gcp-compute-disk-cmek")


@pytest.mark.parametrize("policy", ["aws-s3-bucket-encryption-cmk", "aws-s3-bucket-encryption-bucket-key"])
def test_bucket_v2_inline_list_form_with_a_customer_key_passes(policy):
    key = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    props = {"bucket": "b", "serverSideEncryptionConfigurations": [{"rules": [{
        "applyServerSideEncryptionByDefaults": [{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}],
        "bucketKeyEnabled": True}]}]}
    assert of(analyzer().analyze(Res("aws:s3/bucketV2:BucketV2", props)), policy) == []
    props["serverSideEncryptionConfigurations"][0]["rules"][0]["applyServerSideEncryptionByDefaults"][0][
        "kmsMasterKeyId"] = "alias/aws/s3"
    assert of(analyzer().analyze(Res("aws:s3/bucketV2:BucketV2", props)), "aws-s3-bucket-encryption-cmk")


# --- secrets ---------------------------------------------------------------------------------------------------

def test_a_secret_value_is_read_and_never_printed():
    value = "alias/aws/sagemaker-do-not-print"
    props = {"roleArn": "r", "instanceType": "ml.t3.medium", "kmsKeyId": {**_SECRET_SIG, "value": value}}
    request = Res("aws:sagemaker/notebookInstance:NotebookInstance", {})
    message = request.analyze_request()
    message.properties.update(props)
    response = analyzer().servicer.Analyze(message, None)
    found = [d for d in response.diagnostics if d.policyName == "aws-sagemaker-notebook-instance-cmk"]
    assert found and "alias/aws/*" in found[0].message
    assert all(value not in d.message for d in response.diagnostics)


def test_the_evaluator_opens_a_still_wrapped_secret():
    spec = CATALOGUE.types_for("aws:sagemaker/notebookInstance:NotebookInstance")[0][1]
    assert list(catalogue.problems(spec, {"kmsKeyId": {**_SECRET_SIG, "value": "alias/aws/sagemaker"}}))
    assert not list(catalogue.problems(spec, {"kmsKeyId": {**_SECRET_SIG, "value": "arn:aws:kms:r:1:key/k"}}))


# --- point 4: azure-native tokens ------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [
    "azure-native:cosmosdb:DatabaseAccount",
    "azure-native:cosmosdb/v20240515:DatabaseAccount",
    "azure-native:documentdb:DatabaseAccount",
    "azure-native:documentdb/v20230415:DatabaseAccount",
])
def test_azure_tokens_match_across_api_versions_and_v2_module_aliases(token):
    assert catalogue.canonical_type(token) == "azure-native:cosmosdb:DatabaseAccount"
    props = {"resourceGroupName": "rg", "databaseAccountOfferType": "Standard"}
    assert of(analyzer().analyze(Res(token, props)), "azure-cosmosdb-account-cmk")


def test_other_clouds_tokens_are_matched_exactly():
    assert catalogue.canonical_type("gcp:storage/bucket:Bucket") == "gcp:storage/bucket:Bucket"
    assert catalogue.canonical_type("aws:s3/bucketV2:BucketV2") == "aws:s3/bucketV2:BucketV2"


# --- the loader's errors -----------------------------------------------------------------------------------------

_GOOD_ENTRY = """
    policies:
      - name: gcp-example-thing-cmek
        description: Example things must be under a Cloud KMS key.
        severity: high
        remediation: Set kmsKeyName to a customer key.
        control: {framework: F, version: "1", reference: R, specification: S}
        docs: https://example.com
        types:
          - token: gcp:example/thing:Thing
            keys:
              - {path: kmsKeyName, managed: [absent]}
            examples:
              compliant: {kmsKeyName: k}
              noncompliant: [{}]
"""


def _load(tmp_path: Path, text: str, file: str = "gcp/example.yaml") -> catalogue.Catalogue:
    path = tmp_path / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return catalogue.load(tmp_path)


def test_a_good_entry_loads_and_judges(tmp_path):
    loaded = _load(tmp_path, _GOOD_ENTRY)
    spec = loaded.types_for("gcp:example/thing:Thing")[0][1]
    assert list(catalogue.problems(spec, {})) == ["kmsKeyName is not set: the data is under a Google-managed key."]
    assert list(catalogue.problems(spec, {"kmsKeyName": "k"})) == []


@pytest.mark.parametrize("change, named", [
    (("severity: high", "severity: urgent"), ["policies[0].severity", "'urgent'", "low", "critical"]),
    (("name: gcp-example-thing-cmek", "name: Example Thing"), ["policies[0].name", "'Example Thing'"]),
    (("managed: [absent]", "managed: [nothing]"), ["keys[0].managed[0]", "'nothing'", "absent"]),
    (("path: kmsKeyName", "path: kms Key"), ["keys[0].path", "'kms Key'", "segment"]),
    (("token: gcp:example/thing:Thing", "token: aws:s3/bucket:Bucket"), ["types[0].token", "gcp:<module>:<Name>"]),
    (("docs: https://example.com", "doc: https://example.com"), ["policies[0].doc ", "allowed keys"]),
    (("noncompliant: [{}]", "noncompliant: {}"), ["examples.noncompliant", "{}"]),
    (("control: {framework: F, version: \"1\", reference: R, specification: S}", "control: {framework: F}"),
     ["policies[0].control.", "required"]),
])
def test_a_bad_entry_is_refused_naming_file_key_value_and_what_is_allowed(tmp_path, change, named):
    with pytest.raises(catalogue.CatalogueError) as error:
        _load(tmp_path, _GOOD_ENTRY.replace(*change))
    assert str(tmp_path / "gcp" / "example.yaml") in str(error.value)
    for text in named:
        assert text in str(error.value)


def test_duplicate_names_and_tokens_are_refused(tmp_path):
    _load(tmp_path, _GOOD_ENTRY)
    with pytest.raises(catalogue.CatalogueError, match="not already used"):
        _load(tmp_path, _GOOD_ENTRY, "gcp/other.yaml")
    (tmp_path / "gcp" / "other.yaml").write_text(
        textwrap.dedent(_GOOD_ENTRY).replace("gcp-example-thing-cmek", "gcp-example-other-cmek"))
    with pytest.raises(catalogue.CatalogueError, match="not already in"):
        catalogue.load(tmp_path)


def test_invalid_yaml_is_refused_with_its_file(tmp_path):
    with pytest.raises(catalogue.CatalogueError, match="example.yaml: not valid YAML"):
        _load(tmp_path, "policies: [unclosed\n")


# --- path semantics --------------------------------------------------------------------------------------------

def _rule(path: str, *managed, **extra) -> catalogue.TypeSpec:
    rule = catalogue._key({"path": path, "managed": list(managed) or ["absent"], **extra}, catalogue._Where(Path("t")))
    return catalogue.TypeSpec(token="aws:x/y:Y", keys=(rule,), cloud="aws")


def test_list_paths_check_every_element_and_accept_a_single_object():
    spec = _rule("a[].k")
    assert list(catalogue.problems(spec, {"a": [{"k": "x"}, {}]})) == [
        "a[1].k is not set: the data is under an AWS-managed key."]
    assert list(catalogue.problems(spec, {"a": {"k": "x"}})) == []
    assert list(catalogue.problems(spec, {"a": []}))


def test_json_string_paths_are_parsed():
    spec = _rule("conf~json.Encryption.KeyArn", "absent", "aws-managed-alias")
    assert list(catalogue.problems(spec, {"conf": '{"Encryption": {"KeyArn": "arn:aws:kms:r:1:key/k"}}'})) == []
    assert list(catalogue.problems(spec, {"conf": '{"Encryption": {}}'}))
    assert list(catalogue.problems(spec, {"conf": "not json"}))


def test_alternatives_satisfy_a_key():
    spec = _rule("enc.kmsKeyName", **{"or": ["enc.kmsKeyNames[]"]})
    assert list(catalogue.problems(spec, {"enc": {"kmsKeyNames": ["k1", "k2"]}})) == []
    assert list(catalogue.problems(spec, {"enc": {}}))


def test_aws_managed_alias_in_every_form():
    spec = _rule("k", "absent", "aws-managed-alias")
    for managed in ("alias/aws/s3", "arn:aws:kms:eu-west-1:111122223333:alias/aws/s3",
                    "arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/aws/ebs"):
        assert list(catalogue.problems(spec, {"k": managed})), managed
    for customer in ("alias/ml-data", "arn:aws:kms:eu-west-1:111122223333:key/abc", "alias/awsome"):
        assert list(catalogue.problems(spec, {"k": customer})) == [], customer


def test_the_catalogue_round_trips_through_copy():
    # Examples are data: the pack must not change them while judging.
    before = copy.deepcopy([t.compliant for p in CATALOGUE.policies for t in p.types])
    for id_ in EXAMPLES:
        _policy, type_, good, _bad = EXAMPLES[id_]
        analyzer().analyze(Res(type_, good))
    assert before == [t.compliant for p in CATALOGUE.policies for t in p.types]


def _as_secrets(value):
    """Every scalar wrapped the way the engine sends a secret."""
    if isinstance(value, dict):
        return {k: _as_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_secrets(v) for v in value]
    return {**_SECRET_SIG, "value": value}


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _literals(spec) -> set[str]:
    """Words a message may contain: the catalogue's literals and its paths' names."""
    found = {segment for rule in spec.keys for segment in rule.path.replace("[]", "").split(".")}
    for rule in spec.keys:
        for matcher in rule.managed:
            found.update(getattr(matcher, "equals", ()) + getattr(matcher, "other_than", ()))
            if isinstance(matcher, tuple):
                found.update(matcher[1])
    return {literal.lower() for literal in found}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_secret_values_give_the_same_verdict_and_are_never_printed(example):
    policy, type_, _good, bad = EXAMPLES[example]
    spec = dict((p.name, t) for p, t in CATALOGUE.types_for(type_))[policy]
    for props in bad:
        # The SDK puts the policy's description before the message: judge the message (its last line).
        plain = sorted((f.policy, f.message.splitlines()[-1]) for f in analyzer("prod").analyze(Res(type_, props)))
        secret = sorted((f.policy, f.message.splitlines()[-1])
                        for f in analyzer("prod").analyze(Res(type_, _as_secrets(props))))
        assert secret == plain
        known = _literals(spec)
        printed = [v for v in _strings(props) if len(v) >= 6 and not any(v.lower() in k.lower() for k in known)
                   and any(v in message for _policy, message in secret)]
        assert printed == [], f"values printed in messages: {printed}"


# --- the parse cache -----------------------------------------------------------------------------------------

def test_the_parse_cache_serves_the_same_catalogue_and_never_a_stale_one(tmp_path, monkeypatch):
    monkeypatch.setenv(catalogue.CACHE_ENV, str(tmp_path / "cache"))
    first = _load(tmp_path / "cat", _GOOD_ENTRY)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    again = catalogue.load(tmp_path / "cat")
    assert again.policies == first.policies
    # An edited file has another hash: parsed again, not served from the cache.
    edited = _load(tmp_path / "cat", _GOOD_ENTRY.replace("severity: high", "severity: low"))
    assert edited.policies[0].severity == "low"


def test_an_unreadable_cache_entry_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv(catalogue.CACHE_ENV, str(tmp_path / "cache"))
    _load(tmp_path / "cat", _GOOD_ENTRY)
    for entry in (tmp_path / "cache").glob("*.json"):
        entry.write_text("{not json")
    assert catalogue.load(tmp_path / "cat").policies[0].name == "gcp-example-thing-cmek"


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv(catalogue.CACHE_ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    _load(tmp_path / "cat", _GOOD_ENTRY)
    assert not (tmp_path / "xdg").exists()
