"""AWS: list and describe every catalogue type that has an `audit:` block, judge each key with the pack's rules.

Read-only calls only: the List/Describe/Get operations each `audit:` block names, `sts:GetCallerIdentity`
(needs no permission) and `kms:DescribeKey`. Clients use botocore's standard retry mode (backoff on
throttling) and honour the standard AWS environment as boto3 does (credentials, AWS_PROFILE,
AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS). An `audit:` block for AWS:

    audit:
      list: {call: sagemaker.ListTrainingJobs, items: TrainingJobSummaries, since: CreationTimeAfter, page_size: 100}
      describe: {call: sagemaker.DescribeTrainingJob, params: {TrainingJobName: TrainingJobName}}
      id: TrainingJobArn               # a field of the described resource, or a template "arn:{partition}:s3:::{Name}"
      fields: {kmsKeyArn: KmsKeyId}    # catalogue path -> API path, only where the API's PascalCase differs
      missing: [ServerSideEncryptionConfigurationNotFoundError]   # errors that mean "no configuration"
      global: true                     # listed once, not per region (S3)
      list: {..., where: {FileSystemType: LUSTRE}}   # only the listed items with this value (or one of a list;
                                       # null: the field is absent), when one API lists several catalogue types
      list: {..., item: TableName}     # the listing answers bare names: each becomes {TableName: name}
      describe: {..., with: {AttributeNames: [KmsMasterKeyId]}}   # fixed parameters of every describe call
      values: {Table.SSEDescription.Status: {ENABLED: true}}   # API enum values read as the Pulumi input's
      single: [cluster.encryptionConfig]   # a list the model caps at one element, read as that element
      ignore: [Table.Replicas]         # API subtrees the audit does not judge (each says why in the catalogue)
      region: BucketRegion             # the field that says the resource's region (global listings)
      iam: [s3:ListAllMyBuckets, s3:GetEncryptionConfiguration]   # when IAM names the calls differently
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

import boto3
from botocore import exceptions as boto_errors
from botocore.config import Config

from . import aws_errors
from .aws_keys import KeyResolver
from .model import AuditError, Exemption, Finding, NotChecked, Report
from .progress import Progress
from .rules import AuditedType, Naming, Rules, with_field

def client_config() -> Config:
    """botocore's standard retry mode; AWS_MAX_ATTEMPTS still sets the attempts. A new Config per client:
    botocore writes the resolved attempts into the retries dict it is given."""
    return Config(retries={"mode": "standard"}, user_agent_extra="cmek-ml-audit")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")


@dataclass(frozen=True)
class Call:
    service: str
    operation: str

    @classmethod
    def parse(cls, text: str) -> "Call":
        service, _, operation = text.partition(".")
        return cls(service, operation)

    def method(self) -> str:
        from botocore import xform_name
        return xform_name(self.operation)


def iam_actions(audited: AuditedType) -> list[str]:
    """The IAM actions the audit of one type calls (the `iam` list, else `<service>:<Operation>`)."""
    if "iam" in audited.audit:
        return list(audited.audit["iam"])
    calls = [audited.audit["list"]["call"]] + ([audited.audit["describe"]["call"]] if "describe" in audited.audit else [])
    return [f"{Call.parse(c).service}:{Call.parse(c).operation}" for c in calls]


def make_session(profile: Optional[str]) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile) if profile else boto3.Session()
    except boto_errors.ProfileNotFound:
        raise AuditError(f"--profile {profile}: no such profile in the AWS config or credentials files "
                         "(aws configure list-profiles shows them).") from None


def known_regions(session: boto3.Session) -> set[str]:
    regions: set[str] = set()
    for partition in PARTITIONS:
        try:
            regions.update(session.get_available_regions("sagemaker", partition))
            regions.update(session.get_available_regions("s3", partition))
        except boto_errors.UnknownEndpointError:
            continue
    return regions


def resolve_regions(session: boto3.Session, requested: list[str]) -> list[str]:
    """The regions to audit: --region values (each checked against botocore's endpoint data) or the session's."""
    known = known_regions(session)
    for region in requested:
        if region not in known:
            close = sorted(r for r in known if r.split("-")[0] == region.split("-")[0])[:6]
            raise AuditError(f"--region {region}: not an AWS region botocore knows"
                             + (f" (did you mean one of {', '.join(close)}?)" if close else "") + ".")
    if requested:
        return list(dict.fromkeys(requested))
    if not session.region_name:
        raise AuditError("no AWS region: pass --region REGION (repeatable) or set AWS_REGION / the profile's region.")
    return [session.region_name]


def as_judged(doc: dict, audit: Mapping[str, Any]) -> dict:
    """The API document as the pack's rule reads it: `ignore`d subtrees removed, `single` lists unwrapped,
    enum `values` translated (each at a dotted API path)."""
    doc = copy.deepcopy(doc)
    for path in audit.get("ignore", ()):
        *parents, last = path.split(".")
        parent = _node(doc, parents)
        if isinstance(parent, dict):
            parent.pop(last, None)
    for path in audit.get("single", ()):
        *parents, last = path.split(".")
        parent = _node(doc, parents)
        if isinstance(parent, dict) and isinstance(parent.get(last), list):
            elements = parent.pop(last)
            if elements:
                parent[last] = elements[0]
    for path, translation in audit.get("values", {}).items():
        *parents, last = path.split(".")
        parent = _node(doc, parents)
        if isinstance(parent, dict) and parent.get(last) in translation:
            parent[last] = translation[parent[last]]
    return doc


def _token_pages(client: Any, call: Call, params: dict, page_size: Optional[int]) -> Iterator[dict]:
    """Pages of an operation botocore has no paginator for (Athena ListWorkGroups), following NextToken."""
    accepts_token = "NextToken" in client.meta.service_model.operation_model(call.operation).input_shape.members
    params = {**params, **({"MaxResults": page_size} if page_size else {})}
    while True:
        page = getattr(client, call.method())(**params)
        yield page
        if not (accepts_token and page.get("NextToken")):
            return
        params = {**params, "NextToken": page["NextToken"]}


def _node(doc: Any, segments: list[str]) -> Any:
    for segment in segments:
        doc = doc.get(segment) if isinstance(doc, dict) else None
    return doc


class AwsAudit:
    def __init__(self, rules: Rules, session: boto3.Session, regions: list[str], since: dt.datetime,
                 progress: Progress, only: Optional[set[str]] = None) -> None:
        self.rules, self.session, self.regions, self.since, self.progress = rules, session, regions, since, progress
        self.only = only
        """Catalogue tokens to audit (all when None)."""
        self._clients: dict[tuple[str, str], Any] = {}
        self.partition, self.account = "aws", ""
        self.keys = KeyResolver(self.client)

    def client(self, service: str, region: str) -> Any:
        if (service, region) not in self._clients:
            self._clients[(service, region)] = self.session.client(service, region_name=region, config=client_config())
        return self._clients[(service, region)]

    def preflight(self) -> str:
        """Who we are; fails the whole audit (exit 2) when the credentials are missing or rejected."""
        if self.session.get_credentials() is None:
            raise AuditError("no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                             "or pass --profile.")
        try:
            identity = self.client("sts", self.regions[0]).get_caller_identity()
        except Exception as error:  # noqa: BLE001 - sorted below
            reason = aws_errors.not_checked_reason(error, "sts:GetCallerIdentity")
            raise AuditError(f"cannot reach AWS to check the credentials: {reason}") from None
        self.partition, self.account = identity["Arn"].split(":")[1], identity["Account"]
        return identity["Arn"]

    def run(self) -> Report:
        report = Report(cloud="aws", scope=[f"region {r}" for r in self.regions])
        caller = self.preflight()
        report.scope.append(f"as {caller}")
        for audited in self.rules.audited("aws"):
            if self.only is not None and audited.token not in self.only:
                continue
            report.checked_types.append(audited.token)
            regions = [None] if audited.audit.get("global") else self.regions
            for region in regions:
                self._audit_type(audited, region, report)
        report.uncovered = self.rules.not_audited("aws") if self.only is None else []
        return report

    # --- one type in one region ---------------------------------------------------------------------------

    def _audit_type(self, audited: AuditedType, region: Optional[str], report: Report) -> None:
        audit = audited.audit
        listing = Call.parse(audit["list"]["call"])
        where = region or "all regions"
        self.progress.step(f"{listing.service}:{listing.operation} in {where}")
        call_region = region or self.regions[0]
        try:
            summaries = list(self._list(listing, audit["list"], call_region))
        except Exception as error:  # noqa: BLE001 - every failure is reported as not checked
            reason = aws_errors.not_checked_reason(error, f"{listing.service}:{listing.operation}")
            report.not_checked.append(NotChecked(f"{audited.token} in {where}", reason))
            return
        region_field = audit.get("region")
        if region is None and region_field:
            summaries = [s for s in summaries if not s.get(region_field) or s.get(region_field) in self.regions]
        self.progress.step(f"{listing.service}:{listing.operation} in {where}", len(summaries))
        for summary in summaries:
            resource_region = (summary.get(region_field) if region_field else None) or call_region
            self._audit_resource(audited, summary, resource_region, report)

    def _list(self, call: Call, spec: Mapping[str, Any], region: str) -> Iterator[dict]:
        client = self.client(call.service, region)
        params = dict(spec.get("params", {}))
        if spec.get("since"):
            params[spec["since"]] = self.since
        items, where = spec["items"], spec.get("where", {})
        if client.can_paginate(call.method()):
            paging = {"PageSize": spec["page_size"]} if spec.get("page_size") else {}
            pages = client.get_paginator(call.method()).paginate(**params, PaginationConfig=paging)
        else:
            pages = _token_pages(client, call, params, spec.get("page_size"))
        for page in pages:
            listed = [{spec["item"]: item} if "item" in spec else item for item in page.get(items, [])]
            yield from (item for item in listed if all(item.get(k) in (v if isinstance(v, list) else [v])
                                                        for k, v in where.items()))

    def _describe(self, audited: AuditedType, summary: Mapping[str, Any], region: str) -> tuple[dict, str]:
        """The resource as the API describes it, and a note when the API said it has no configuration."""
        spec = audited.audit.get("describe")
        if not spec:
            return dict(summary), ""
        call = Call.parse(spec["call"])
        params = {**spec.get("with", {}), **{name: summary[field] for name, field in spec.get("params", {}).items()}}
        try:
            answer = getattr(self.client(call.service, region), call.method())(**params)
        except boto_errors.ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in audited.audit.get("missing", ()):
                return dict(summary), f" ({call.operation} answered {code}: no configuration, the provider's default applies)"
            raise
        answer.pop("ResponseMetadata", None)
        return {**summary, **answer}, ""

    def _resource_id(self, audited: AuditedType, doc: Mapping[str, Any], region: str) -> str:
        template = str(audited.audit["id"])
        if "{" in template:
            return template.format(partition=self.partition, region=region, account=self.account, **doc)
        return str(doc.get(template) or template)

    def _audit_resource(self, audited: AuditedType, summary: Mapping[str, Any], region: str,
                        report: Report) -> None:
        describe = audited.audit.get("describe", {}).get("call", audited.audit["list"]["call"])
        try:
            doc, note = self._describe(audited, summary, region)
        except Exception as error:  # noqa: BLE001
            name = next(iter(summary.values()), "?") if summary else "?"
            reason = aws_errors.not_checked_reason(error, describe.replace(".", ":", 1))
            report.not_checked.append(NotChecked(f"{audited.token} {name} in {region}", reason))
            return
        resource = self._resource_id(audited, doc, region)
        naming = Naming.for_cloud("aws", audited.audit)
        judgement = self.rules.judge(audited, naming.to_props(as_judged(doc, audited.audit)))
        for path, message in judgement.problems:
            field = naming.api_field(path)
            report.findings.append(Finding(resource, audited.token, audited.policy.name, field,
                                           with_field(message, field) + note, audited.policy.severity, region))
        for path, reason in judgement.exempt:
            report.exemptions.append(Exemption(resource, audited.token, naming.api_field(path), reason))
        complete = True
        for path, value in judgement.keys:
            complete &= self._resolve_key(audited, resource, naming.api_field(path), value, region, report)
        report.resources_checked += complete

    def _resolve_key(self, audited: AuditedType, resource: str, field: str, value: str, region: str,
                     report: Report) -> bool:
        """A key the pack accepts is still provider-managed when DescribeKey says KeyManager AWS."""
        try:
            key = self.keys.describe(value, region)
        except Exception as error:  # noqa: BLE001
            reason = aws_errors.not_checked_reason(error, "kms:DescribeKey")
            report.not_checked.append(NotChecked(f"{resource} {field}", f"key {value} not resolved: {reason}"))
            return False
        if key.manager == "AWS":
            report.findings.append(Finding(
                resource, audited.token, audited.policy.name, field,
                f"{field}: {value} is {key.arn}, an AWS-managed key (KeyManager AWS): its policy and rotation "
                "are not the customer's.", audited.policy.severity, region))
        return True
