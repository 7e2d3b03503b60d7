"""Stack policies through AnalyzeStack, with the key unknown as in a first preview.

Resources reference each other only through the engine's dependency graph (`dependencies`,
`property_dependencies`), never through ids: ids of same-stack keys are unknown here.
"""

from __future__ import annotations

import pytest

from tests.policies.examples import AWS_KEY
from tests.policies.harness import UNKNOWN, Analyzer, Res, analyzer, of

AGENT = "gcp:projects/serviceIdentity:ServiceIdentity"
GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def _ring(location: str = "europe-west4") -> Res:
    return Res("gcp:kms/keyRing:KeyRing", {"name": "cmek-ml", "location": location}, name="ring", protect=True)


def _key(ring: Res, name: str = "key") -> Res:
    return Res("gcp:kms/cryptoKey:CryptoKey", {"name": name, "keyRing": UNKNOWN, "rotationPeriod": "7776000s"},
               name=name, protect=True, dependencies=[ring.urn], property_dependencies={"keyRing": [ring.urn]})


def _grant(key: Res, member: str = UNKNOWN, name: str = "grant", member_from: Res | None = None,
           role: str = ROLE) -> Res:
    deps = {"cryptoKeyId": [key.urn], **({"member": [member_from.urn]} if member_from else {})}
    return Res(GRANT, {"cryptoKeyId": UNKNOWN, "role": role, "member": member}, name=name,
               dependencies=[key.urn] + ([member_from.urn] if member_from else []), property_dependencies=deps)


def _identity(service: str) -> Res:
    return Res(AGENT, {"project": "acme-ml-prod", "service": service}, name=f"{service.split('.')[0]}-identity")


def _bucket(key: Res, waits_for: list[Res] = (), location: str = "EUROPE-WEST4", name: str = "data") -> Res:
    sources = [key.urn] + [w.urn for w in waits_for]
    return Res("gcp:storage/bucket:Bucket", {"name": name, "location": location,
                                             "encryption": {"defaultKmsKeyName": UNKNOWN}},
               name=name, dependencies=sources, property_dependencies={"encryption": sources})


def _stack_findings(resources, policy: str, env: str = "prod"):
    return of(analyzer(env).analyze_stack(resources), policy)


# --- 1. grant before use -------------------------------------------------------------------------------------

GRANT_POLICY = "gcp-kms-cryptokey-grant-before-use"
STORAGE_AGENT = "serviceAccount:service-222222222222@gs-project-accounts.iam.gserviceaccount.com"


def test_bucket_waiting_for_its_agents_grant_passes():
    ring = _ring(); key = _key(ring); grant = _grant(key, STORAGE_AGENT)
    assert _stack_findings([ring, key, grant, _bucket(key, [grant])], GRANT_POLICY) == []


def test_bucket_not_waiting_for_the_grant_fails():
    ring = _ring(); key = _key(ring); grant = _grant(key, STORAGE_AGENT)
    bucket = _bucket(key)
    found = _stack_findings([ring, key, grant, bucket], GRANT_POLICY)
    assert [(f.urn, f.level) for f in found] == [(bucket.urn, "mandatory")]
    assert "gs-project-accounts" in found[0].message


def test_bucket_with_no_grant_at_all_fails():
    ring = _ring(); key = _key(ring)
    assert len(_stack_findings([ring, key, _bucket(key)], GRANT_POLICY)) == 1


def test_grant_to_another_services_agent_does_not_count():
    ring = _ring(); key = _key(ring)
    registry_grant = _grant(key, "serviceAccount:service-2@gcp-sa-artifactregistry.iam.gserviceaccount.com")
    assert len(_stack_findings([ring, key, registry_grant, _bucket(key, [registry_grant])], GRANT_POLICY)) == 1


def test_grant_on_another_key_does_not_count():
    ring = _ring(); key = _key(ring); other = _key(ring, "other")
    grant = _grant(other, STORAGE_AGENT)
    assert len(_stack_findings([ring, key, other, grant, _bucket(key, [grant])], GRANT_POLICY)) == 1


def test_grant_of_another_role_does_not_count():
    ring = _ring(); key = _key(ring); grant = _grant(key, STORAGE_AGENT, role="roles/cloudkms.viewer")
    assert len(_stack_findings([ring, key, grant, _bucket(key, [grant])], GRANT_POLICY)) == 1


