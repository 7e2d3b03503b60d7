"""SageMaker jobs that do not name the customer's keys cannot be created.

A key alone does not make jobs use it: jobs are launched by data scientists and pipelines,
not by this program. So the roles that launch jobs get an IAM policy that denies the create
call unless the request names the key for both the ML storage volume and the output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws
import yaml

from cmek_ml.aws.settings import role_name
from cmek_ml.policy_pack import nvme_instance_types_file

# Shared with the policy pack (one file, in the pack's folder, checked out or installed), so the
# guardrail and the pack exempt the same families.
NVME_INSTANCE_TYPES_FILE = nvme_instance_types_file()
GUARDED_ACTIONS = [
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateTransformJob",
]
VOLUME_KEY = "sagemaker:VolumeKmsKey"
OUTPUT_KEY = "sagemaker:OutputKmsKey"
INSTANCE_TYPES = "sagemaker:InstanceTypes"


@lru_cache(maxsize=None)
def nvme_instance_type_patterns() -> tuple[str, ...]:
    """`ml.<family>.*` for each family whose ML storage is local NVMe (see the YAML file)."""
    families = yaml.safe_load(NVME_INSTANCE_TYPES_FILE.read_text())["families"]
    return tuple(f"{family}.*" for family in families)


def guardrail_policy_document(
    volume_key_arn: str, output_key_arn: str, nvme_patterns: Sequence[str]
) -> dict[str, Any]:
    """Three denies; any one that matches blocks the call.

    `StringNotEquals` is also true when the request names no key at all. NVMe instance types
    reject a volume key, so a request whose instance types are all NVMe is exempt from the
    volume condition; one with no instance types in it is not (nothing proves it is NVMe).
    """

    def deny(sid: str, condition: dict[str, Any]) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Deny", "Action": GUARDED_ACTIONS, "Resource": "*", "Condition": condition}

    return {
        "Version": "2012-10-17",
        "Statement": [
            deny("DenySageMakerJobsWithoutTheOutputKey", {"StringNotEquals": {OUTPUT_KEY: output_key_arn}}),
            deny(
                "DenySageMakerJobsOnEbsInstancesWithoutTheVolumeKey",
                {
                    "StringNotEquals": {VOLUME_KEY: volume_key_arn},
                    "ForAnyValue:StringNotLike": {INSTANCE_TYPES: list(nvme_patterns)},
                },
            ),
            deny(
                "DenySageMakerJobsWithoutInstanceTypesOrTheVolumeKey",
                {"StringNotEquals": {VOLUME_KEY: volume_key_arn}, "Null": {INSTANCE_TYPES: "true"}},
            ),
        ],
    }


@dataclass
class SageMakerGuardrailArgs:
    policy_name: str
    """Name of the customer-managed IAM policy."""
    volume_key_arn: pulumi.Input[str]
    """The key every non-NVMe job must name as VolumeKmsKeyId."""
    output_key_arn: pulumi.Input[str]
    """The key every job must name for its output."""
    launcher_role_arns: Sequence[str]
    """Roles that create jobs; the policy is attached to each of them."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the IAM policy."""


class SageMakerGuardrail(pulumi.ComponentResource):
    policy: aws.iam.Policy
    attachments: dict[str, aws.iam.RolePolicyAttachment]

    def __init__(self, name: str, args: SageMakerGuardrailArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:aws:SageMakerGuardrail", name, None, opts)
        patterns = nvme_instance_type_patterns()
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=args.policy_name,
            description="Deny SageMaker training, tuning, processing and transform jobs that do not use the customer-managed KMS keys",
            policy=pulumi.Output.all(args.volume_key_arn, args.output_key_arn).apply(
                lambda arns: json.dumps(guardrail_policy_document(arns[0], arns[1], patterns))
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if not args.launcher_role_arns:
            pulumi.log.warn(
                "awsSageMakerLauncherRoleArns is empty: the SageMaker guardrail policy is attached to no role", resource=self
            )
        # Named by role, so adding or reordering roles leaves the other attachments alone.
        self.attachments = {
            arn: aws.iam.RolePolicyAttachment(
                f"{name}-{role_name(arn)}",
                role=role_name(arn),
                policy_arn=self.policy.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for arn in args.launcher_role_arns
        }
        self.register_outputs({"policyArn": self.policy.arn})
