"""CloudWatch log groups of SageMaker jobs, encrypted with the customer's key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws


@dataclass
class KmsLogGroupsArgs:
    names: Sequence[str]
    """Log group names, such as /aws/sagemaker/TrainingJobs."""
    kms_key_arn: pulumi.Input[str]
    """Key that encrypts the groups' log events (its policy must allow CloudWatch Logs)."""
    key_policy: pulumi.Resource
    """The key's policy. CloudWatch Logs checks it when a group is created, so it goes first."""
    retention_in_days: int
    """Days CloudWatch keeps the events (one of the values it accepts)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the log groups."""


class KmsLogGroups(pulumi.ComponentResource):
    """Created before SageMaker's first job would create them unencrypted, with no retention."""

    log_groups: dict[str, aws.cloudwatch.LogGroup]

    def __init__(self, name: str, args: KmsLogGroupsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:aws:KmsLogGroups", name, None, opts)
        self.log_groups = {
            group: aws.cloudwatch.LogGroup(
                f"{name}-{group.rsplit('/', 1)[-1]}",
                name=group,
                kms_key_id=args.kms_key_arn,
                retention_in_days=args.retention_in_days,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[args.key_policy]),
            )
            for group in args.names
        }
        self.register_outputs({"arns": {g: lg.arn for g, lg in self.log_groups.items()}})
