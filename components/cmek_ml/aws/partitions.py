"""AWS regions and their partitions, as data: ARNs and service principals differ per partition."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Partition:
    name: str
    """The ARN partition: `arn:<name>:...`."""
    dns_suffix: str
    """Suffix of service endpoints and of regional service principals."""


AWS = Partition("aws", "amazonaws.com")
AWS_CN = Partition("aws-cn", "amazonaws.com.cn")
AWS_US_GOV = Partition("aws-us-gov", "amazonaws.com")

# Regions where KMS, S3, ECR, CloudWatch Logs and SageMaker training are offered.
REGIONS = frozenset(
    """
    af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1
    ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5
    ap-southeast-7 ca-central-1 ca-west-1 eu-central-1 eu-central-2 eu-north-1 eu-south-1
    eu-south-2 eu-west-1 eu-west-2 eu-west-3 il-central-1 me-central-1 me-south-1 mx-central-1
    sa-east-1 us-east-1 us-east-2 us-west-1 us-west-2
    cn-north-1 cn-northwest-1
    us-gov-east-1 us-gov-west-1
    """.split()
)


def partition_of(region: str) -> Partition:
    """The partition a region belongs to (the prefix decides, as in the AWS SDKs' endpoint data)."""
    if region.startswith("cn-"):
        return AWS_CN
    if region.startswith("us-gov-"):
        return AWS_US_GOV
    return AWS
