"""SageMaker log groups: the logs key, a retention, created after the key policy allows Logs."""

from tests.components.aws.conftest import KEY_POLICY, LOG_GROUP, key_arns


def test_sagemaker_log_groups_use_the_logs_key_and_retention(prod, dev):
    for run, key, retention in ((prod, "logs", 731), (dev, "shared", 30)):
        groups = {g.inputs["name"]: g for g in run.by_type(LOG_GROUP)}
        assert set(groups) == {"/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/TransformJobs"}
        for group in groups.values():
            assert group.inputs["kmsKeyId"] == key_arns(run)[key]
            assert group.inputs["retentionInDays"] == retention


def test_log_groups_wait_for_the_key_policy(prod):
    (logs_policy,) = [p for p in prod.by_type(KEY_POLICY) if p.name == "aws-key-logs-policy"]
    for group in prod.by_type(LOG_GROUP):
        assert logs_policy.urn in group.dependencies, group.name


def test_log_groups_are_exported(prod):
    assert prod.outputs["aws"]["logGroups"] == [
        "/aws/sagemaker/TrainingJobs",
        "/aws/sagemaker/ProcessingJobs",
        "/aws/sagemaker/TransformJobs",
    ]
