"""KMS keys: protected, rotating, aliased, and a key policy checked statement by statement."""

import json

import pytest

from cmek_ml.aws.kms_key import KEY_ADMIN_ACTIONS, KEY_USE_ACTIONS, KeyPolicySpec, key_policy_document
from tests.components.aws.conftest import (
    ALIAS,
    DEV_ACCOUNT,
    DEV_EXECUTION_ROLE,
    KEY,
    KEY_POLICY,
    PROD_ACCOUNT,
    PROD_ADMIN,
    PROD_EXECUTION_ROLES,
    key_arns,
    policy_of,
    run_aws,
    statements_by_sid,
)
from tests.components.aws.iam_evaluator import ALLOW, DENY, IMPLICIT_DENY, Request, evaluate

PROD_LOG_GROUPS = sorted(
    f"arn:aws:logs:eu-west-1:{PROD_ACCOUNT}:log-group:/aws/sagemaker/{jobs}"
    for jobs in ("TrainingJobs", "ProcessingJobs", "TransformJobs")
)


def key_policies(run) -> dict[str, dict]:
    """Key name -> its generated key policy."""
    return {p.name.removeprefix("aws-key-").removesuffix("-policy"): policy_of(p) for p in run.by_type(KEY_POLICY)}


def test_keys_are_protected_rotating_and_keep_a_30_day_deletion_window(prod, dev):
    for run, rotation in ((prod, 180), (dev, 365)):
        for key in run.by_type(KEY):
            assert key.protect, f"{key.urn} is not protected"
            assert key.inputs["enableKeyRotation"] is True
            assert key.inputs["rotationPeriodInDays"] == rotation
            assert key.inputs["deletionWindowInDays"] == 30
            assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT"
            assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
            # The policy is the KeyPolicy resource's alone: setting both makes them fight.
            assert "policy" not in key.inputs


def test_per_purpose_layout_makes_a_key_and_an_alias_per_purpose(prod, dev):
    assert sorted(k.name for k in prod.by_type(KEY)) == ["aws-key-data-key", "aws-key-logs-key", "aws-key-volumes-key"]
    assert sorted(a.inputs["name"] for a in prod.by_type(ALIAS)) == [
        "alias/acme-ml-prod-data",
        "alias/acme-ml-prod-logs",
        "alias/acme-ml-prod-volumes",
    ]
    assert [a.inputs["name"] for a in dev.by_type(ALIAS)] == ["alias/acme-ml-dev-shared"]


def test_key_policy_and_alias_target_their_key(prod):
    keys = {k.name.removesuffix("-key"): k for k in prod.by_type(KEY)}
    for policy in prod.by_type(KEY_POLICY):
        key = keys[policy.name.removesuffix("-policy")]
        assert policy.property_dependencies["keyId"] == [key.urn]
        assert policy.inputs["keyId"] == key.state["keyId"]
    for alias in prod.by_type(ALIAS):
        key = keys[alias.name.removesuffix("-alias")]
        assert alias.property_dependencies["targetKeyId"] == [key.urn]


def test_account_root_statement(prod):
    for name, policy in key_policies(prod).items():
        assert policy["Version"] == "2012-10-17"
        assert statements_by_sid(policy)["AccountRoot"] == {
            "Sid": "AccountRoot",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PROD_ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }, name


def test_administrators_manage_but_are_denied_use(prod):
    for name, policy in key_policies(prod).items():
        statements = statements_by_sid(policy)
        admin = statements["KeyAdministrators"]
        assert admin["Effect"] == "Allow" and admin["Principal"] == {"AWS": [PROD_ADMIN]}
        assert admin["Action"] == KEY_ADMIN_ACTIONS
        for use in ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:*", "kms:Create*"):
            assert use not in admin["Action"], f"{name}: administrators may {use}"
        deny = statements["KeyAdministratorsMayNotUseTheKey"]
        assert deny == {
            "Sid": "KeyAdministratorsMayNotUseTheKey",
            "Effect": "Deny",
            "Principal": {"AWS": [PROD_ADMIN]},
            "Action": KEY_USE_ACTIONS,
            "Resource": "*",
        }


