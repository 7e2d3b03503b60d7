"""Stack policies, cases the pack got wrong before the catalogue (issue 13 point 5).

- IAM is inherited: a grant of the key role on the key ring, or on the key's project, covers the key
  (https://cloud.google.com/kms/docs/resource-hierarchy#iam).
- A key inside a component the resource's key input comes from is still that resource's key.
- Locations pair as each service's CMEK page says (catalogue/gcp/locations.yaml).
"""

from __future__ import annotations

import pytest

from tests.policies.harness import UNKNOWN, Res, analyzer, of
from tests.policies.test_stack import GRANT_POLICY, ROLE, STORAGE_AGENT, _bucket, _key, _ring

LOCATION_POLICY = "multicloud-kms-key-location-match"
RING_GRANT = "gcp:kms/keyRingIAMMember:KeyRingIAMMember"
PROJECT_GRANT = "gcp:projects/iAMMember:IAMMember"


def _findings(resources, policy):
    return of(analyzer("prod").analyze_stack(resources), policy)


def _ring_grant(ring: Res, member: str = STORAGE_AGENT, role: str = ROLE) -> Res:
    return Res(RING_GRANT, {"keyRingId": UNKNOWN, "role": role, "member": member}, name="ring-grant",
               dependencies=[ring.urn], property_dependencies={"keyRingId": [ring.urn]})


def _project_grant(project: str, member: str = STORAGE_AGENT, role: str = ROLE) -> Res:
    return Res(PROJECT_GRANT, {"project": project, "role": role, "member": member}, name="project-grant")


# --- IAM inheritance -----------------------------------------------------------------------------------------

def test_a_grant_on_the_key_ring_covers_the_key():
    ring = _ring(); key = _key(ring); grant = _ring_grant(ring)
    assert _findings([ring, key, grant, _bucket(key, [grant])], GRANT_POLICY) == []


def test_a_grant_on_the_key_ring_the_resource_does_not_wait_for_does_not_count():
    ring = _ring(); key = _key(ring); grant = _ring_grant(ring)
    assert len(_findings([ring, key, grant, _bucket(key)], GRANT_POLICY)) == 1


def test_a_grant_on_another_key_ring_does_not_count():
    ring = _ring(); key = _key(ring)
    other = Res("gcp:kms/keyRing:KeyRing", {"name": "other", "location": "europe-west4"}, name="other-ring", protect=True)
    grant = _ring_grant(other)
    assert len(_findings([ring, other, key, grant, _bucket(key, [grant])], GRANT_POLICY)) == 1


def test_a_grant_on_the_key_ring_by_known_id_covers_a_key_on_that_ring():
    key = Res("gcp:kms/cryptoKey:CryptoKey", {"name": "k", "keyRing": "projects/acme-kms/locations/europe-west4/keyRings/ml"},
              name="key", protect=True)
    grant = Res(RING_GRANT, {"keyRingId": "acme-kms/europe-west4/ml", "role": ROLE, "member": STORAGE_AGENT},
                name="ring-grant")
    assert _findings([key, grant, _bucket(key, [grant])], GRANT_POLICY) == []
    grant.props = {**grant.props, "keyRingId": "acme-kms/europe-west4/other"}
    assert len(_findings([key, grant, _bucket(key, [grant])], GRANT_POLICY)) == 1


def test_a_grant_on_the_keys_project_covers_the_key():
    ring = Res("gcp:kms/keyRing:KeyRing", {"name": "ml", "location": "europe-west4", "project": "acme-kms"},
               name="ring", protect=True)
    key = _key(ring); grant = _project_grant("acme-kms")
    assert _findings([ring, key, grant, _bucket(key, [grant])], GRANT_POLICY) == []


def test_a_grant_on_another_project_does_not_count():
    ring = Res("gcp:kms/keyRing:KeyRing", {"name": "ml", "location": "europe-west4", "project": "acme-kms"},
               name="ring", protect=True)
    key = _key(ring); grant = _project_grant("acme-ml-prod")
    assert len(_findings([ring, key, grant, _bucket(key, [grant])], GRANT_POLICY)) == 1


def test_a_project_grant_of_another_role_does_not_count():
    ring = Res("gcp:kms/keyRing:KeyRing", {"name": "ml", "location": "europe-west4", "project": "acme-kms"},
               name="ring", protect=True)
    key = _key(ring); grant = _project_grant("acme-kms", role="roles/cloudkms.viewer")
    assert len(_findings([ring, key, grant, _bucket(key, [grant])], GRANT_POLICY)) == 1


# --- a key inside a component ---------------------------------------------------------------------------------

