"""The guardrail: its deny statements, and that it really blocks calls without the keys."""

import json

import pytest
import yaml

from cmek_ml.aws.sagemaker_guardrail import (
    NVME_INSTANCE_TYPES_FILE,
    guarded_actions,
    guardrail_policy_document,
    nvme_instance_type_patterns,
)
from tests.components.aws.conftest import ATTACHMENT, IAM_POLICY, PROD_ACCOUNT, key_arns, policy_of, run_aws, statements_by_sid
from tests.components.aws.iam_evaluator import ALLOW, DENY, Request, evaluate

# Jobs that take a volume key (NVMe exception) and an output key.
JOBS = [
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateDataQualityJobDefinition",
    "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition",
    "sagemaker:CreateModelQualityJobDefinition",
]
ACTIONS = JOBS[:4]


def test_nvme_patterns_come_from_the_shared_data_file():
    families = yaml.safe_load(NVME_INSTANCE_TYPES_FILE.read_text())["families"]
    assert families and nvme_instance_type_patterns() == tuple(f"{f}.*" for f in families)
    assert "ml.p4d.*" in nvme_instance_type_patterns() and "ml.g5.*" in nvme_instance_type_patterns()
    assert "ml.m5.*" not in nvme_instance_type_patterns()


def test_guardrail_statements(prod):
    (policy,) = prod.by_type(IAM_POLICY)
    assert policy.inputs["name"] == "acme-ml-prod-sagemaker-kms-guardrail"
    keys = key_arns(prod)
    statements = statements_by_sid(policy_of(policy))
    volume = {"ArnNotEquals": {"sagemaker:VolumeKmsKey": keys["volumes"]}}
    output = {"ArnNotEquals": {"sagemaker:OutputKmsKey": keys["data"]}}
    assert {sid: s["Condition"] for sid, s in statements.items()} == {
        "DenySageMakerWithoutTheOutputKmsKey": output,
        "DenySageMakerInlineWithoutTheOutputKmsKey": {**output, "Null": {"sagemaker:InstanceTypes": "false"}},
        "DenySageMakerWithoutTheVolumeKmsKey": volume,
        "DenySageMakerOnEbsInstancesWithoutTheVolumeKmsKey": {
            **volume,
            "ForAnyValue:StringNotLike": {"sagemaker:InstanceTypes": list(nvme_instance_type_patterns())},
        },
        "DenySageMakerWithoutInstanceTypesOrWithoutTheVolumeKmsKey": {**volume, "Null": {"sagemaker:InstanceTypes": "true"}},
        "DenySageMakerNamingAnotherKeyThanTheVolumeKmsKey": {**volume, "Null": {"sagemaker:VolumeKmsKey": "false"}},
        "DenySageMakerNamingAnotherKeyThanTheDomainSharingOutputKmsKey": {
            "ArnNotEquals": {"sagemaker:DomainSharingOutputKmsKey": keys["data"]},
            "Null": {"sagemaker:DomainSharingOutputKmsKey": "false"},
        },
        "DenySageMakerNamingAnotherKeyThanTheFeatureGroupOnlineStoreKmsKey": {
            "ArnNotEquals": {"sagemaker:FeatureGroupOnlineStoreKmsKey": keys["data"]},
            "Null": {"sagemaker:FeatureGroupOnlineStoreKmsKey": "false"},
        },
        "DenySageMakerNamingAnotherKeyThanTheFeatureGroupOfflineStoreKmsKey": {
            "ArnNotEquals": {"sagemaker:FeatureGroupOfflineStoreKmsKey": keys["data"]},
            "Null": {"sagemaker:FeatureGroupOfflineStoreKmsKey": "false"},
        },
    }
    for statement in statements.values():
        assert statement["Effect"] == "Deny" and statement["Resource"] == "*" and "Principal" not in statement
    assert set(JOBS) <= set(statements["DenySageMakerOnEbsInstancesWithoutTheVolumeKmsKey"]["Action"])
    assert set(JOBS) <= set(statements["DenySageMakerWithoutTheOutputKmsKey"]["Action"])


