"""GCP resource policies through the analyzer protocol: each way to fail is caught (compliant cases: test_unknowns)."""

from __future__ import annotations

import copy
import inspect
import json
import re
from pathlib import Path

import pulumi_gcp
import pytest

from tests.policies.examples import ATTESTATION_CLAUSES, COMPLIANT, GCP_KEY, IMAGE_DIGEST, IMAGE_PRINCIPAL_SET
from tests.policies.harness import UNKNOWN, messages
from cmek_policies import CATALOGUE

VERTEX_TYPES = [t.token for p in CATALOGUE.policies if p.name == "gcp-vertex-resource-cmek" for t in p.types]


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
        "kmsKeyName is not set: the data is under a Google-managed key."]


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


@pytest.mark.parametrize("vertex_type", VERTEX_TYPES)
def test_every_vertex_type_without_spec_fails(vertex_type):
    assert messages("gcp-vertex-resource-cmek", vertex_type, {"region": "europe-west4"})


def test_catalogue_covers_every_pulumi_gcp_vertex_resource_taking_encryption_spec():
    vertex_dir = Path(inspect.getfile(pulumi_gcp.vertex)).parent
    taking_spec = set()
    for source in vertex_dir.glob("ai_*.py"):
        text = source.read_text()
        if '__props__.__dict__["encryption_spec"] = encryption_spec' in text:
            taking_spec.add(re.search(r'@pulumi\.type_token\("([^"]+)"\)', text).group(1))
    assert taking_spec <= set(VERTEX_TYPES) and len(VERTEX_TYPES) >= 12


