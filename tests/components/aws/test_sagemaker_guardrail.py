"""The guardrail: its deny statements exactly, and that it really blocks jobs without the keys."""

import pytest
import yaml

from cmek_ml.aws.sagemaker_guardrail import (
    GUARDED_ACTIONS,
    NVME_INSTANCE_TYPES_FILE,
    guardrail_policy_document,
    nvme_instance_type_patterns,
)
from tests.components.aws.conftest import ATTACHMENT, IAM_POLICY, PROD_ACCOUNT, key_arns, policy_of, statements_by_sid
from tests.components.aws.iam_evaluator import ALLOW, DENY, Request, evaluate

ACTIONS = [
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateTransformJob",
]


def test_nvme_patterns_come_from_the_shared_data_file():
    families = yaml.safe_load(NVME_INSTANCE_TYPES_FILE.read_text())["families"]
    assert families and nvme_instance_type_patterns() == tuple(f"{f}.*" for f in families)
    assert "ml.p4d.*" in nvme_instance_type_patterns() and "ml.g5.*" in nvme_instance_type_patterns()
    assert "ml.m5.*" not in nvme_instance_type_patterns()


def test_guardrail_statements_exactly(prod):
    (policy,) = prod.by_type(IAM_POLICY)
    assert policy.inputs["name"] == "acme-ml-prod-sagemaker-kms-guardrail"
    keys = key_arns(prod)
    statements = statements_by_sid(policy_of(policy))
    assert statements == {
        "DenySageMakerJobsWithoutTheOutputKey": {
            "Sid": "DenySageMakerJobsWithoutTheOutputKey",
            "Effect": "Deny",
            "Action": ACTIONS,
            "Resource": "*",
            "Condition": {"StringNotEquals": {"sagemaker:OutputKmsKey": keys["data"]}},
        },
        "DenySageMakerJobsOnEbsInstancesWithoutTheVolumeKey": {
            "Sid": "DenySageMakerJobsOnEbsInstancesWithoutTheVolumeKey",
            "Effect": "Deny",
            "Action": ACTIONS,
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"sagemaker:VolumeKmsKey": keys["volumes"]},
                "ForAnyValue:StringNotLike": {"sagemaker:InstanceTypes": list(nvme_instance_type_patterns())},
            },
        },
        "DenySageMakerJobsWithoutInstanceTypesOrTheVolumeKey": {
            "Sid": "DenySageMakerJobsWithoutInstanceTypesOrTheVolumeKey",
            "Effect": "Deny",
            "Action": ACTIONS,
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"sagemaker:VolumeKmsKey": keys["volumes"]},
                "Null": {"sagemaker:InstanceTypes": "true"},
            },
        },
    }


def test_guardrail_is_attached_to_every_launcher_role(prod):
    (policy,) = prod.by_type(IAM_POLICY)
    attachments = prod.by_type(ATTACHMENT)
    assert sorted(a.inputs["role"] for a in attachments) == ["acme-ml-prod-data-scientist", "acme-ml-prod-pipeline-runner"]
    for attachment in attachments:
        assert attachment.inputs["policyArn"] == f"arn:aws:iam::{PROD_ACCOUNT}:policy/acme-ml-prod-sagemaker-kms-guardrail"
        assert attachment.property_dependencies["policyArn"] == [policy.urn]
    assert prod.outputs["aws"]["sageMakerGuardrailPolicyArn"] == policy.state["arn"]


def test_roles_with_a_path_attach_by_name(run_component):
    from cmek_ml.aws.sagemaker_guardrail import SageMakerGuardrail, SageMakerGuardrailArgs

    run = run_component(
        lambda: SageMakerGuardrail(
            "g",
            SageMakerGuardrailArgs(
                policy_name="p",
                volume_key_arn="arn:aws:kms:eu-west-1:111122223333:key/v",
                output_key_arn="arn:aws:kms:eu-west-1:111122223333:key/o",
                launcher_role_arns=["arn:aws:iam::111122223333:role/teams/ml/launcher"],
            ),
        )
    )
    assert [a.inputs["role"] for a in run.by_type(ATTACHMENT)] == ["launcher"]
    assert [a.name for a in run.by_type(ATTACHMENT)] == ["g-launcher"]


