"""A generated stack of any size for the policy benchmark: compliant ML data units on GCP and AWS.

Each unit is what the landing zones build, written out by hand so the size is free: a key ring
and a rotating key (protected), the storage and registry agents' grants on that key, a bucket and
a Docker repository on it that wait for their grant, and an AWS key with a bucket whose default
encryption uses it. Keys are made in the same stack, so every key reference is unknown during
preview and the stack policies have grants and locations to join, as in the real stacks.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

RESOURCES_PER_UNIT = 10
CONFIG = {"gcp:project": "bench-ml", "aws:region": "eu-west-1"}
PROJECT_NUMBER = "123456789012"
REGION = "europe-west4"
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


class DataUnit(pulumi.ComponentResource):
    def __init__(self, name: str):
        super().__init__("cmek-ml:bench:DataUnit", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=True)

        ring = gcp.kms.KeyRing(f"{name}-ring", name=name, location=REGION, project="bench-kms", opts=protected)
        key = gcp.kms.CryptoKey(f"{name}-key", name="data", key_ring=ring.id, rotation_period="7776000s",
                                opts=protected)
        storage_grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-storage-grant", crypto_key_id=key.id, role=ENCRYPTER_DECRYPTER,
            member=f"serviceAccount:service-{PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
            opts=child)
        gcp.storage.Bucket(
            f"{name}-bucket", name=f"bench-ml-{name}", location=REGION.upper(), uniform_bucket_level_access=True,
            public_access_prevention="enforced", encryption={"default_kms_key_name": key.id},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[storage_grant]))
        registry_grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-registry-grant", crypto_key_id=key.id, role=ENCRYPTER_DECRYPTER,
            member=f"serviceAccount:service-{PROJECT_NUMBER}@gcp-sa-artifactregistry.iam.gserviceaccount.com",
            opts=child)
        gcp.artifactregistry.Repository(
            f"{name}-images", repository_id=name, location=REGION, format="DOCKER", kms_key_name=key.id,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[registry_grant]))

        aws_key = aws.kms.Key(f"{name}-aws-key", description=f"{name} data", enable_key_rotation=True,
                              deletion_window_in_days=30, opts=protected)
        bucket = aws.s3.Bucket(f"{name}-s3", bucket=f"bench-ml-{name}", opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-s3-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                 "kms_master_key_id": aws_key.arn},
                    "bucket_key_enabled": True}],
            opts=child)
        self.register_outputs({})


def program(resource_count: int):
    """A Pulumi program body registering `resource_count` resources (rounded down to whole units)."""

    def body() -> None:
        for index in range(resource_count // RESOURCES_PER_UNIT):
            DataUnit(f"unit{index:05d}")

    return body
