"""Every AWS setting is validated before anything is registered; one test per rule."""

import json

import pytest

from tests import config_problems
from tests.components.aws.conftest import DEV_ACCOUNT, run_aws

ROLE = f"arn:aws:iam::{DEV_ACCOUNT}:role/ml"


def problems_for(overrides, stack="dev"):
    return config_problems.problems_for(run_aws, overrides, stack)


def only_problem(overrides, key, stack="dev"):
    return config_problems.only_problem(run_aws, overrides, key, stack)


@pytest.mark.parametrize("key", ["awsSageMakerExecutionRoleArns", "awsSageMakerLauncherRoleArns", "awsKeyAdministratorArns"])
@pytest.mark.parametrize(
    "arn",
    [
        "acme-ml-dev-sagemaker-execution",
        f"arn:aws:iam::{DEV_ACCOUNT}:ml",
        "arn:aws:iam::1111:role/ml",
        f"arn:aws:iam:eu-west-1:{DEV_ACCOUNT}:role/ml",
        f"arn:aws:iam::{DEV_ACCOUNT}:role/",
        f"arn:aws:iam::{DEV_ACCOUNT}:group/ml",
    ],
)
def test_malformed_role_arn(key, arn):
    problem = only_problem({key: [arn]}, key)
    assert problem.value == arn
    assert f"must be an IAM ARN arn:aws:iam::ACCOUNT_ID:role/NAME" in problem.allowed
    assert f"cmek-ml:{key} = {arn!r}" in str(problem)


@pytest.mark.parametrize("key", ["awsSageMakerExecutionRoleArns", "awsSageMakerLauncherRoleArns"])
def test_a_key_arn_where_a_role_arn_belongs(key):
    key_arn = f"arn:aws:kms:eu-west-1:{DEV_ACCOUNT}:key/0b7c36e1-8f2a-4a8e-9d3e-1f2a3b4c5d6e"
    problem = only_problem({key: [key_arn]}, key)
    assert problem.value == key_arn and "role/NAME" in problem.allowed


def test_execution_and_launcher_roles_must_be_roles_not_users():
    user = f"arn:aws:iam::{DEV_ACCOUNT}:user/alice"
    assert only_problem({"awsSageMakerExecutionRoleArns": [user]}, "awsSageMakerExecutionRoleArns").value == user
    # A user may administer keys.
    run_aws("dev", {"awsKeyAdministratorArns": [user]})


@pytest.mark.parametrize("region", ["eu-west-9", "us-central1", "europe-west4", "EU-WEST-1", ""])
def test_unknown_region(region):
    problems = problems_for({"awsRegion": region, "aws:region": region or "eu-west-1"})
    assert [p.key for p in problems] == ["awsRegion"], problems
    assert problems[0].value == region
    assert "unknown region" in problems[0].allowed and "eu-west-1" in problems[0].allowed


def test_region_must_match_the_provider_region():
    problem = only_problem({"awsRegion": "eu-central-1"}, "awsRegion")
    assert "aws:region (eu-west-1)" in problem.allowed


@pytest.mark.parametrize("days", [0, 89, 2561, 10000])
def test_rotation_period_outside_90_to_2560_days(days):
    problem = only_problem({"awsKeyRotationPeriodDays": days}, "awsKeyRotationPeriodDays")
    assert problem.value == days and problem.allowed == "must be from 90 to 2560"


@pytest.mark.parametrize("days", [90, 2560])
def test_rotation_period_bounds_are_accepted(days):
    run = run_aws("dev", {"awsKeyRotationPeriodDays": days})
    assert run.by_type("aws:kms/key:Key")[0].inputs["rotationPeriodInDays"] == days


@pytest.mark.parametrize("days", [0, 6, 31, 365])
def test_deletion_window_outside_7_to_30_days(days):
    problem = only_problem({"awsKeyDeletionWindowDays": days}, "awsKeyDeletionWindowDays")
    assert problem.value == days and problem.allowed == "must be from 7 to 30"


@pytest.mark.parametrize(
    "key, arn",
    [
        ("awsSageMakerExecutionRoleArns", f"arn:aws-cn:iam::{DEV_ACCOUNT}:role/ml"),
        ("awsSageMakerLauncherRoleArns", f"arn:aws-us-gov:iam::{DEV_ACCOUNT}:role/ml"),
        ("awsKeyAdministratorArns", f"arn:aws-cn:iam::{DEV_ACCOUNT}:user/admin"),
    ],
)
def test_arn_from_another_partition_than_the_region(key, arn):
    problem = only_problem({key: [arn]}, key)
    assert "but the stack's region is in partition aws" in problem.allowed


def test_commercial_arns_are_wrong_in_a_china_region():
    problems = problems_for({"awsRegion": "cn-north-1", "aws:region": "cn-north-1"})
    assert {p.key for p in problems} == {"awsSageMakerExecutionRoleArns", "awsSageMakerLauncherRoleArns"}
    assert all("partition aws-cn" in p.allowed for p in problems)


def test_launcher_roles_must_be_in_the_stack_account():
    arn = "arn:aws:iam::999988887777:role/ml-launcher"
    problem = only_problem({"awsSageMakerLauncherRoleArns": [arn]}, "awsSageMakerLauncherRoleArns")
    assert f"awsAccountId ({DEV_ACCOUNT})" in problem.allowed


def test_key_administrators_may_not_be_key_users():
    arn = f"arn:aws:iam::{DEV_ACCOUNT}:role/acme-ml-dev-sagemaker-execution"
    problem = only_problem({"awsKeyAdministratorArns": [arn]}, "awsKeyAdministratorArns")
    assert "may not use the key" in problem.allowed


