"""AWS as the mock engine sees it: the caller's account and region, ARNs, ids and URLs.

The simulated credentials belong to the account the provider is pinned to
(`aws:allowedAccountIds`, first entry) in the region `aws:region`, as real credentials
for that stack would.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Mapping

import pulumi

from cmek_ml.aws.partitions import partition_of
from .cloud_state import World, invoke, resource

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


def account_id() -> str:
    allowed = pulumi.Config("aws").get_object("allowedAccountIds") or [DEFAULT_ACCOUNT_ID]
    return allowed[0]


def region_of(inputs: Mapping[str, Any]) -> str:
    return inputs.get("region") or pulumi.Config("aws").get("region") or DEFAULT_REGION


def arn(inputs: Mapping[str, Any], service: str, resource_path: str, regional: bool = True) -> str:
    region = region_of(inputs)
    return f"arn:{partition_of(region).name}:{service}:{region if regional else ''}:{account_id()}:{resource_path}"


def stable_uuid(name: str) -> str:
    return str(uuid.UUID(hashlib.sha256(name.encode()).hexdigest()[:32]))


@resource("aws:kms/key:Key")
def _kms_key(world: World, name: str, inputs: Mapping[str, Any]):
    key_id = stable_uuid(name)
    return key_id, {"keyId": key_id, "arn": arn(inputs, "kms", f"key/{key_id}")}


@resource("aws:kms/alias:Alias")
def _kms_alias(world: World, name: str, inputs: Mapping[str, Any]):
    return inputs["name"], {"arn": arn(inputs, "kms", inputs["name"]), "targetKeyArn": arn(inputs, "kms", f"key/{inputs['targetKeyId']}")}


@resource("aws:kms/keyPolicy:KeyPolicy")
def _kms_key_policy(world: World, name: str, inputs: Mapping[str, Any]):
    return inputs["keyId"], {}


@resource("aws:s3/bucket:Bucket")
def _bucket(world: World, name: str, inputs: Mapping[str, Any]):
    bucket = inputs["bucket"]
    region = region_of(inputs)
    return bucket, {
        "arn": f"arn:{partition_of(region).name}:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.{partition_of(region).dns_suffix}",
        "bucketRegion": region,
        "region": region,
    }


@resource("aws:ecr/repository:Repository")
def _repository(world: World, name: str, inputs: Mapping[str, Any]):
    repo, region = inputs["name"], region_of(inputs)
    return repo, {
        "arn": arn(inputs, "ecr", f"repository/{repo}"),
        "registryId": account_id(),
        "repositoryUrl": f"{account_id()}.dkr.ecr.{region}.{partition_of(region).dns_suffix}/{repo}",
    }


@resource("aws:cloudwatch/logGroup:LogGroup")
def _log_group(world: World, name: str, inputs: Mapping[str, Any]):
    return inputs["name"], {"arn": arn(inputs, "logs", f"log-group:{inputs['name']}")}


@resource("aws:iam/policy:Policy")
def _iam_policy(world: World, name: str, inputs: Mapping[str, Any]):
    policy_arn = arn(inputs, "iam", f"policy/{inputs['name']}", regional=False)
    return policy_arn, {"arn": policy_arn, "policyId": "ANPA" + stable_uuid(name).replace("-", "")[:17].upper()}


@resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _role_policy_attachment(world: World, name: str, inputs: Mapping[str, Any]):
    return f"{inputs['role']}-{stable_uuid(name)[:8]}", {}


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def _caller_identity(world: World, args: Mapping[str, Any]):
    account = account_id()
    caller_arn = arn(args, "iam", "user/mock-deployer", regional=False)
    return {"accountId": account, "arn": caller_arn, "userId": "AIDAMOCKDEPLOYER", "id": account}


@invoke("aws:index/getRegion:getRegion")
def _region(world: World, args: Mapping[str, Any]):
    region = region_of(args)
    endpoint = f"ec2.{region}.{partition_of(region).dns_suffix}"
    return {"region": region, "name": region, "id": region, "endpoint": endpoint, "description": region}


@invoke("aws:index/getPartition:getPartition")
def _partition(world: World, args: Mapping[str, Any]):
    partition = partition_of(region_of(args))
    return {
        "id": partition.name,
        "partition": partition.name,
        "dnsSuffix": partition.dns_suffix,
        "reverseDnsPrefix": ".".join(reversed(partition.dns_suffix.split("."))),
    }
