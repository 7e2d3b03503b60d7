"""GCP resource policies through the analyzer protocol: each way to fail is caught (compliant cases: test_unknowns)."""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path

import pulumi_gcp
import pytest

from tests.policies.examples import COMPLIANT, GCP_KEY
from tests.policies.harness import messages
from cmek_policies import gcp


def _example(policy: str, **changes):
    type_, props = COMPLIANT[policy]
    props = copy.deepcopy(props)
    props.update(changes)
    return type_, props


def _without(policy: str, *path: str):
    type_, props = copy.deepcopy(COMPLIANT[policy])
    node = props
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return type_, props


@pytest.mark.parametrize("policy, path", [
    ("gcp-storage-bucket-cmek", ("encryption",)),
    ("gcp-storage-bucket-cmek", ("encryption", "defaultKmsKeyName")),
    ("gcp-artifactregistry-repository-cmek", ("kmsKeyName",)),
    ("gcp-bigquery-dataset-cmek", ("defaultEncryptionConfiguration",)),
    ("gcp-bigquery-dataset-cmek", ("defaultEncryptionConfiguration", "kmsKeyName")),
    ("gcp-dataflow-job-cmek", ("kmsKeyName",)),
    ("gcp-pubsub-topic-cmek", ("kmsKeyName",)),
    ("gcp-vertex-resource-cmek", ("encryptionSpec",)),
    ("gcp-vertex-resource-cmek", ("encryptionSpec", "kmsKeyName")),
    ("gcp-compute-disk-cmek", ("diskEncryptionKey",)),
    ("gcp-compute-instance-boot-disk-cmek", ("bootDisk", "kmsKeySelfLink")),
    ("gcp-logging-bucket-cmek", ("cmekSettings",)),
])
def test_missing_key_is_caught(policy, path):
    found = messages(policy, *_without(policy, *path))
    assert len(found) == 1 and "Google-managed key" in found[0]
    assert ".".join(path) in found[0] or path[0] in found[0]


def test_empty_key_string_counts_as_missing():
    type_, props = _example("gcp-pubsub-topic-cmek", kmsKeyName="")
    assert messages("gcp-pubsub-topic-cmek", type_, props) == [
        "kmsKeyName is not set: the data is encrypted with a Google-managed key."]


def test_flex_template_job_is_checked_like_a_job():
    assert messages("gcp-dataflow-job-cmek", "gcp:dataflow/flexTemplateJob:FlexTemplateJob",
                    {"containerSpecGcsPath": "gs://t", "region": "europe-west4"})


@pytest.mark.parametrize("streaming", [
    {"enableStreamingEngine": True},
    {"additionalExperiments": ["use_runner_v2", "enable_streaming_engine"]},
])
def test_streaming_engine_blocked_when_full_cmek_required(streaming):
    type_, props = _example("gcp-dataflow-job-cmek", **streaming)
    prod = messages("gcp-dataflow-job-cmek", type_, props, env="prod")
    assert len(prod) == 1 and "Streaming Engine" in prod[0]
    # dev.json sets requireFullCmek=false: the key alone suffices there.
    assert messages("gcp-dataflow-job-cmek", type_, props, env="dev") == []


def test_streaming_engine_blocked_by_default_without_config():
    from tests.policies.harness import Analyzer, Res, of
    type_, props = _example("gcp-dataflow-job-cmek", enableStreamingEngine=True)
    assert len(of(Analyzer().analyze(Res(type_, props)), "gcp-dataflow-job-cmek")) == 1


@pytest.mark.parametrize("vertex_type", gcp.VERTEX_ENCRYPTION_SPEC_TYPES)
def test_every_vertex_type_without_spec_fails(vertex_type):
    assert messages("gcp-vertex-resource-cmek", vertex_type, {"region": "europe-west4"})


def test_vertex_type_list_matches_every_pulumi_gcp_resource_taking_encryption_spec():
    vertex_dir = Path(inspect.getfile(pulumi_gcp.vertex)).parent
    taking_spec = set()
    for source in vertex_dir.glob("ai_*.py"):
        text = source.read_text()
        if '__props__.__dict__["encryption_spec"] = encryption_spec' in text:
            taking_spec.add(re.search(r'@pulumi\.type_token\("([^"]+)"\)', text).group(1))
    assert taking_spec == set(gcp.VERTEX_ENCRYPTION_SPEC_TYPES)


@pytest.mark.parametrize("disk, change, expected", [
    ("bootDisk", {"diskEncryption": "GMEK"}, "gceSetup.bootDisk.diskEncryption is GMEK, not CMEK."),
    ("dataDisks", {"diskEncryption": None}, "gceSetup.dataDisks.diskEncryption is not set (GMEK), not CMEK."),
    ("dataDisks", {"kmsKey": None}, "gceSetup.dataDisks.kmsKey is not set."),
])
def test_workbench_disks_not_on_cmek(disk, change, expected):
    type_, props = copy.deepcopy(COMPLIANT["gcp-workbench-instance-disk-cmek"])
    props["gceSetup"][disk].update(change)
    props["gceSetup"][disk] = {k: v for k, v in props["gceSetup"][disk].items() if v is not None}
    assert messages("gcp-workbench-instance-disk-cmek", type_, props) == [expected]


