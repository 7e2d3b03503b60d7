"""GCP resource policies, driven through the analyzer protocol."""

from __future__ import annotations

from tests.policies.harness import UNKNOWN, Analyzer, Res, of

KEY = "projects/acme-kms-prod/locations/us-central1/keyRings/cmek-ml/cryptoKeys/storage"


def test_bucket_with_default_key_passes():
    assert of(Analyzer().analyze(Res("gcp:storage/bucket:Bucket", {"encryption": {"defaultKmsKeyName": KEY}})),
              "gcp-storage-bucket-cmek") == []


def test_bucket_without_encryption_fails():
    findings = of(Analyzer().analyze(Res("gcp:storage/bucket:Bucket", {"location": "US"})), "gcp-storage-bucket-cmek")
    assert [f.level for f in findings] == ["mandatory"]
    assert "defaultKmsKeyName" in findings[0].message


def test_bucket_with_empty_key_fails():
    findings = Analyzer().analyze(Res("gcp:storage/bucket:Bucket", {"encryption": {"defaultKmsKeyName": ""}}))
    assert len(of(findings, "gcp-storage-bucket-cmek")) == 1


def test_bucket_with_unknown_key_counts_as_customer_key():
    for props in ({"encryption": {"defaultKmsKeyName": UNKNOWN}}, {"encryption": UNKNOWN}):
        assert Analyzer().analyze(Res("gcp:storage/bucket:Bucket", props)) == []