@pytest.mark.parametrize("disk, change, expected", [
    ("bootDisk", {"diskEncryption": "GMEK"},
     "gceSetup.bootDisk.diskEncryption is not one of CMEK: the data is under a Google-managed key."),
    ("dataDisks", {"diskEncryption": None},
     "gceSetup.dataDisks.diskEncryption is not one of CMEK: the data is under a Google-managed key."),
    ("dataDisks", {"kmsKey": None}, "gceSetup.dataDisks.kmsKey is not set: the data is under a Google-managed key."),
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


# --- Confidential Space: the attestation provider's condition ------------------------------------------------

PROVIDER = "gcp-iam-workloadidentitypoolprovider-attestation"
SWNAME, STABLE, DEBUG_OFF, DIGEST, REFERENCE, ACCOUNT = ATTESTATION_CLAUSES
MISSING = {
    "swname": "`assertion.swname == 'CONFIDENTIAL_SPACE'`",
    "stable": "`'STABLE' in assertion.submods.confidential_space.support_attributes`",
    "digest": "`assertion.submods.container.image_digest == 'sha256:<64 hex digits>'`",
}


def _provider(condition=None, issuer="https://confidentialcomputing.googleapis.com/"):
    type_, props = _without(PROVIDER, "attributeCondition")
    props["oidc"]["issuerUri"] = issuer
    if condition is not None:
        props["attributeCondition"] = condition
    return messages(PROVIDER, type_, props)


def _missing(found):
    """Which required clauses the messages say are missing."""
    return {kind for kind, clause in MISSING.items() for m in found if clause in m}


@pytest.mark.parametrize("condition", [
    " && ".join(reversed(ATTESTATION_CLAUSES)),
    f"({SWNAME} && {STABLE}) && ({DIGEST} && {REFERENCE})",
    # operands either way round, double quotes, a fixed list of digests
    f"'CONFIDENTIAL_SPACE' == assertion.swname && {STABLE} && "
    f"'{IMAGE_DIGEST}' == assertion.submods.container.image_digest",
    f'assertion.swname == "CONFIDENTIAL_SPACE" && {STABLE} && {DIGEST}',
    f"{SWNAME} && {STABLE} && assertion.submods.container.image_digest in ['{IMAGE_DIGEST}', 'sha256:{'0' * 64}']",
    # an extra alternative inside one conjunct does not weaken the required ones
    f"{SWNAME} && {STABLE} && {DIGEST} && "
    f"({ACCOUNT} || 'b@p.iam.gserviceaccount.com' in assertion.google_service_accounts)",
])
def test_attestation_condition_variants_that_pin_the_image_pass(condition):
    assert _provider(condition) == []


@pytest.mark.parametrize("dropped", ["swname", "stable", "digest"])
def test_attestation_condition_missing_a_clause_fails(dropped):
    kinds = ["swname", "stable", None, "digest", None, None]  # of ATTESTATION_CLAUSES, in order
    kept = [clause for clause, kind in zip(ATTESTATION_CLAUSES, kinds) if kind != dropped]
    found = _provider(" && ".join(kept))
    assert len(found) == 1 and _missing(found) == {dropped}


@pytest.mark.parametrize("condition, missing", [
    # the whole conjunction under ||: any token passes
    (f"({' && '.join(ATTESTATION_CLAUSES)}) || true", {"swname", "stable", "digest"}),
    # a required clause only in one alternative
    (f"{SWNAME} && {STABLE} && ({DIGEST} || {ACCOUNT})", {"digest"}),
    (f"{SWNAME} && {DIGEST} && ({STABLE} || assertion.dbgstat == 'enabled')", {"stable"}),
    # && binds tighter than ||: `a && b || c` is `(a && b) || c`
    (f"{SWNAME} && {STABLE} && {DIGEST} || {ACCOUNT}", {"swname", "stable", "digest"}),
    # negated, or hidden in a conditional
    (f"{SWNAME} && !({STABLE}) && {DIGEST}", {"stable"}),
    (f"({SWNAME} ? {STABLE} : true) && {SWNAME} && {DIGEST}", {"stable"}),
])
def test_attestation_clause_under_or_not_or_ternary_does_not_count(condition, missing):
    assert _missing(_provider(condition)) == missing


@pytest.mark.parametrize("clause, kind", [
    ("assertion.swname == 'GCE'", "swname"),
    ("assertion.swname != 'CONFIDENTIAL_SPACE'", "swname"),
    ("'EXPERIMENTAL' in assertion.submods.confidential_space.support_attributes", "stable"),  # debug-capable image
    ("'STABLE' in assertion.submods.confidential_space.other_attributes", "stable"),
    ("assertion.submods.container.image_digest == 'sha256:6bfbb929'", "digest"),  # not a full digest
    ("assertion.submods.container.image_digest.startsWith('sha256:')", "digest"),  # any image
    ("assertion.submods.container.image_digest != ''", "digest"),
    ("assertion.submods.container.image_reference == 'europe-west4-docker.pkg.dev/p/r/i:latest'", "digest"),
    (f"assertion.submods.container.image_digest in ['{IMAGE_DIGEST}', 'latest']", "digest"),
])
def test_attestation_clause_that_is_weaker_than_required_fails(clause, kind):
    index = {"swname": 0, "stable": 1, "digest": 3}[kind]
    clauses = list(ATTESTATION_CLAUSES)
    clauses[index] = clause
    assert _missing(_provider(" && ".join(clauses))) == {kind}


def test_attestation_provider_without_condition_fails():
    found = _provider()
    assert len(found) == 1 and "attributeCondition is not set" in found[0]


@pytest.mark.parametrize("condition", [f"{SWNAME} && {STABLE} &&", f"{SWNAME} && assertion.swname == 'x", "&& true"])
def test_attestation_condition_that_is_not_cel_fails(condition):
    found = _provider(condition)
    assert len(found) == 1 and "not valid CEL" in found[0]


def test_attestation_issuer_without_trailing_slash_is_checked():
    assert _provider(issuer="https://confidentialcomputing.googleapis.com")


@pytest.mark.parametrize("issuer", ["https://token.actions.githubusercontent.com", "https://accounts.google.com"])
def test_providers_for_other_issuers_are_not_applicable(issuer):
    assert _provider(issuer=issuer) == []
    assert messages(PROVIDER, COMPLIANT[PROVIDER][0], {"workloadIdentityPoolId": "p", "aws": {"accountId": "1"}}) == []


# --- Confidential Space: decrypt-only grants to federated identities -------------------------------------------

FEDERATED = "gcp-kms-iam-federated-decrypt-only"
DECRYPTER = "roles/cloudkms.cryptoKeyDecrypter"
WORKFORCE_USER = "principal://iam.googleapis.com/locations/global/workforcePools/partners/subject/alice"


@pytest.mark.parametrize("type_, props, role", [
    ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", {
        "cryptoKeyId": GCP_KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "member": IMAGE_PRINCIPAL_SET},
     "roles/cloudkms.cryptoKeyEncrypterDecrypter"),
    ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", {
        "cryptoKeyId": GCP_KEY, "role": "roles/cloudkms.cryptoKeyEncrypter", "member": IMAGE_PRINCIPAL_SET},
     "roles/cloudkms.cryptoKeyEncrypter"),
    ("gcp:kms/keyRingIAMMember:KeyRingIAMMember", {
        "keyRingId": "k", "role": "roles/cloudkms.admin", "member": WORKFORCE_USER}, "roles/cloudkms.admin"),
    ("gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding", {
        "cryptoKeyId": GCP_KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "members": ["serviceAccount:sa@p.iam.gserviceaccount.com", IMAGE_PRINCIPAL_SET]},
     "roles/cloudkms.cryptoKeyEncrypterDecrypter"),
    ("gcp:kms/keyRingIAMBinding:KeyRingIAMBinding", {
        "keyRingId": "k", "role": "roles/owner", "members": [IMAGE_PRINCIPAL_SET]}, "roles/owner"),
    ("gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy", {"cryptoKeyId": GCP_KEY, "policyData": json.dumps({"bindings": [
        {"role": DECRYPTER, "members": [IMAGE_PRINCIPAL_SET]},
        {"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [
            "serviceAccount:service-2@gs-project-accounts.iam.gserviceaccount.com", IMAGE_PRINCIPAL_SET]}]})},
     "roles/cloudkms.cryptoKeyEncrypterDecrypter"),
    ("gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy", {"keyRingId": "k", "policyData": json.dumps({"bindings": [
        {"role": "roles/cloudkms.cryptoKeyDecrypterViaDelegation", "members": [WORKFORCE_USER]}]})},
     "roles/cloudkms.cryptoKeyDecrypterViaDelegation"),
])
def test_federated_identity_with_more_than_decrypt_fails(type_, props, role):
    found = messages(FEDERATED, type_, props)
    assert len(found) == 1 and found[0].startswith(f"{role} is granted to the federated identity")