def test_the_description_never_changes(prod):
    """A new description would replace the policy, and its fixed name would make that fail."""
    (policy,) = prod.by_type(IAM_POLICY)
    assert policy.inputs["description"] == (
        "Deny SageMaker training, tuning, processing and transform jobs that do not use the customer-managed KMS keys"
    )


def test_guardrail_fits_an_iam_managed_policy(prod):
    """IAM managed policies hold at most 6,144 characters, whitespace not counted (IAM quotas)."""
    (policy,) = prod.by_type(IAM_POLICY)
    assert len(json.dumps(policy_of(policy), separators=(",", ":"))) <= 6144


def test_pipeline_roles_carry_the_guardrail(prod):
    """A pipeline creates its steps' jobs as its pipeline role (CreatePipeline.RoleArn)."""
    roles = sorted(a.inputs["role"] for a in prod.by_type(ATTACHMENT))
    assert "acme-ml-prod-sagemaker-pipelines" in roles


def test_a_role_both_launcher_and_pipeline_role_is_attached_once():
    role = "arn:aws:iam::111122223333:role/acme-ml-dev-data-scientist"
    run = run_aws("dev", {"awsSageMakerPipelineRoleArns": [role]})
    assert [a.inputs["role"] for a in run.by_type(ATTACHMENT)] == ["acme-ml-dev-data-scientist"]


def test_guardrail_is_attached_to_every_launcher_role(prod):
    (policy,) = prod.by_type(IAM_POLICY)
    attachments = prod.by_type(ATTACHMENT)
    assert sorted(a.inputs["role"] for a in attachments) == [
        "acme-ml-prod-data-scientist",
        "acme-ml-prod-pipeline-runner",
        "acme-ml-prod-sagemaker-pipelines",
    ]
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


@pytest.mark.parametrize("action", JOBS)
@pytest.mark.parametrize("label, context, decision", CASES, ids=[c[0] for c in CASES])
def test_guardrail_decisions(action, label, context, decision):
    assert evaluate([LAUNCHER_ALLOW, GUARDRAIL], Request(action=action, context=context)) == decision, label


@pytest.mark.parametrize("action", ["sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob", "sagemaker:CreateModel"])
def test_other_sagemaker_calls_are_not_affected(action):
    assert evaluate([LAUNCHER_ALLOW, GUARDRAIL], Request(action=action, context=job())) == ALLOW


def job_with(**keys):
    """A request context naming the given condition keys (sagemaker: prefix added)."""
    return {f"sagemaker:{k}": v for k, v in keys.items()}


