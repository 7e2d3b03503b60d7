"""SageMaker calls that do not name the customer's keys cannot be made.

A key alone does not make jobs use it: jobs, endpoints, notebooks and Studio domains are
created by data scientists and pipelines, not by this program. So the roles that create them
get an IAM policy that denies each data-writing call unless the request names the customer's
keys, per the table in `sagemaker_guarded_actions.yaml` (action -> condition key -> rule).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws
import yaml

from cmek_ml.aws.settings import role_name
from cmek_ml.policy_pack import nvme_instance_types_file

# Shared with the policy pack (one file, in the pack's folder, checked out or installed), so the
# guardrail and the pack exempt the same families.
NVME_INSTANCE_TYPES_FILE = nvme_instance_types_file()
GUARDED_ACTIONS_FILE = Path(__file__).resolve().with_name("sagemaker_guarded_actions.yaml")
INSTANCE_TYPES = "sagemaker:InstanceTypes"
GUARDRAIL_DESCRIPTION = (
    "Deny SageMaker training, tuning, processing and transform jobs that do not use the customer-managed KMS keys"
)
KEY_ROLES = ("volume", "output")
# Which deny statements each rule of the table makes (see the YAML file's header).
RULE_STATEMENTS = {
    "required": ("Without",),
    "unless-nvme": ("OnEbsInstancesWithout", "WithoutInstanceTypesOrWithout"),
    "inline": ("InlineWithout",),
    "inline-unless-nvme": ("OnEbsInstancesWithout",),
    "if-present": ("NamingAnotherKeyThan",),
}


@dataclass(frozen=True)
class GuardedActions:
    condition_keys: Mapping[str, str]
    """Condition key (without `sagemaker:`) -> which customer key it must name (volume or output)."""
    actions: Mapping[str, Mapping[str, str]]
    """Action (without `sagemaker:`) -> condition key -> rule."""


@lru_cache(maxsize=None)
def guarded_actions() -> GuardedActions:
    """The table, checked: every key has a known role, every rule is known."""
    data = yaml.safe_load(GUARDED_ACTIONS_FILE.read_text())
    keys, actions = data["condition_keys"], data["actions"]
    for key, role in keys.items():
        if role not in KEY_ROLES:
            raise ValueError(f"{GUARDED_ACTIONS_FILE.name}: condition key {key}: {role!r} is not one of {KEY_ROLES}")
    for action, rules in actions.items():
        for key, rule in rules.items():
            if key not in keys or rule not in RULE_STATEMENTS:
                raise ValueError(f"{GUARDED_ACTIONS_FILE.name}: {action}: {key}: {rule!r}; keys {sorted(keys)}, rules {sorted(RULE_STATEMENTS)}")
    return GuardedActions(condition_keys=keys, actions=actions)


@lru_cache(maxsize=None)
def nvme_instance_type_patterns() -> tuple[str, ...]:
    """`ml.<family>.*` for each family whose ML storage is local NVMe (see the YAML file)."""
    families = yaml.safe_load(NVME_INSTANCE_TYPES_FILE.read_text())["families"]
    return tuple(f"{family}.*" for family in families)


def guardrail_policy_document(
    volume_key_arn: str, output_key_arn: str, nvme_patterns: Sequence[str], table: Optional[GuardedActions] = None
) -> dict[str, Any]:
    """One deny statement per (condition key, statement kind), naming every action it applies to.

    `ArnNotEquals` (the keys are of type ARN in the reference) is also true when the request
    names no key at all, and for an alias or key id. NVMe instance types reject a volume key,
    so a request whose instance types are all NVMe is exempt from the volume condition; one
    with no instance types in it is not (nothing proves it is NVMe).
    """
    table = table or guarded_actions()
    key_arns = {"volume": volume_key_arn, "output": output_key_arn}
    actions_by_statement: dict[tuple[str, str], list[str]] = defaultdict(list)
    for action, rules in table.actions.items():
        for key, rule in rules.items():
            for kind in RULE_STATEMENTS[rule]:
                actions_by_statement[(key, kind)].append(f"sagemaker:{action}")

    def condition(key: str, kind: str) -> dict[str, Any]:
        other_key = {"ArnNotEquals": {f"sagemaker:{key}": key_arns[table.condition_keys[key]]}}
        if kind == "OnEbsInstancesWithout":
            return {**other_key, "ForAnyValue:StringNotLike": {INSTANCE_TYPES: list(nvme_patterns)}}
        if kind == "WithoutInstanceTypesOrWithout":
            return {**other_key, "Null": {INSTANCE_TYPES: "true"}}
        if kind == "InlineWithout":
            return {**other_key, "Null": {INSTANCE_TYPES: "false"}}
        if kind == "NamingAnotherKeyThan":
            return {**other_key, "Null": {f"sagemaker:{key}": "false"}}
        return other_key

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"DenySageMaker{kind}The{key}",
                "Effect": "Deny",
                "Action": sorted(actions),
                "Resource": "*",
                "Condition": condition(key, kind),
            }
            for (key, kind), actions in sorted(actions_by_statement.items())
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
    """Roles that create jobs, pipeline roles included; the policy is attached to each of them."""
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
            # Unchanged although the policy now covers more calls: a new description replaces an
            # IAM policy (terraform-provider-aws, aws_iam_policy: "description - (Optional, Forces
            # new resource)"), and with a fixed name the replacement would fail (EntityAlreadyExists).
            description=GUARDRAIL_DESCRIPTION,
            policy=pulumi.Output.all(args.volume_key_arn, args.output_key_arn).apply(
                lambda arns: json.dumps(guardrail_policy_document(arns[0], arns[1], patterns))
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if not args.launcher_role_arns:
            pulumi.log.warn(
                "awsSageMakerLauncherRoleArns and awsSageMakerPipelineRoleArns are empty: the SageMaker guardrail policy is attached to no role",
                resource=self,
            )
        # Named by role, so adding or reordering roles leaves the other attachments alone.
        self.attachments = {
            arn: aws.iam.RolePolicyAttachment(
                f"{name}-{role_name(arn)}",
                role=role_name(arn),
                policy_arn=self.policy.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for arn in dict.fromkeys(args.launcher_role_arns)
        }
        self.register_outputs({"policyArn": self.policy.arn})