@pytest.mark.parametrize("type_, props", [
    ("gcp:kms/keyRingIAMMember:KeyRingIAMMember", {"keyRingId": "k", "role": DECRYPTER, "member": WORKFORCE_USER}),
    ("gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding", {
        "cryptoKeyId": GCP_KEY, "role": DECRYPTER, "members": [IMAGE_PRINCIPAL_SET, WORKFORCE_USER]}),
    # not federated: service agents keep their encrypter/decrypter role (other policies check those)
    ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", {
        "cryptoKeyId": GCP_KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "member": "serviceAccount:service-2@gs-project-accounts.iam.gserviceaccount.com"}),
    # not known yet: the principal set is built from the pool's name
    ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", {
        "cryptoKeyId": GCP_KEY, "role": "roles/cloudkms.admin", "member": UNKNOWN}),
    ("gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding", {
        "cryptoKeyId": GCP_KEY, "role": "roles/cloudkms.admin", "members": [UNKNOWN]}),
])
def test_decrypt_only_federated_and_other_grants_pass(type_, props):
    assert messages(FEDERATED, type_, props) == []


# --- org policy: gcp.restrictNonCmekServices that restricts nothing ---------------------------------------------

ORG_POLICY = "gcp-orgpolicy-policy-cmek-effective"


@pytest.mark.parametrize("spec, expected", [
    ({"rules": [{"allowAll": "TRUE"}]}, "allowAll"),
    ({"rules": [{"values": {"deniedValues": ["storage.googleapis.com"]}}, {"allowAll": "TRUE"}]}, "allowAll"),
    ({"rules": [{"values": {"deniedValues": []}}]}, "no rule denies"),
    ({"rules": [{"values": {"allowedValues": ["storage.googleapis.com"]}}]}, "no rule denies"),
    ({"rules": []}, "no rule denies"),
    ({"reset": True}, "spec.reset"),
    (None, "spec is not set"),
])
def test_restrict_non_cmek_policy_that_restricts_nothing_fails(spec, expected):
    type_, props = _without(ORG_POLICY, "spec")
    if spec is not None:
        props["spec"] = spec
    found = messages(ORG_POLICY, type_, props)
    assert len(found) == 1 and expected in found[0]


def test_restrict_non_cmek_deny_all_passes_and_other_constraints_are_ignored():
    type_, props = _example(ORG_POLICY, spec={"rules": [{"denyAll": "TRUE"}]})
    assert messages(ORG_POLICY, type_, props) == []
    type_, props = _example(ORG_POLICY, name="projects/acme-ml-prod/policies/gcp.restrictCmekCryptoKeyProjects",
                            spec={"rules": [{"allowAll": "TRUE"}]})
    assert messages(ORG_POLICY, type_, props) == []


def test_noop_org_policy_is_advice_without_config_and_in_dev_but_blocks_in_prod():
    from tests.policies.harness import Analyzer, Res, of
    type_, props = _example(ORG_POLICY, spec={"rules": [{"allowAll": "TRUE"}]})
    levels = {env: [f.level for f in of((Analyzer(env) if env else Analyzer()).analyze(Res(type_, props)), ORG_POLICY)]
              for env in (None, "dev", "prod")}
    assert levels == {None: ["advisory"], "dev": ["advisory"], "prod": ["mandatory"]}


# --- the project's own Confidential Space resources ------------------------------------------------------------

def test_prod_confidential_space_resources_are_checked_and_pass(run_stack):
    """The provider, decrypt grant and org policy the prod stack really registers (values known) pass, and
    would fail with a weaker condition or role: the policies do see them."""
    from tests.policies.harness import Res, analyzer
    run = run_stack("prod")
    by_policy = {
        PROVIDER: [r for r in run.resources if r.type == COMPLIANT[PROVIDER][0]],
        FEDERATED: [r for r in run.resources if r.type.startswith("gcp:kms/") and "IAM" in r.type
                    and str(r.inputs.get("member", "")).startswith("principalSet://")],
        ORG_POLICY: [r for r in run.resources if r.type == COMPLIANT[ORG_POLICY][0]
                     and r.inputs["name"].endswith("/gcp.restrictNonCmekServices")],
    }
    weaker = {
        PROVIDER: lambda i: {**i, "attributeCondition": f"({i['attributeCondition']}) || true"},
        FEDERATED: lambda i: {**i, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter"},
        ORG_POLICY: lambda i: {**i, "spec": {"rules": [{"allowAll": "TRUE"}]}},
    }
    for policy, resources in by_policy.items():
        assert len(resources) == 1, policy
        inputs = resources[0].inputs
        assert analyzer("prod").analyze(Res(resources[0].type, inputs)) == []
        assert messages(policy, resources[0].type, weaker[policy](inputs)), policy