def test_unknown_member_from_the_right_service_identity_counts():
    ring = _ring(); key = _key(ring); identity = _identity("artifactregistry.googleapis.com")
    grant = _grant(key, member_from=identity)
    repository = Res("gcp:artifactregistry/repository:Repository",
                     {"location": "europe-west4", "kmsKeyName": UNKNOWN}, name="images",
                     dependencies=[key.urn, grant.urn], property_dependencies={"kmsKeyName": [key.urn, grant.urn]})
    assert _stack_findings([ring, key, identity, grant, repository], GRANT_POLICY) == []
    # The same wiring with the Vertex AI agent's identity is the wrong agent.
    vertex = _identity("aiplatform.googleapis.com")
    wrong = _grant(key, member_from=vertex)
    repository.property_dependencies = {"kmsKeyName": [key.urn, wrong.urn]}
    assert len(_stack_findings([ring, key, vertex, wrong, repository], GRANT_POLICY)) == 1


def test_unknown_untraceable_member_gets_the_benefit_of_the_doubt():
    # e.g. the storage agent from gcp.storage.get_project_service_account, unknown in a first preview.
    ring = _ring(); key = _key(ring); grant = _grant(key)
    assert _stack_findings([ring, key, grant, _bucket(key, [grant])], GRANT_POLICY) == []


def test_waiting_for_a_component_that_holds_the_grant_counts():
    ring = _ring(); key = _key(ring)
    grants = Res("cmek-ml:gcp:KeyGrants", {}, name="grants")
    grant = _grant(key, STORAGE_AGENT)
    grant.parent = grants.urn
    bucket = _bucket(key)
    bucket.dependencies = [key.urn, grants.urn]
    assert _stack_findings([ring, key, grants, grant, bucket], GRANT_POLICY) == []


def test_dataflow_needs_both_agents():
    ring = _ring(); key = _key(ring)
    dataflow = _grant(key, "serviceAccount:service-2@dataflow-service-producer-prod.iam.gserviceaccount.com", name="df")
    job = Res("gcp:dataflow/job:Job", {"region": "europe-west4", "kmsKeyName": UNKNOWN}, name="job",
              dependencies=[dataflow.urn], property_dependencies={"kmsKeyName": [key.urn]})
    found = _stack_findings([ring, key, dataflow, job], GRANT_POLICY)
    assert len(found) == 1 and "compute-system" in found[0].message
    compute = _grant(key, "serviceAccount:service-2@compute-system.iam.gserviceaccount.com", name="compute")
    job.dependencies = [dataflow.urn, compute.urn]
    assert _stack_findings([ring, key, dataflow, compute, job], GRANT_POLICY) == []


def test_key_from_another_stack_is_not_this_policys_business():
    bucket = Res("gcp:storage/bucket:Bucket", {"location": "EU", "encryption": {
        "defaultKmsKeyName": "projects/p/locations/eu/keyRings/r/cryptoKeys/k"}}, name="b")
    assert _stack_findings([bucket], GRANT_POLICY) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_project_program_passes_in_a_first_preview(run_stack, stack):
    """The project's own landing zones, keys unknown, satisfy every stack policy (grants are waited for)."""
    run = run_stack(stack, preview=True)
    assert any(r.type == "gcp:storage/bucket:Bucket" for r in run.resources)
    assert analyzer(stack).analyze_program_stack(run.resources) == []


# --- 2. key location -----------------------------------------------------------------------------------------

LOCATION_POLICY = "multicloud-kms-key-location-match"


# Cloud KMS names its multi-regions us, europe, asia: an EU bucket needs a key in `europe`, and `eu` is no KMS
# location at all (https://cloud.google.com/kms/docs/locations; catalogue/gcp/locations.yaml).
@pytest.mark.parametrize("bucket_location, ring_location, fits", [
    ("EUROPE-WEST4", "europe-west4", True),
    ("EU", "europe", True),
    ("US", "us", True),
    ("ASIA", "asia", True),
    ("EUR4", "europe", True),
    ("EUR4", "eur4", True),
    ("NAM4", "us", True),
    ("EU", "eu", False),
    ("EUR4", "eu", False),
    ("EUROPE-WEST4", "us-central1", False),
    ("EUROPE-WEST4", "europe", False),
    ("EU", "europe-west4", False),
    ("US", "global", False),
])
def test_bucket_location_fits_key_ring_location(bucket_location, ring_location, fits):
    ring = _ring(ring_location); key = _key(ring); grant = _grant(key, STORAGE_AGENT)
    bucket = _bucket(key, [grant], location=bucket_location)
    found = _stack_findings([ring, key, grant, bucket], LOCATION_POLICY)
    assert (found == []) == fits
    if not fits:
        assert found[0].urn == bucket.urn and ring_location in found[0].message