# --- does it block? ---------------------------------------------------------------------------

VOLUME_KEY = "arn:aws:kms:eu-west-1:444455556666:key/11111111-1111-1111-1111-111111111111"
OUTPUT_KEY = "arn:aws:kms:eu-west-1:444455556666:key/22222222-2222-2222-2222-222222222222"
OTHER_KEY = "arn:aws:kms:eu-west-1:444455556666:key/99999999-9999-9999-9999-999999999999"
GUARDRAIL = guardrail_policy_document(VOLUME_KEY, OUTPUT_KEY, nvme_instance_type_patterns())
# What a launcher role has besides the guardrail, e.g. AmazonSageMakerFullAccess.
LAUNCHER_ALLOW = {"Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}


def job(volume=None, output=None, instance_types=("ml.m5.xlarge",)):
    context = {}
    if volume:
        context["sagemaker:VolumeKmsKey"] = volume
    if output:
        context["sagemaker:OutputKmsKey"] = output
    if instance_types is not None:
        context["sagemaker:InstanceTypes"] = list(instance_types)
    return context


CASES = [
    ("both keys, EBS instance", job(VOLUME_KEY, OUTPUT_KEY), ALLOW),
    ("no keys at all (the default)", job(), DENY),
    ("volume key only", job(VOLUME_KEY), DENY),
    ("output key only, EBS instance", job(output=OUTPUT_KEY), DENY),
    ("another key for the volume", job(OTHER_KEY, OUTPUT_KEY), DENY),
    ("another key for the output", job(VOLUME_KEY, OTHER_KEY), DENY),
    ("keys swapped", job(OUTPUT_KEY, VOLUME_KEY), DENY),
    ("an alias instead of the ARN", job("alias/acme-ml-prod-volumes", OUTPUT_KEY), DENY),
    ("NVMe instance, output key, no volume key", job(output=OUTPUT_KEY, instance_types=["ml.p4d.24xlarge"]), ALLOW),
    ("NVMe g5, output key, no volume key", job(output=OUTPUT_KEY, instance_types=["ml.g5.12xlarge"]), ALLOW),
    ("NVMe instance without the output key", job(instance_types=["ml.p4d.24xlarge"]), DENY),
    ("NVMe and EBS instances mixed, no volume key", job(output=OUTPUT_KEY, instance_types=["ml.p4d.24xlarge", "ml.m5.xlarge"]), DENY),
    ("NVMe and EBS instances mixed, both keys", job(VOLUME_KEY, OUTPUT_KEY, ["ml.p4d.24xlarge", "ml.m5.xlarge"]), ALLOW),
    ("no instance types in the request, no volume key", job(output=OUTPUT_KEY, instance_types=None), DENY),
    ("no instance types in the request, both keys", job(VOLUME_KEY, OUTPUT_KEY, instance_types=None), ALLOW),
    ("ml.m5 (EBS) is not taken for ml.m5d (NVMe)", job(output=OUTPUT_KEY, instance_types=["ml.m5.2xlarge"]), DENY),
]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("label, context, decision", CASES, ids=[c[0] for c in CASES])
def test_guardrail_decisions(action, label, context, decision):
    assert evaluate([LAUNCHER_ALLOW, GUARDRAIL], Request(action=action, context=context)) == decision, label


@pytest.mark.parametrize("action", ["sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob", "sagemaker:CreateModel"])
def test_other_sagemaker_calls_are_not_affected(action):
    assert evaluate([LAUNCHER_ALLOW, GUARDRAIL], Request(action=action, context=job())) == ALLOW


def test_guarded_actions_are_the_four_job_creations():
    assert GUARDED_ACTIONS == ACTIONS
