"""A customer-managed KMS key: protected, rotating, with a generated key policy and an alias."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

# What key users need to encrypt and decrypt data (SageMaker output, S3 objects, volumes).
KEY_USER_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
# Grants let SageMaker and EBS use the key for volumes that outlive one call; only for AWS resources.
KEY_USER_GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
# Managing the key without using it. No CreateGrant: a grant to oneself would be a way to use it.
KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Get*",
    "kms:List*",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
# Denied to administrators explicitly: the root statement delegates to IAM, and an IAM policy
# such as AdministratorAccess would otherwise let an administrator decrypt.
KEY_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant"]
SERVICE_LINKED_ROLE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
LOGS_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


@dataclass
class KeyPolicySpec:
    account_root_arn: str
    """`arn:<partition>:iam::<account>:root`; keeps the key manageable and delegates to IAM."""
    administrator_arns: Sequence[str] = ()
    """Roles or users that manage the key and are denied its use."""
    user_arns: Sequence[str] = ()
    """Roles that encrypt and decrypt with the key (SageMaker execution roles)."""
    logs_service_principal: str = ""
    """`logs.<region>.<dns suffix>` when CloudWatch Logs encrypts with this key; empty otherwise."""
    log_group_arns: Sequence[str] = ()
    """The only log groups CloudWatch Logs may use the key for."""
    service_linked_role_arns: Sequence[str] = ()
    """Service-linked roles that launch instances whose EBS volumes this key encrypts (EC2 Auto Scaling)."""


def key_policy_document(spec: KeyPolicySpec) -> dict[str, Any]:
    """The key policy, one statement per kind of principal. Resource `*` means this key."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountRoot",
            "Effect": "Allow",
            "Principal": {"AWS": spec.account_root_arn},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if spec.administrator_arns:
        admins = {"AWS": sorted(spec.administrator_arns)}
        statements += [
            {"Sid": "KeyAdministrators", "Effect": "Allow", "Principal": admins, "Action": KEY_ADMIN_ACTIONS, "Resource": "*"},
            {"Sid": "KeyAdministratorsMayNotUseTheKey", "Effect": "Deny", "Principal": admins, "Action": KEY_USE_ACTIONS, "Resource": "*"},
        ]
    if spec.user_arns:
        users = {"AWS": sorted(spec.user_arns)}
        statements += [
            {"Sid": "KeyUsers", "Effect": "Allow", "Principal": users, "Action": KEY_USER_ACTIONS, "Resource": "*"},
            {
                "Sid": "KeyUsersGrantsForAwsResources",
                "Effect": "Allow",
                "Principal": users,
                "Action": KEY_USER_GRANT_ACTIONS,
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    if spec.service_linked_role_arns:
        # What the EC2 Auto Scaling User Guide's "Required AWS KMS key policy for use with
        # encrypted volumes" gives the service-linked role: key use, and grants for AWS resources only.
        linked = {"AWS": sorted(spec.service_linked_role_arns)}
        statements += [
            {"Sid": "ServiceLinkedRolesUseForEbsVolumes", "Effect": "Allow", "Principal": linked, "Action": SERVICE_LINKED_ROLE_ACTIONS, "Resource": "*"},
            {
                "Sid": "ServiceLinkedRolesGrantsForAwsResources",
                "Effect": "Allow",
                "Principal": linked,
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    if spec.logs_service_principal:
        statements.append(
            {
                "Sid": "CloudWatchLogsForSageMakerLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": spec.logs_service_principal},
                "Action": LOGS_ACTIONS,
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": sorted(spec.log_group_arns)}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class KmsKeyArgs:
    alias: str
    """`alias/<prefix>-<purpose>`: what people and tools use to find the key."""
    description: str
    """Key description: which purposes the key serves."""
    policy: KeyPolicySpec
    """Who may administer and use the key."""
    rotation_period_days: int
    """Automatic rotation period (AWS allows 90-2560 days)."""
    deletion_window_days: int = 30
    """Waiting period of a scheduled deletion (AWS allows 7-30 days)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the key."""


class KmsKey(pulumi.ComponentResource):
    """A symmetric key, `protect`ed, with rotation on.

    The policy is a separate `aws.kms.KeyPolicy`, not `Key.policy`: roles, buckets and log
    groups refer to the key, and a policy that referred back to them would be a cycle.
    """

    key: aws.kms.Key
    key_policy: aws.kms.KeyPolicy
    alias: aws.kms.Alias
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: KmsKeyArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:aws:KmsKey", name, None, opts)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=args.rotation_period_days,
            deletion_window_in_days=args.deletion_window_days,
            tags=dict(args.tags),
            # Deleting a key makes everything encrypted under it unreadable.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.key_policy = aws.kms.KeyPolicy(
            f"{name}-policy",
            key_id=self.key.key_id,
            policy=json.dumps(key_policy_document(args.policy)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias", name=args.alias, target_key_id=self.key.key_id, opts=pulumi.ResourceOptions(parent=self)
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.key.arn, "keyId": self.key.key_id, "alias": self.alias.name})