def test_zonal_resources_use_their_region():
    ring = _ring("europe-west4"); key = _key(ring)
    disk = Res("gcp:compute/disk:Disk", {"zone": "europe-west4-b", "diskEncryptionKey": {"kmsKeySelfLink": UNKNOWN}},
               name="disk", property_dependencies={"diskEncryptionKey": [key.urn]})
    assert _stack_findings([ring, key, disk], LOCATION_POLICY) == []
    disk.props = {**disk.props, "zone": "us-east1-b"}
    assert len(_stack_findings([ring, key, disk], LOCATION_POLICY)) == 1


def test_known_key_name_from_another_stack_is_checked():
    vertex = Res("gcp:vertex/aiDataset:AiDataset", {"region": "us-central1", "encryptionSpec": {
        "kmsKeyName": "projects/kms/locations/europe-west4/keyRings/r/cryptoKeys/k"}}, name="ds")
    assert len(_stack_findings([vertex], LOCATION_POLICY)) == 1


def test_unknown_location_is_not_a_violation():
    ring = Res("gcp:kms/keyRing:KeyRing", {"name": "r", "location": UNKNOWN}, name="ring", protect=True)
    key = _key(ring)
    assert _stack_findings([ring, key, _bucket(key)], LOCATION_POLICY) == []


def _aws_key(region: str) -> Res:
    return Res("aws:kms/key:Key", {"region": region, "enableKeyRotation": True}, name=f"key-{region}", protect=True)


@pytest.mark.parametrize("key_region, fits", [("eu-west-1", True), ("us-east-1", False)])
def test_aws_key_in_the_resource_region(key_region, fits):
    key = _aws_key(key_region)
    log_group = Res("aws:cloudwatch/logGroup:LogGroup", {"region": "eu-west-1", "kmsKeyId": UNKNOWN}, name="logs",
                    property_dependencies={"kmsKeyId": [key.urn]})
    assert (_stack_findings([key, log_group], LOCATION_POLICY) == []) == fits


def test_aws_known_key_arn_in_another_region_fails():
    volume = Res("aws:ebs/volume:Volume", {"region": "us-east-1", "kmsKeyId": AWS_KEY}, name="vol")
    assert len(_stack_findings([volume], LOCATION_POLICY)) == 1


# --- 3. keys protected ---------------------------------------------------------------------------------------

PROTECT_POLICY = "multicloud-kms-key-protected"


@pytest.mark.parametrize("type_", [
    "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey", "aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey",
    "azure-native:keyvault:Vault", "azure-native:keyvault:Key", "azure-native:keyvault/v20230701:Vault",
])
def test_unprotected_key_fails_and_protected_passes(type_):
    unprotected = Res(type_, {}, name="k", protect=False)
    found = _stack_findings([unprotected], PROTECT_POLICY)
    assert [(f.urn, f.level) for f in found] == [(unprotected.urn, "mandatory")]
    assert _stack_findings([Res(type_, {}, name="k", protect=True)], PROTECT_POLICY) == []


def test_other_resources_need_no_protection():
    assert _stack_findings([Res("gcp:storage/bucket:Bucket", {}, name="b")], PROTECT_POLICY) == []


# --- 4. every S3 bucket encrypted with a customer key --------------------------------------------------------

S3_POLICY = "aws-s3-bucket-encryption-configured"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def _s3_bucket(name: str = "data") -> Res:
    return Res("aws:s3/bucket:Bucket", {"bucket": f"acme-{name}"}, name=name)


