"""A one-rule pack: what any Python policy pack costs per resource (SDK, gRPC, one cheap check).

`bench/policy_bench.py` starts it exactly like the cmek-ml pack and compares their Analyze cost.
"""

from pulumi_policy import EnforcementLevel, PolicyPack, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy
from pulumi_policy.proxy import UnknownValueError


def bucket_has_default_key(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != "gcp:storage/bucket:Bucket":
        return
    try:
        encryption = args.props.get("encryption")
        key = encryption.get("defaultKmsKeyName") if encryption else None
    except UnknownValueError:
        return  # a key made in the same stack is unknown during preview: a customer key
    if not key:
        report_violation("The bucket has no default Cloud KMS key, so its objects are on Google-managed keys.")


PolicyPack(
    name="cmek-ml-floor",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="floor-gcp-storage-bucket-cmek",
            description="A Cloud Storage bucket has a default Cloud KMS key.",
            validate=bucket_has_default_key,
        ),
    ],
)