def _component_with_key(with_grant: bool):
    keys = Res("cmek-ml:gcp:Keys", {}, name="keys")
    ring = _ring(); ring.parent = keys.urn
    key = _key(ring); key.parent = keys.urn
    members = [keys, ring, key]
    if with_grant:
        grant = Res("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
                    {"cryptoKeyId": UNKNOWN, "role": ROLE, "member": STORAGE_AGENT}, name="grant",
                    parent=keys.urn, property_dependencies={"cryptoKeyId": [key.urn]})
        members.append(grant)
    bucket = Res("gcp:storage/bucket:Bucket", {"location": "EUROPE-WEST4", "encryption": {"defaultKmsKeyName": UNKNOWN}},
                 name="data", dependencies=[keys.urn], property_dependencies={"encryption": [keys.urn]})
    return members, bucket


def test_a_key_inside_a_component_without_a_grant_is_caught():
    members, bucket = _component_with_key(with_grant=False)
    found = _findings([*members, bucket], GRANT_POLICY)
    assert [f.urn for f in found] == [bucket.urn] and "key key" in found[0].message


def test_a_key_inside_a_component_with_its_grant_passes():
    members, bucket = _component_with_key(with_grant=True)
    assert _findings([*members, bucket], GRANT_POLICY) == []


def test_a_key_inside_a_component_is_located():
    members, bucket = _component_with_key(with_grant=True)
    bucket.props = {**bucket.props, "location": "US"}
    found = _findings([*members, bucket], LOCATION_POLICY)
    assert len(found) == 1 and "europe-west4" in found[0].message


# --- location pairings -----------------------------------------------------------------------------------------

def _dataset(location: str, key_location: str) -> Res:
    return Res("gcp:bigquery/dataset:Dataset", {"datasetId": "f", "location": location, "defaultEncryptionConfiguration": {
        "kmsKeyName": f"projects/kms/locations/{key_location}/keyRings/r/cryptoKeys/k"}}, name="features")


@pytest.mark.parametrize("location, key_location, fits", [
    ("US", "us", True),
    ("EU", "europe", True),
    ("europe-west4", "europe-west4", True),
    ("EU", "eu", False),
    ("US", "us-central1", False),
    ("europe-west4", "europe", False),
])
def test_bigquery_multi_regions_pair_with_kms_multi_regions(location, key_location, fits):
    assert (_findings([_dataset(location, key_location)], LOCATION_POLICY) == []) == fits


def test_configurable_dual_region_bucket_needs_the_multi_region_key():
    bucket = Res("gcp:storage/bucket:Bucket", {"location": "EU", "customPlacementConfig": {
        "dataLocations": ["EUROPE-WEST1", "EUROPE-WEST4"]}, "encryption": {
        "defaultKmsKeyName": "projects/kms/locations/europe/keyRings/r/cryptoKeys/k"}}, name="b")
    assert _findings([bucket], LOCATION_POLICY) == []
    bucket.props["encryption"] = {"defaultKmsKeyName": "projects/kms/locations/europe-west4/keyRings/r/cryptoKeys/k"}
    assert len(_findings([bucket], LOCATION_POLICY)) == 1


def test_firestore_multi_region_pairs_with_the_kms_multi_region():
    db = Res("gcp:firestore/database:Database", {"locationId": "nam5", "cmekConfig": {
        "kmsKeyName": "projects/kms/locations/us/keyRings/r/cryptoKeys/k"}}, name="db")
    assert _findings([db], LOCATION_POLICY) == []
    db.props["cmekConfig"] = {"kmsKeyName": "projects/kms/locations/nam5/keyRings/r/cryptoKeys/k"}
    assert len(_findings([db], LOCATION_POLICY)) == 1


def test_every_gcp_catalogue_location_pairing_is_defined_and_sourced():
    from cmek_policies import CATALOGUE
    for policy in CATALOGUE.policies:
        for spec in policy.types:
            if spec.location:
                assert CATALOGUE.pairing_source(spec.location["pairing"]).strip()


# --- BucketV2's inline list form in the stack policy ------------------------------------------------------------

def test_bucket_v2_with_an_inline_customer_key_needs_no_separate_configuration():
    key = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    rule = {"applyServerSideEncryptionByDefaults": [{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}]}
    bucket = Res("aws:s3/bucketV2:BucketV2", {"bucket": "data", "serverSideEncryptionConfigurations": [{"rules": [rule]}]},
                 name="data")
    assert _findings([bucket], "aws-s3-bucket-encryption-configured") == []
    rule["applyServerSideEncryptionByDefaults"][0]["sseAlgorithm"] = "AES256"
    assert len(_findings([bucket], "aws-s3-bucket-encryption-configured")) == 1
