"""Exit codes and one-line errors: 2 when the audit cannot run, 3 when incomplete, 1 with findings whatever else."""

from __future__ import annotations

import io

import boto3
import pytest

from tools.audit.progress import Progress

from .fake_aws import EXPIRED_TOKEN_XML, THROTTLING_JSON, FakeAws


def _one_line_error(run, *words: str) -> None:
    assert run.code == 2, run.err
    assert run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.err, run.err
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize("argv, words", [
    (["--cloud", "aws", "--region", "us-moon-1"], ["--region us-moon-1", "not an AWS region"]),
    (["--cloud", "aws", "--since", "last week"], ["--since last week", "30d"]),
    (["--cloud", "aws", "--since", "2999-01-01"], ["future"]),
    (["--cloud", "gcp", "--scope", "project/acme"], ["--scope project/acme", "organizations/<number>"]),
    (["--cloud", "gcp"], ["needs --scope"]),
    (["--cloud", "gcp", "--scope", "projects/acme-ml", "--region", "Europe West"], ["--region Europe West", "europe-west4"]),
    (["--cloud", "azure", "--subscription", "acme-prod"], ["--subscription acme-prod", "subscription id"]),
    (["--cloud", "aws", "--scope", "projects/acme-ml"], ["--scope is for --cloud gcp"]),
    (["--cloud", "azure", "--region", "westeurope"], ["--region is for --cloud aws or gcp"]),
    (["--cloud", "oracle"], ["invalid choice: 'oracle'"]),
    (["--cloud", "aws", "--format", "xml"], ["invalid choice: 'xml'"]),
])
def test_bad_input_is_one_line_and_exit_2(aws_env, audit, argv, words):
    _one_line_error(audit(*argv), *words)


def test_unknown_profile(aws_env, audit):
    _one_line_error(audit("--cloud", "aws", "--profile", "nobody"), "--profile nobody", "no such profile")


def test_no_credentials(aws_env, audit, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    _one_line_error(audit("--cloud", "aws"), "no AWS credentials")


def test_expired_token(aws_env, audit, monkeypatch):
    with FakeAws(EXPIRED_TOKEN_XML) as sts:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        _one_line_error(audit("--cloud", "aws"), "ExpiredToken", "Refresh")


def test_throttled_after_retries_is_not_checked_and_exit_3(aws_env, audit, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    with FakeAws(THROTTLING_JSON) as sagemaker:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", sagemaker.url)
        run = audit("--cloud", "aws", "--format", "json")
        calls = sagemaker.calls
    reasons = {n["what"]: n["reason"] for n in run.json["notChecked"]}
    assert reasons["aws:sagemaker/trainingJob:TrainingJob in us-east-1"] == (
        "throttled: sagemaker:ListTrainingJobs still answered ThrottlingException after 1 retries")
    sagemaker_types = [w for w in reasons if w.startswith("aws:sagemaker/") and w.endswith(" in us-east-1")]
    assert calls == 2 * len(sagemaker_types)  # botocore's standard mode retried each call once (AWS_MAX_ATTEMPTS=2)
    assert run.json["findings"] == [] and run.code == 3


def test_each_client_gets_its_own_standard_retry_config():
    """botocore writes the resolved attempts into the Config's retries dict: a shared one would carry one run's
    AWS_MAX_ATTEMPTS into the next (found when the expired-token test ran before the throttling one)."""
    from tools.audit import aws
    assert aws.client_config() is not aws.client_config()
    assert aws.client_config().retries == {"mode": "standard"}


def test_unreachable_endpoint_with_findings_exits_1(aws_env, audit, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:9")
    boto3.client("sagemaker", region_name="us-east-1").create_notebook_instance(
        NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn="arn:aws:iam::123456789012:role/r")
    run = audit("--cloud", "aws", "--format", "json")
    reasons = {n["what"]: n["reason"] for n in run.json["notChecked"]}
    assert "endpoint unreachable" in reasons["aws:ecr/repository:Repository in us-east-1"]
    assert [f["field"] for f in run.json["findings"]] == ["KmsKeyId"]
    assert run.code == 1


def test_progress_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(stream)
        progress.step("sagemaker:ListTrainingJobs in us-east-1", 250)
        progress.done()
    assert "250 resources read; sagemaker:ListTrainingJobs in us-east-1" in terminal.getvalue()
    assert pipe.getvalue() == ""
