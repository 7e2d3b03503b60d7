"""A platform team's GCP-only program: cmek-ml's building blocks, not its landing zone.

A key ring in the KMS project, the storage and Artifact Registry agents of the ML project granted
their key (and nothing wider), then a bucket and a Docker registry that use those keys once the
grants exist.
"""

import pulumi
import pulumi_gcp as gcp

from cmek_ml.gcp import (
    CmekBucket, CmekBucketArgs, CmekRepository, CmekRepositoryArgs, KeyGrants, KeyRing, KeyRingArgs,
    KeyUse, ServiceAgents, ServiceAgentsArgs,
)

config = pulumi.Config()
ml_project = config.require("mlProjectId")
kms_project = config.require("kmsProjectId")
region = config.require("region")

keys = KeyRing("ml", KeyRingArgs(
    project=kms_project, location=region, name="ml-data", keys=["storage", "registry"],
    rotation_period="7776000s",  # 90 days
))
agents = ServiceAgents("ml", ServiceAgentsArgs(
    project=ml_project,
    project_number=gcp.organizations.get_project_output(project_id=ml_project).number,
    services=["storage", "artifactregistry"],
))
grants = KeyGrants("ml", [
    KeyUse("storage", keys.keys["storage"], agents.agents["storage"]),
    KeyUse("registry", keys.keys["registry"], agents.agents["artifactregistry"]),
])

training_data = CmekBucket("training-data", CmekBucketArgs(
    project=ml_project, name=f"{ml_project}-training-data", location=region,
    kms_key_name=grants.usable_key_ids["storage"],
))
images = CmekRepository("images", CmekRepositoryArgs(
    project=ml_project, repository_id="training-images", location=region,
    kms_key_name=grants.usable_key_ids["registry"],
))

pulumi.export("bucket", training_data.bucket.name)
pulumi.export("repository", images.url)
