"""Output formats: SARIF 2.1.0 valid against the OASIS schema, results naming the resource, not-checked parts as
tool notifications; JSON; text; and the read-only IAM policy from the command line."""

from __future__ import annotations

import json

import jsonschema

from ..sarif_check import SCHEMA
from .test_aws_moto import _key, _training_job

def _schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (oasis-tcs/sarif-spec), vendored once for every SARIF test."""
    return json.loads(SCHEMA.read_text())


def _scene(monkeypatch) -> None:
    """A finding, an NVMe exemption and a part that cannot be checked (ECR unreachable)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:9")
    _training_job("no-keys")
    _training_job("nvme", instance_type="ml.p4d.24xlarge", output_key=_key())


def test_sarif_is_valid_and_names_resources(aws_env, audit, monkeypatch):
    _scene(monkeypatch)
    run = audit("--cloud", "aws", "--format", "sarif")
    document = json.loads(run.out)
    jsonschema.validate(document, _schema())
    sarif_run = document["runs"][0]
    failing = [r for r in sarif_run["results"] if r["kind"] == "fail"]
    arn = "arn:aws:sagemaker:us-east-1:123456789012:training-job/no-keys"
    assert {r["properties"]["field"] for r in failing} == {"ResourceConfig.VolumeKmsKeyId", "OutputDataConfig.KmsKeyId"}
    for result in failing:
        assert result["message"]["text"].startswith(arn)
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == arn
        assert result["ruleId"] == "aws-sagemaker-training-job-cmk"
    rule = sarif_run["tool"]["driver"]["rules"][failing[0]["ruleIndex"]]
    assert rule["id"] == "aws-sagemaker-training-job-cmk" and rule["properties"]["security-severity"] == "8.0"
    exempt = [r for r in sarif_run["results"] if r["kind"] == "notApplicable"]
    assert [r["properties"]["field"] for r in exempt] == ["ResourceConfig.VolumeKmsKeyId"]
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert any("aws:ecr/repository:Repository in us-east-1" in n["message"]["text"] for n in notes)
    assert sarif_run["invocations"][0]["executionSuccessful"] is False
    assert run.code == 1


def test_text_and_json(aws_env, audit, monkeypatch):
    _scene(monkeypatch)
    text = audit("--cloud", "aws")
    assert "Findings (2):" in text.out and "Exempt (1):" in text.out and "Not checked (" in text.out
    assert "training-job/no-keys" in text.out and "NVMe" in text.out
    assert text.err == ""  # no progress when stderr is not a terminal
    body = audit("--cloud", "aws", "--format", "json").json
    assert body["exitCode"] == 1 and body["resourcesChecked"] == 2 + 1  # and moto's default Athena workgroup "primary"
    assert {f["field"] for f in body["findings"]} == {"ResourceConfig.VolumeKmsKeyId", "OutputDataConfig.KmsKeyId"}
    # catalogue types without an audit: block are named in every report, outside the exit code
    assert "aws:sagemaker/algorithm:Algorithm" in body["notCovered"]
    assert "aws:sagemaker/trainingJob:TrainingJob" not in body["notCovered"]
    assert "aws:sagemaker/trainingJob:TrainingJob" in body["checkedTypes"]
    assert "Not covered by the audit (" in text.out


def test_print_policy(audit):
    run = audit("--cloud", "aws", "--print-policy")
    policy = json.loads(run.out)
    actions = policy["Statement"][0]["Action"]
    assert run.code == 0
    assert {"sagemaker:DescribeTrainingJob", "sagemaker:ListTrainingJobs", "s3:GetEncryptionConfiguration",
            "s3:ListAllMyBuckets", "kms:DescribeKey"} <= set(actions)
    assert not [a for a in actions if a.split(":")[1].startswith(("Create", "Put", "Delete", "Update"))]