def test_workbench_without_gce_setup_reports_both_disks():
    assert len(messages("gcp-workbench-instance-disk-cmek", "gcp:workbench/instance:Instance",
                        {"location": "europe-west4-a"})) == 2


def test_region_disk_is_checked():
    assert messages("gcp-compute-disk-cmek", "gcp:compute/regionDisk:RegionDisk", {"region": "europe-west4"})


def test_instance_booting_an_existing_disk_is_left_to_the_disk_policy():
    props = {"zone": "europe-west4-a", "bootDisk": {"source": "projects/p/zones/z/disks/boot"}}
    assert messages("gcp-compute-instance-boot-disk-cmek", "gcp:compute/instance:Instance", props) == []


@pytest.mark.parametrize("period, expected", [
    (None, "rotationPeriod is not set: the key never rotates (maximum 90 days)."),
    ("31536000s", "rotationPeriod 31536000s is longer than 90 days (7776000s)."),
    ("3600s", "rotationPeriod 3600s is shorter than one day (86400s), which Cloud KMS rejects."),
    ("90d", "rotationPeriod '90d' is not a duration in seconds such as '7776000s'."),
])
def test_symmetric_key_rotation(period, expected):
    type_, props = _without("gcp-kms-cryptokey-rotation", "rotationPeriod")
    if period:
        props["rotationPeriod"] = period
    assert messages("gcp-kms-cryptokey-rotation", type_, props) == [expected]


def test_purpose_defaults_to_symmetric():
    type_, props = _without("gcp-kms-cryptokey-rotation", "purpose")
    del props["rotationPeriod"]
    assert messages("gcp-kms-cryptokey-rotation", type_, props)


@pytest.mark.parametrize("purpose", ["ASYMMETRIC_SIGN", "ASYMMETRIC_DECRYPT", "MAC", "RAW_ENCRYPT_DECRYPT"])
def test_keys_that_cannot_auto_rotate_are_not_checked(purpose):
    type_, props = _without("gcp-kms-cryptokey-rotation", "rotationPeriod")
    props["purpose"] = purpose
    assert messages("gcp-kms-cryptokey-rotation", type_, props) == []


def test_rotation_maximum_is_configurable():
    from tests.policies.harness import Analyzer, Res, of
    type_, props = _example("gcp-kms-cryptokey-rotation", rotationPeriod="2592000s")  # 30 days
    strict = Analyzer({"all": "mandatory", "gcp-kms-cryptokey-rotation": {"maxRotationDays": 7}})
    assert [f.message.splitlines()[-1] for f in of(strict.analyze(Res(type_, props)), "gcp-kms-cryptokey-rotation")] == [
        "rotationPeriod 2592000s is longer than 7 days (604800s)."]


@pytest.mark.parametrize("location", ["global", "GLOBAL"])
def test_global_key_ring_fails(location):
    assert messages("gcp-kms-keyring-regional", "gcp:kms/keyRing:KeyRing", {"name": "r", "location": location})


@pytest.mark.parametrize("type_, props", [
    ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", {"cryptoKeyId": GCP_KEY, "role": "r", "member": "allUsers"}),
    ("gcp:kms/keyRingIAMMember:KeyRingIAMMember", {"keyRingId": "k", "role": "r", "member": "allAuthenticatedUsers"}),
    ("gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding", {"cryptoKeyId": GCP_KEY, "role": "r",
                                                         "members": ["group:ml@acme.com", "allUsers"]}),
    ("gcp:kms/keyRingIAMBinding:KeyRingIAMBinding", {"keyRingId": "k", "role": "r", "members": ["allUsers"]}),
    ("gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy", {"cryptoKeyId": GCP_KEY, "policyData":
        '{"bindings": [{"role": "roles/cloudkms.cryptoKeyDecrypter", "members": ["allAuthenticatedUsers"]}]}'}),
    ("gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy", {"keyRingId": "k", "policyData":
        '{"bindings": [{"role": "roles/cloudkms.viewer", "members": ["allUsers"]}]}'}),
])
def test_public_access_to_keys_fails(type_, props):
    found = messages("gcp-kms-iam-no-public-access", type_, props)
    assert len(found) == 1 and "anyone" in found[0]


def test_private_iam_policy_passes():
    props = {"keyRingId": "k", "policyData": '{"bindings": [{"role": "r", "members": ["group:ml@acme.com"]}]}'}
    assert messages("gcp-kms-iam-no-public-access", "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy", props) == []


def test_other_resource_types_are_ignored():
    assert messages("gcp-storage-bucket-cmek", "gcp:storage/bucketObject:BucketObject", {"bucket": "b"}) == []