EBS = {"InstanceTypes": ["ml.m5.xlarge"]}
NVME = {"InstanceTypes": ["ml.g5.xlarge"]}
OTHER_CALL_CASES = [
    # Monitoring schedules: an inline job definition carries instance types and must name the
    # keys; one that refers to a job definition by name carries none and passes.
    ("sagemaker:CreateMonitoringSchedule", job_with(**EBS), DENY),
    ("sagemaker:CreateMonitoringSchedule", job_with(**EBS, VolumeKmsKey=VOLUME_KEY), DENY),
    ("sagemaker:CreateMonitoringSchedule", job_with(**EBS, VolumeKmsKey=VOLUME_KEY, OutputKmsKey=OUTPUT_KEY), ALLOW),
    ("sagemaker:CreateMonitoringSchedule", job_with(**NVME, OutputKmsKey=OUTPUT_KEY), ALLOW),
    ("sagemaker:CreateMonitoringSchedule", job_with(), ALLOW),
    ("sagemaker:UpdateMonitoringSchedule", job_with(**EBS, OutputKmsKey=OUTPUT_KEY), DENY),
    ("sagemaker:UpdateMonitoringSchedule", job_with(**EBS, VolumeKmsKey=VOLUME_KEY, OutputKmsKey=OUTPUT_KEY), ALLOW),
    # AutoML: both keys, always (no instance types in its condition keys).
    ("sagemaker:CreateAutoMLJob", job_with(OutputKmsKey=OUTPUT_KEY), DENY),
    ("sagemaker:CreateAutoMLJobV2", job_with(VolumeKmsKey=VOLUME_KEY), DENY),
    ("sagemaker:CreateAutoMLJobV2", job_with(VolumeKmsKey=VOLUME_KEY, OutputKmsKey=OUTPUT_KEY), ALLOW),
    # Labeling: the output key always; a volume key only with automated labeling, and then ours.
    ("sagemaker:CreateLabelingJob", job_with(), DENY),
    ("sagemaker:CreateLabelingJob", job_with(OutputKmsKey=OUTPUT_KEY), ALLOW),
    ("sagemaker:CreateLabelingJob", job_with(OutputKmsKey=OUTPUT_KEY, VolumeKmsKey=OTHER_KEY), DENY),
    # Notebook instances and domains: without a key SageMaker uses a system-managed one.
    ("sagemaker:CreateNotebookInstance", job_with(InstanceTypes=["ml.t3.medium"]), DENY),
    ("sagemaker:CreateNotebookInstance", job_with(InstanceTypes=["ml.m5d.large"]), DENY),  # always an EBS volume
    ("sagemaker:CreateNotebookInstance", job_with(InstanceTypes=["ml.t3.medium"], VolumeKmsKey=VOLUME_KEY), ALLOW),
    ("sagemaker:CreateDomain", job_with(), DENY),
    ("sagemaker:CreateDomain", job_with(VolumeKmsKey=VOLUME_KEY), ALLOW),
    ("sagemaker:CreateDomain", job_with(VolumeKmsKey=VOLUME_KEY, DomainSharingOutputKmsKey=OTHER_KEY), DENY),
    ("sagemaker:CreateDomain", job_with(VolumeKmsKey=VOLUME_KEY, DomainSharingOutputKmsKey=OUTPUT_KEY), ALLOW),
    ("sagemaker:UpdateDomain", job_with(DomainSharingOutputKmsKey=OTHER_KEY), DENY),
    ("sagemaker:CreateUserProfile", job_with(DomainSharingOutputKmsKey=OTHER_KEY), DENY),
    ("sagemaker:UpdateUserProfile", job_with(), ALLOW),
    # Endpoint configs: the volume key unless every variant is NVMe.
    ("sagemaker:CreateEndpointConfig", job_with(**EBS), DENY),
    ("sagemaker:CreateEndpointConfig", job_with(**EBS, VolumeKmsKey=VOLUME_KEY), ALLOW),
    ("sagemaker:CreateEndpointConfig", job_with(InstanceTypes=["ml.c6gd.xlarge"]), ALLOW),
    ("sagemaker:CreateEndpointConfig", job_with(InstanceTypes=["ml.c6gd.xlarge", "ml.m5.xlarge"]), DENY),
    # Feature groups: a store key the request names must be ours.
    ("sagemaker:CreateFeatureGroup", job_with(FeatureGroupOnlineStoreKmsKey=OTHER_KEY), DENY),
    ("sagemaker:CreateFeatureGroup", job_with(FeatureGroupOfflineStoreKmsKey=OTHER_KEY), DENY),
    ("sagemaker:CreateFeatureGroup", job_with(FeatureGroupOnlineStoreKmsKey=OUTPUT_KEY, FeatureGroupOfflineStoreKmsKey=OUTPUT_KEY), ALLOW),
    # Condition key names are not case-sensitive in IAM: a differently cased name is the same key.
    ("sagemaker:CreateTrainingJob", {"SageMaker:volumekmskey": VOLUME_KEY, "SAGEMAKER:OUTPUTKMSKEY": OUTPUT_KEY, **job_with(**EBS)}, ALLOW),
]


@pytest.mark.parametrize("action, context, decision", OTHER_CALL_CASES, ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(OTHER_CALL_CASES)])
def test_guardrail_decisions_beyond_jobs(action, context, decision):
    assert evaluate([LAUNCHER_ALLOW, GUARDRAIL], Request(action=action, context=context)) == decision


def test_every_action_of_the_table_is_in_the_policy():
    actions = {a for s in GUARDRAIL["Statement"] for a in s["Action"]}
    assert actions == {f"sagemaker:{a}" for a in guarded_actions().actions}
