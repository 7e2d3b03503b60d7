"""The least-privilege IAM policy for the AWS audit, generated from the `audit:` blocks it reads."""

from __future__ import annotations

from typing import Any

from .aws import iam_actions
from .rules import Rules

ALWAYS = ("kms:DescribeKey",)
"""Resolving key ids and aliases. sts:GetCallerIdentity needs no permission (STS API reference)."""


def actions(rules: Rules) -> list[str]:
    found = set(ALWAYS)
    for audited in rules.audited("aws"):
        found.update(iam_actions(audited))
    return sorted(found)


def read_only_policy(rules: Rules) -> dict[str, Any]:
    """An identity policy with every List/Describe/Get action the audit calls and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "CmekMlAuditReadOnly", "Effect": "Allow", "Action": actions(rules), "Resource": "*"}],
    }
