"""The offline preview: `python -m tools.preview`, with the cmek-ml policy pack as the CLI runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import analyzer_client, preview, stack_config

from .sarif_check import valid_sarif

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "noncompliant"
FLOOR_PACK = preview.PROJECT_ROOT / "bench" / "floor_pack"


def example_urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::cmek-ml::{type_}::{name}"


RAW_DATA = example_urn("gcp:storage/bucket:Bucket", "raw-data")
CURATED_DATA = example_urn("gcp:storage/bucket:Bucket", "curated-data")
RAW_EXPORTS = (example_urn("aws:s3/bucket:Bucket", "raw-exports"),
               example_urn("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                           "raw-exports-encryption"))
TRAINING_JOB = example_urn("aws:sagemaker/trainingJob:TrainingJob", "quick-experiment")
STORAGE_ACCOUNT = example_urn("azure-native:storage:StorageAccount", "rawfeatures")


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = preview.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def noncompliant() -> preview.PreviewResult:
    return preview.preview("dev", EXAMPLE, policy_config_path=preview.default_policy_config("dev"))


def _mandatory(result: preview.PreviewResult, urns) -> set[str]:
    urns = {urns} if isinstance(urns, str) else set(urns)
    return {v.policy_name for v in result.violations if v.urn in urns and v.mandatory}


# --- The stacks are clean ----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_preview_is_clean_under_its_policy_config(capsys, stack):
    code, out, err = run_main(capsys, "--stack", stack, "--format", "json")
    document = json.loads(out)
    mandatory = [v for v in document["violations"] if v["enforcementLevel"] == "mandatory"]
    assert mandatory == [], err
    # Keys made in the same stack are unknown in a first preview: no policy may give up on them.
    assert not [v for v in document["violations"] if "can't run policy" in v["message"]]
    assert code == preview.EXIT_CLEAN
    [pack] = document["policyPacks"]
    assert pack["name"] == "cmek-ml" and pack["config"] == f"policies/config/{stack}.json"
    assert len(pack["enforcement"]) > 1
    if stack == "prod":
        assert set(pack["enforcement"].values()) == {"mandatory"}  # prod is mandatory everywhere


def test_text_preview_of_dev_keeps_the_quick_start_working(capsys):
    code, out, _ = run_main(capsys, "--stack", "dev")
    assert code == preview.EXIT_CLEAN
    assert out.startswith("Previewing stack dev (mock engine, no cloud calls)")
    assert "+ gcp:kms/cryptoKey:CryptoKey" in out and "[protect]" in out
    assert '"defaultKmsKeyName": "<unknown>"' in out  # the same-stack key, as a first preview shows it
    assert "pulumi.output.Unknown" not in out
    assert "Policy pack cmek-ml@v" in out and "config: policies/config/dev.json" in out


# --- The non-compliant example ---------------------------------------------------------------------


def test_noncompliant_example_fails_like_pulumi_preview(capsys):
    code, out, _ = run_main(capsys, "--stack", "dev", "--program", str(EXAMPLE))
    assert code == preview.EXIT_MANDATORY_VIOLATION
    assert "the preview fails" in out


def test_gcs_bucket_without_a_key_is_named(noncompliant):
    assert _mandatory(noncompliant, RAW_DATA) == {"gcp-storage-bucket-cmek"}


def test_bucket_on_a_customer_key_is_not_flagged(noncompliant):
    assert _mandatory(noncompliant, CURATED_DATA) == set()


def test_s3_bucket_on_the_aws_managed_key_is_named(noncompliant):
    assert _mandatory(noncompliant, RAW_EXPORTS[1]) == {"aws-s3-bucket-encryption-cmk"}
    # The stack policy: the bucket has no default encryption that uses a customer key.
    assert _mandatory(noncompliant, RAW_EXPORTS[0]) == {"aws-s3-bucket-encryption-configured"}


def test_sagemaker_training_job_without_keys_is_named_for_each_key(noncompliant):
    messages = [v.message for v in noncompliant.violations
                if v.urn == TRAINING_JOB and v.mandatory and v.policy_name == "aws-sagemaker-training-job-cmk"]
    assert len(messages) == 2
    assert any("volumeKmsKeyId" in m for m in messages) and any("outputDataConfig.kmsKeyId" in m for m in messages)


def test_azure_storage_account_on_microsoft_keys_is_named(noncompliant):
    assert _mandatory(noncompliant, STORAGE_ACCOUNT) == {"azure-storage-account-cmk"}


def test_text_output_groups_violations_by_enforcement_then_severity(noncompliant):
    text = preview.render_text(noncompliant)
    mandatory_count = sum(v.mandatory for v in noncompliant.violations)
    assert f"  mandatory ({mandatory_count}):" in text
    assert "gcp-storage-bucket-cmek  gcp:storage/bucket:Bucket  raw-data" in text
    violations = text[text.index("Policy violations"):]
    lines = [line.strip() for line in violations.splitlines() if line.strip().startswith("[")]
    severities = [line[1:line.index("]")] for line in lines]
    mandatory_severities = severities[:mandatory_count]
    order = ["critical", "high", "medium", "low", "unspecified"]
    assert mandatory_severities == sorted(mandatory_severities, key=order.index)


def test_advisory_config_reports_but_does_not_fail(capsys, tmp_path):
    config = tmp_path / "advisory.json"
    config.write_text(json.dumps({"all": "advisory"}))
    code, out, _ = run_main(capsys, "--stack", "dev", "--program", str(EXAMPLE),
                            "--policy-config", str(config), "--format", "sarif")
    assert code == preview.EXIT_CLEAN
    results = valid_sarif(out)["runs"][0]["results"]
    assert results and {r["level"] for r in results} == {"warning"}


# --- Machine-readable output ----------------------------------------------------------------------------


def test_sarif_has_the_required_structure(noncompliant):
    document = valid_sarif(preview.render_sarif(noncompliant, EXAMPLE / "__main__.py"))
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-schema-2.1.0.json")
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cmek-ml" and driver["version"] == noncompliant.pack.version
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [p.name for p in noncompliant.pack.policies]
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["properties"]["severity"] in {"low", "medium", "high", "critical"}
    assert run["results"]
    urns = {r.urn for r in noncompliant.resources}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning"}
        assert result["message"]["text"]
        [location] = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "tests/examples/noncompliant/__main__.py"
        assert location["physicalLocation"]["region"]["startLine"] > 1  # the resource's own line
        assert location["logicalLocations"][0]["fullyQualifiedName"] in urns
    raw_data = [r for r in run["results"] if r["ruleId"] == "gcp-storage-bucket-cmek"
                and r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == RAW_DATA]
    assert [r["level"] for r in raw_data] == ["error"]  # mandatory


def test_json_has_resources_and_violations(noncompliant):
    document = json.loads(preview.render_json(noncompliant))
    resources = {r["urn"]: r for r in document["resources"]}
    assert set(resources) == {r.urn for r in noncompliant.resources}
    bucket = resources[CURATED_DATA]
    assert bucket["type"] == "gcp:storage/bucket:Bucket"
    assert bucket["inputs"]["encryption"]["defaultKmsKeyName"].startswith("projects/acme-kms-prod/")
    assert set(bucket["options"]) >= {"protect", "parent", "dependencies", "propertyDependencies", "aliases"}
    assert resources[RAW_EXPORTS[1]]["inputs"]["bucket"] == preview.UNKNOWN_DISPLAY  # the bucket id, unknown
    assert resources[RAW_EXPORTS[1]]["options"]["propertyDependencies"] == {"bucket": [RAW_EXPORTS[0]]}
    violations = document["violations"]
    assert violations and all(
        set(v) >= {"policy", "urn", "enforcementLevel", "message", "severity"} for v in violations)
    assert {"policy": "gcp-storage-bucket-cmek", "urn": RAW_DATA, "enforcementLevel": "mandatory"}.items() <= next(
        v for v in violations if v["urn"] == RAW_DATA and v["policy"] == "gcp-storage-bucket-cmek").items()
    assert document["summary"]["exitCode"] == preview.EXIT_MANDATORY_VIOLATION


# --- Errors --------------------------------------------------------------------------------------------------


def test_invalid_settings_print_every_problem_and_exit_2(capsys, monkeypatch):
    read = stack_config.read
    monkeypatch.setattr(stack_config, "read", lambda stack, overrides=None, root=None: read(stack, {"gcpRegion": "global"}, root))
    code, out, err = run_main(capsys, "--stack", "dev", "--policy-pack", str(FLOOR_PACK))
    assert code == preview.EXIT_INVALID
    assert "cmek-ml:gcpRegion = 'global'" in err
    assert out == ""


def test_invalid_settings_register_nothing_and_stop_the_pack(monkeypatch):
    started = []
    original_launch = analyzer_client.PolicyAnalyzer.launch
    monkeypatch.setattr(analyzer_client.PolicyAnalyzer, "launch",
                        lambda self: started.append(self) or original_launch(self))
    with pytest.raises(preview.InvalidSettings) as raised:
        preview.preview("dev", pack_dir=FLOOR_PACK, overrides={"gcpRegion": "global"})
    assert raised.value.program_run.resources == []
    [pack] = started
    assert not pack.running


def test_unknown_stack_exits_2(capsys):
    code, _, err = run_main(capsys, "--stack", "staging", "--policy-pack", str(FLOOR_PACK))
    assert code == preview.EXIT_INVALID
    assert "no stack file" in err and "stacks: dev, prod" in err


def test_invalid_policy_config_exits_2(capsys, tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"all": "blocking"}))
    code, _, err = run_main(capsys, "--stack", "dev", "--policy-config", str(config),
                            "--policy-pack", str(FLOOR_PACK))
    assert code == preview.EXIT_INVALID
    assert "all enforcement level 'blocking'" in err


def test_whole_numbers_show_as_whole_numbers():
    assert preview.display_value({"rotationPeriodInDays": 180.0, "ratio": 0.5, "flag": True}) == {
        "rotationPeriodInDays": 180, "ratio": 0.5, "flag": True}