def _s3_sse(bucket: Res, key, by_dependency: bool = True, name: str = "sse") -> Res:
    default = {"sseAlgorithm": "aws:kms", **({"kmsMasterKeyId": key} if key else {})}
    props = {"bucket": UNKNOWN if by_dependency else bucket.props["bucket"],
             "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}]}
    return Res(SSE, props, name=name, property_dependencies={"bucket": [bucket.urn]} if by_dependency else {})


def test_bucket_with_customer_key_configuration_passes():
    bucket = _s3_bucket()
    assert _stack_findings([bucket, _s3_sse(bucket, UNKNOWN)], S3_POLICY) == []


def test_configuration_matched_by_known_bucket_name_passes():
    bucket = _s3_bucket()
    assert _stack_findings([bucket, _s3_sse(bucket, AWS_KEY, by_dependency=False)], S3_POLICY) == []


def test_bucket_without_configuration_fails():
    bucket = _s3_bucket(); other = _s3_bucket("other")
    found = _stack_findings([bucket, other, _s3_sse(other, AWS_KEY)], S3_POLICY)
    assert [f.urn for f in found] == [bucket.urn] and "has no" in found[0].message


def test_bucket_whose_configuration_uses_aws_managed_key_fails():
    bucket = _s3_bucket()
    found = _stack_findings([bucket, _s3_sse(bucket, None)], S3_POLICY)
    assert len(found) == 1 and "does not use a customer key" in found[0].message


def test_inline_customer_key_encryption_passes():
    bucket = Res("aws:s3/bucket:Bucket", {"bucket": "b", "serverSideEncryptionConfiguration": {"rule": {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": AWS_KEY}}}}, name="b")
    assert _stack_findings([bucket], S3_POLICY) == []


# --- exemptions and scale ------------------------------------------------------------------------------------

def test_exempted_resource_names_are_not_reported():
    bucket = _s3_bucket("scratch-1"); kept = _s3_bucket("data")
    exempting = Analyzer({"all": "mandatory", S3_POLICY: {"excludeFor": ["scratch-.*"]}})
    assert [f.urn for f in of(exempting.analyze_stack([bucket, kept]), S3_POLICY)] == [kept.urn]


def _stack_work(copies: int) -> int:
    """Property reads and waited-for URNs the stack policies go through for `copies` bucket+key+grant sets."""
    from cmek_policies import aws, catalogue, catalogue_rules, stack, stack_gcp

    work = {"n": 0}
    lookup, waits_for, walk = stack.lookup, stack.StackIndex.waits_for, catalogue_rules.walk

    def counting_lookup(*args):
        work["n"] += 1
        return lookup(*args)

    def counting_walk(*args):
        work["n"] += 1
        return walk(*args)

    def counting_waits_for(self, resource):
        waited = waits_for(self, resource)
        work["n"] += len(waited)
        return waited

    ring = _ring(); resources = [ring]
    for i in range(copies):
        key = _key(ring, f"key{i}"); grant = _grant(key, STORAGE_AGENT, name=f"grant{i}")
        bucket = _s3_bucket(f"s3-{i}")
        resources += [key, grant, _bucket(key, [grant], name=f"b{i}"), bucket, _s3_sse(bucket, AWS_KEY, name=f"sse{i}")]
    stack.lookup = stack_gcp.lookup = aws.lookup = counting_lookup
    catalogue.walk = catalogue_rules.walk = counting_walk
    stack.StackIndex.waits_for = counting_waits_for
    try:
        assert analyzer("prod").analyze_stack(resources) == []
    finally:
        stack.lookup = stack_gcp.lookup = aws.lookup = lookup
        catalogue.walk = catalogue_rules.walk = walk
        stack.StackIndex.waits_for = waits_for
    return work["n"]


def test_stack_policies_do_linear_work():
    """Counts work, not time (the machine is shared): 4x the resources must cost at most ~4x the reads."""
    small, large = _stack_work(50), _stack_work(200)
    assert small > 0 and large <= 4 * small * 1.05


def test_bad_exemption_pattern_on_a_stack_policy_is_reported_and_exempts_nothing():
    bucket = _s3_bucket("scratch-1")
    found = of(Analyzer({"all": "mandatory", S3_POLICY: {"excludeFor": ["scratch-(", "scratch-.*"]}}).analyze_stack([bucket]),
               S3_POLICY)
    assert [f.urn for f in found] == ["", bucket.urn]
    assert "is not a regular expression" in found[0].message
