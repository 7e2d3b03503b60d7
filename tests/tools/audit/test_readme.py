"""README "Audit a live account": its commands parse, its sample output is what the audit prints for the same
jobs (against moto), and its exit-code table is the code's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import boto3

from tools.audit import cli, model

from .test_aws_moto import IMAGE, ROLE

README = Path(__file__).resolve().parents[3] / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Audit a live account")
    return text[start:text.index("\n## ", start + 1)]


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", _section(), flags=re.S)


def test_commands_parse():
    commands = [line.split("#")[0].strip() for line in _blocks("bash")[0].splitlines() if line.strip()]
    assert len(commands) == 5
    for command in commands:
        argv = shlex.split(command)
        assert argv[:3] == ["python", "-m", "tools.audit"]
        args = cli.parser().parse_args(argv[3:])
        cli._validate(args)
        cli.parse_since(args.since)


def test_exit_code_table_is_the_codes():
    rows = dict(re.findall(r"^\| (\d) \| (.+?) \|$", _section(), flags=re.M))
    assert set(rows) == {str(c) for c in (model.EXIT_CLEAN, model.EXIT_FINDINGS, model.EXIT_CANNOT_RUN,
                                          model.EXIT_INCOMPLETE)}
    assert "findings" in rows[str(model.EXIT_FINDINGS)] and "could not run" in rows[str(model.EXIT_CANNOT_RUN)]


def test_sample_output_is_what_the_audit_prints(aws_env, audit, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    sagemaker = boto3.client("sagemaker", region_name="eu-west-1")
    key = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["Arn"]

    def job(name: str, instance_type: str = "ml.m5.xlarge", volume: str | None = None, output: str | None = None):
        resources = {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30,
                     **({"VolumeKmsKeyId": volume} if volume else {})}
        sagemaker.create_training_job(
            TrainingJobName=name, RoleArn=ROLE, AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            OutputDataConfig={"S3OutputPath": "s3://acme-ml-models/out", **({"KmsKeyId": output} if output else {})},
            ResourceConfig=resources, StoppingCondition={"MaxRuntimeInSeconds": 3600})

    job("churn-both-keys", volume=key, output=key)
    job("churn-no-volume-key", output=key)
    job("churn-no-keys")
    job("llm-p4d", instance_type="ml.p4d.24xlarge", output=key)
    printed = audit("--cloud", "aws", "--region", "eu-west-1").out
    sample = _blocks("text")[0]
    findings = sample.split("\n\nExempt")[0]
    assert findings in printed
    exempt_head = sample.split("\n\n")[1].rstrip(". \n")
    assert exempt_head in printed


def test_roles_per_cloud_are_named():
    section = _section()
    for role in ("--print-policy", "roles/cloudasset.viewer", "roles/aiplatform.viewer", "roles/dataflow.viewer",
                 "`Reader`"):
        assert role in section