def test_execution_roles_use_the_data_and_volumes_keys(prod):
    policies = key_policies(prod)
    for name in ("data", "volumes"):
        statements = statements_by_sid(policies[name])
        assert statements["KeyUsers"] == {
            "Sid": "KeyUsers",
            "Effect": "Allow",
            "Principal": {"AWS": PROD_EXECUTION_ROLES},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
        }
        assert statements["KeyUsersGrantsForAwsResources"] == {
            "Sid": "KeyUsersGrantsForAwsResources",
            "Effect": "Allow",
            "Principal": {"AWS": PROD_EXECUTION_ROLES},
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        }
        assert "CloudWatchLogsForSageMakerLogGroups" not in statements
    assert list(statements_by_sid(policies["logs"])) == [
        "AccountRoot",
        "KeyAdministrators",
        "KeyAdministratorsMayNotUseTheKey",
        "CloudWatchLogsForSageMakerLogGroups",
    ]


def test_cloudwatch_logs_may_use_the_logs_key_for_the_sagemaker_log_groups_only(prod):
    statement = statements_by_sid(key_policies(prod)["logs"])["CloudWatchLogsForSageMakerLogGroups"]
    assert statement == {
        "Sid": "CloudWatchLogsForSageMakerLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": PROD_LOG_GROUPS}},
    }


def test_shared_key_carries_every_statement_and_no_admin_statements_without_admins(dev):
    (policy,) = key_policies(dev).values()
    statements = statements_by_sid(policy)
    assert list(statements) == ["AccountRoot", "KeyUsers", "KeyUsersGrantsForAwsResources", "CloudWatchLogsForSageMakerLogGroups"]
    assert statements["AccountRoot"]["Principal"] == {"AWS": f"arn:aws:iam::{DEV_ACCOUNT}:root"}
    assert statements["KeyUsers"]["Principal"] == {"AWS": [DEV_EXECUTION_ROLE]}