def test_at_least_one_execution_role():
    problem = only_problem({"awsSageMakerExecutionRoleArns": []}, "awsSageMakerExecutionRoleArns")
    assert "at least one" in problem.allowed


@pytest.mark.parametrize("account", ["", "12345678901", "1234567890123", "abcdefghijkl"])
def test_account_id_must_be_12_digits(account):
    problems = problems_for({"awsAccountId": account, "aws:allowedAccountIds": "[]"})
    assert "awsAccountId" in [p.key for p in problems]
    assert any(p.key == "awsAccountId" and "12-digit" in p.allowed for p in problems)


def test_account_id_must_be_one_the_provider_allows():
    problems = problems_for({"awsAccountId": "999988887777"})
    account = [p for p in problems if p.key == "awsAccountId"]
    assert account and "aws:allowedAccountIds" in account[0].allowed


def test_unknown_key_layout():
    problem = only_problem({"awsKeyLayout": "per-key"}, "awsKeyLayout")
    assert "per-purpose, shared" in problem.allowed


@pytest.mark.parametrize("days", [2, 100, 4000])
def test_log_retention_must_be_a_value_cloudwatch_accepts(days):
    problem = only_problem({"awsLogRetentionDays": days}, "awsLogRetentionDays")
    assert problem.value == days


def test_bucket_name_too_long_or_invalid():
    suffix = "x" * 30
    problem = only_problem({"awsBuckets": [suffix]}, "awsBuckets")
    assert problem.value == suffix and "3-63" in problem.allowed
    assert only_problem({"awsBuckets": ["Training_Data"]}, "awsBuckets").value == "Training_Data"


@pytest.mark.parametrize("name", ["ML-Images", "ml images", "/ml", "a"])
def test_ecr_repository_name(name):
    assert only_problem({"awsEcrRepository": name}, "awsEcrRepository").value == name


def test_name_prefix():
    assert only_problem({"awsNamePrefix": "Acme_ML"}, "awsNamePrefix").value == "Acme_ML"


def test_tags_must_be_name_value_pairs():
    assert only_problem({"awsTags": ["env"]}, "awsTags").value == "env"
    assert only_problem({"awsTags": ["aws:owner=me"]}, "awsTags").value == "aws:owner=me"


def test_all_problems_are_reported_together():
    problems = problems_for({"awsKeyRotationPeriodDays": 30, "awsKeyDeletionWindowDays": 60, "awsRegion": "mars-1"})
    assert {p.key for p in problems} >= {"awsKeyRotationPeriodDays", "awsKeyDeletionWindowDays", "awsRegion"}


# --- pipeline roles carry the guardrail (issue 9, point 4) ---------------------------------------


@pytest.mark.parametrize(
    "arn, message",
    [
        ("arn:aws:iam::999988887777:role/pipelines", f"awsAccountId ({DEV_ACCOUNT})"),
        (f"arn:aws:iam::{DEV_ACCOUNT}:user/pipelines", "must be an IAM ARN arn:aws:iam::ACCOUNT_ID:role/NAME"),
    ],
)
def test_pipeline_roles_are_roles_of_the_stack_account(arn, message):
    problem = only_problem({"awsSageMakerPipelineRoleArns": [arn]}, "awsSageMakerPipelineRoleArns")
    assert message in problem.allowed


# --- the deployer may not be a key administrator (issue 9, point 12) -------------------------------

ADMIN = f"arn:aws:iam::{DEV_ACCOUNT}:role/kms-admin"


def test_a_deployer_that_administers_the_keys_is_refused():
    problem = only_problem({"awsKeyAdministratorArns": [ADMIN], "awsDeployerArn": ADMIN}, "awsKeyAdministratorArns")
    assert problem.value == ADMIN
    assert "ECR creates its key grants as the caller" in problem.allowed and "kms:CreateGrant" in problem.allowed


def test_the_provider_assumed_role_is_the_deployer():
    overrides = {"awsKeyAdministratorArns": [ADMIN], "aws:assumeRoles": json.dumps([{"roleArn": ADMIN}])}
    problem = only_problem(overrides, "awsKeyAdministratorArns")
    assert "deploy with a role that is not a key administrator" in problem.allowed


def test_a_separate_deployer_is_accepted():
    run_aws("dev", {"awsKeyAdministratorArns": [ADMIN], "awsDeployerArn": f"arn:aws:iam::{DEV_ACCOUNT}:role/deployer"})


def test_a_malformed_deployer():
    problem = only_problem({"awsDeployerArn": "deployer"}, "awsDeployerArn")
    assert "or empty" in problem.allowed


# --- EBS encryption by default names the service-linked roles (issue 9, point 13) -----------------

AUTOSCALING = f"arn:aws:iam::{DEV_ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def test_ebs_by_default_needs_the_service_linked_roles():
    problem = only_problem({"awsEbsEncryptionByDefault": True}, "awsEbsServiceLinkedRoleArns")
    assert AUTOSCALING in problem.allowed


@pytest.mark.parametrize("arn", [f"arn:aws:iam::{DEV_ACCOUNT}:role/autoscaling", AUTOSCALING.replace(DEV_ACCOUNT, "999988887777")])
def test_service_linked_roles_have_the_service_role_path_in_the_account(arn):
    problem = only_problem({"awsEbsEncryptionByDefault": True, "awsEbsServiceLinkedRoleArns": [arn]}, "awsEbsServiceLinkedRoleArns")
    assert "aws-service-role/SERVICE/NAME" in problem.allowed
