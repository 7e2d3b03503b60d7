"""GCP resource policies: data of ML services under the customer's Cloud KMS key."""

from __future__ import annotations

from typing import Any, Iterator

from pulumi_policy import Severity

from .props import UNKNOWN, lookup, present
from .rules import Control, Options, resource_policy

_CIS_GCP = "CIS Google Cloud Platform Foundation Benchmark"
_ORG_POLICY = "Google Cloud organization policy"
_RESTRICT_NON_CMEK = Control(
    _ORG_POLICY, "v2", "constraints/gcp.restrictNonCmekServices",
    "Restrict which services may create resources without CMEK")


def _bucket_default_key(props: Any, _options: Options) -> Iterator[str]:
    if not present(lookup(props, "encryption", "defaultKmsKeyName")):
        yield "encryption.defaultKmsKeyName is not set: new objects are encrypted with a Google-managed key."


storage_bucket_cmek = resource_policy(
    "gcp-storage-bucket-cmek",
    description="Cloud Storage buckets must have a default Cloud KMS key (CMEK).",
    resource_types=["gcp:storage/bucket:Bucket"],
    check=_bucket_default_key,
    severity=Severity.HIGH,
    remediation=("Set `encryption.default_kms_key_name` to a key in the bucket's location, after granting "
                 "roles/cloudkms.cryptoKeyEncrypterDecrypter on that key to the Cloud Storage service agent "
                 "(service-N@gs-project-accounts.iam.gserviceaccount.com). Consider "
                 "`google_managed_encryption_enforcement_config` to forbid Google-managed objects."),
    control=_RESTRICT_NON_CMEK,
)

POLICIES = [storage_bucket_cmek]