def test_china_partition_arns_and_logs_principal():
    account = "111122223333"
    role = f"arn:aws-cn:iam::{account}:role/ml-execution"
    run = run_aws(
        "dev",
        {
            "aws:region": "cn-north-1",
            "awsRegion": "cn-north-1",
            "awsSageMakerExecutionRoleArns": [role],
            "awsSageMakerLauncherRoleArns": [f"arn:aws-cn:iam::{account}:role/launcher"],
        },
    )
    statements = statements_by_sid(policy_of(run.by_type(KEY_POLICY)[0]))
    assert statements["AccountRoot"]["Principal"] == {"AWS": f"arn:aws-cn:iam::{account}:root"}
    logs = statements["CloudWatchLogsForSageMakerLogGroups"]
    assert logs["Principal"] == {"Service": "logs.cn-north-1.amazonaws.com.cn"}
    assert all(a.startswith(f"arn:aws-cn:logs:cn-north-1:{account}:log-group:") for a in logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert key_arns(run)["shared"].startswith(f"arn:aws-cn:kms:cn-north-1:{account}:key/")


# --- what the key policy allows, evaluated ----------------------------------------------------

SPEC = KeyPolicySpec(
    account_root_arn="arn:aws:iam::444455556666:root",
    administrator_arns=[PROD_ADMIN],
    user_arns=PROD_EXECUTION_ROLES,
    logs_service_principal="logs.eu-west-1.amazonaws.com",
    log_group_arns=PROD_LOG_GROUPS,
)
TRAINING_ROLE = ("AWS", PROD_EXECUTION_ROLES[1])
ADMIN = ("AWS", PROD_ADMIN)
LOGS = ("Service", "logs.eu-west-1.amazonaws.com")
LOGS_CONTEXT = "kms:EncryptionContext:aws:logs:arn"


@pytest.mark.parametrize(
    "principal, action, context, decision",
    [
        (TRAINING_ROLE, "kms:Decrypt", {}, ALLOW),
        (TRAINING_ROLE, "kms:GenerateDataKeyWithoutPlaintext", {}, ALLOW),
        (TRAINING_ROLE, "kms:ReEncryptFrom", {}, ALLOW),
        (TRAINING_ROLE, "kms:CreateGrant", {"kms:GrantIsForAWSResource": "true"}, ALLOW),
        (TRAINING_ROLE, "kms:CreateGrant", {}, IMPLICIT_DENY),
        (TRAINING_ROLE, "kms:ScheduleKeyDeletion", {}, IMPLICIT_DENY),
        (TRAINING_ROLE, "kms:PutKeyPolicy", {}, IMPLICIT_DENY),
        (ADMIN, "kms:ScheduleKeyDeletion", {}, ALLOW),
        (ADMIN, "kms:PutKeyPolicy", {}, ALLOW),
        (ADMIN, "kms:Decrypt", {}, DENY),
        (ADMIN, "kms:GenerateDataKey", {}, DENY),
        (ADMIN, "kms:CreateGrant", {"kms:GrantIsForAWSResource": "true"}, DENY),
        (LOGS, "kms:GenerateDataKey", {LOGS_CONTEXT: PROD_LOG_GROUPS[0]}, ALLOW),
        (LOGS, "kms:Decrypt", {LOGS_CONTEXT: f"arn:aws:logs:eu-west-1:{PROD_ACCOUNT}:log-group:/app/other"}, IMPLICIT_DENY),
        (LOGS, "kms:Decrypt", {}, IMPLICIT_DENY),
        (("Service", "logs.us-east-1.amazonaws.com"), "kms:Decrypt", {LOGS_CONTEXT: PROD_LOG_GROUPS[0]}, IMPLICIT_DENY),
        (LOGS, "kms:ScheduleKeyDeletion", {LOGS_CONTEXT: PROD_LOG_GROUPS[0]}, IMPLICIT_DENY),
    ],
)
def test_key_policy_decisions(principal, action, context, decision):
    request = Request(action=action, principal=principal, context=context)
    assert evaluate([key_policy_document(SPEC)], request) == decision


def test_generated_policy_is_what_is_deployed(prod):
    deployed = key_policies(prod)["data"]
    spec = KeyPolicySpec(
        account_root_arn=f"arn:aws:iam::{PROD_ACCOUNT}:root", administrator_arns=[PROD_ADMIN], user_arns=PROD_EXECUTION_ROLES
    )
    assert deployed == json.loads(json.dumps(key_policy_document(spec)))


# --- EBS encryption by default: Auto Scaling's service-linked role (issue 9, point 13) -----------

AUTOSCALING = f"arn:aws:iam::{PROD_ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def test_the_volumes_key_lets_auto_scaling_launch_encrypted_instances(prod):
    """The EC2 Auto Scaling User Guide's key policy for encrypted volumes, on the volumes key only."""
    policies = key_policies(prod)
    volumes = policies["volumes"]
    for action, context, decision in [
        ("kms:GenerateDataKeyWithoutPlaintext", {}, ALLOW),
        ("kms:Decrypt", {}, ALLOW),
        ("kms:ReEncryptTo", {}, ALLOW),
        ("kms:DescribeKey", {}, ALLOW),
        ("kms:CreateGrant", {"kms:GrantIsForAWSResource": "true"}, ALLOW),
        ("kms:CreateGrant", {"kms:GrantIsForAWSResource": "false"}, IMPLICIT_DENY),
        ("kms:CreateGrant", {}, IMPLICIT_DENY),
        ("kms:ScheduleKeyDeletion", {}, IMPLICIT_DENY),
    ]:
        assert evaluate([volumes], Request(action, principal=("AWS", AUTOSCALING), context=context)) == decision, action
    for other in ("data", "logs"):
        assert AUTOSCALING not in json.dumps(policies[other])


def test_no_service_linked_role_grants_without_ebs_encryption_by_default():
    run = run_aws("prod", {"awsEbsEncryptionByDefault": False})
    assert all("ServiceLinkedRoles" not in json.dumps(p) for p in key_policies(run).values())
