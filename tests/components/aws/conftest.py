"""Runs the program with only the AWS landing zone enabled, the way each stack configures it."""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

import pytest

from tools import mock_engine, stack_config
from tools.mock_engine import ProgramRun

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
ALIAS = "aws:kms/alias:Alias"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
REPOSITORY = "aws:ecr/repository:Repository"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
IAM_POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
EBS_BY_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
EBS_DEFAULT_KEY = "aws:ebs/defaultKmsKey:DefaultKmsKey"

# The example accounts and roles of stacks/Pulumi.{dev,prod}.yaml.
DEV_ACCOUNT = "111122223333"
PROD_ACCOUNT = "444455556666"
PROD_ADMIN = f"arn:aws:iam::{PROD_ACCOUNT}:role/acme-kms-administrator"
PROD_EXECUTION_ROLES = [
    f"arn:aws:iam::{PROD_ACCOUNT}:role/service-role/acme-ml-prod-sagemaker-pipelines",
    f"arn:aws:iam::{PROD_ACCOUNT}:role/service-role/acme-ml-prod-sagemaker-training",
]
DEV_EXECUTION_ROLE = f"arn:aws:iam::{DEV_ACCOUNT}:role/acme-ml-dev-sagemaker-execution"


def run_aws(stack: str, overrides: Optional[Mapping[str, Any]] = None, preview: bool = False) -> ProgramRun:
    """The stack's program with `clouds: [aws]` plus `overrides`."""
    config = stack_config.resolve(stack, {"clouds": ["aws"], **(overrides or {})})
    return mock_engine.run_project_program(config, stack=stack, preview=preview)


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run_aws("prod")


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_aws("dev")


def key_arns(run: ProgramRun) -> dict[str, str]:
    """Key name (data, volumes, logs or shared) -> ARN, from the exports."""
    return run.outputs["aws"]["keys"]


def policy_of(registration) -> dict:
    return json.loads(registration.inputs["policy"])


def statements_by_sid(policy: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy["Statement"]}
