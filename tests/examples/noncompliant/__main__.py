"""A hand-written program that leaves ML data on provider-managed keys: the pack must stop it.

It bypasses the cmek-ml components, as a team in a hurry would. Each resource below fails in one
known way; `tests/tools/test_preview.py` runs it through the offline preview and checks that the
pack names each offender and that the preview exits 1:

    python -m tools.preview --stack dev --program tests/examples/noncompliant

One resource is compliant on purpose (a bucket on a customer key held in another project), so
the test also shows the pack does not flag everything.
"""

import pulumi_aws as aws
import pulumi_gcp as gcp
from pulumi_azure_native import storage

# GCP: a Cloud Storage bucket with no default KMS key (objects on Google-managed keys).
gcp.storage.Bucket(
    "raw-data",
    name="acme-ml-dev-raw-data",
    location="EUROPE-WEST4",
    uniform_bucket_level_access=True,
)

# GCP, compliant: the default key is a customer key from the (existing) KMS project.
gcp.storage.Bucket(
    "curated-data",
    name="acme-ml-dev-curated-data",
    location="EUROPE-WEST4",
    uniform_bucket_level_access=True,
    encryption={
        "default_kms_key_name": "projects/acme-kms-prod/locations/europe-west4/keyRings/cmek-ml/cryptoKeys/storage",
    },
)

# AWS: SSE-KMS without a key id is the AWS-managed aws/s3 key, not a customer key.
exports = aws.s3.Bucket("raw-exports", bucket="acme-ml-dev-raw-exports")
aws.s3.BucketServerSideEncryptionConfiguration(
    "raw-exports-encryption",
    bucket=exports.id,
    rules=[{
        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"},
        "bucket_key_enabled": True,
    }],
)

# AWS: a SageMaker training job with neither a volume key nor an output key.
aws.sagemaker.TrainingJob(
    "quick-experiment",
    training_job_name="quick-experiment",
    role_arn="arn:aws:iam::111122223333:role/sagemaker-execution",
    algorithm_specification={
        "training_image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/trainer:latest",
        "training_input_mode": "File",
    },
    resource_config={"instance_type": "ml.m5.xlarge", "instance_count": 1, "volume_size_in_gb": 50},
    output_data_config={"s3_output_path": "s3://acme-ml-dev-raw-exports/models/"},
    stopping_condition={"max_runtime_in_seconds": 3600},
)

# Azure: a storage account on Microsoft-managed keys.
storage.StorageAccount(
    "rawfeatures",
    account_name="acmemldevrawfeatures",
    resource_group_name="ml-rg",
    location="westeurope",
    kind=storage.Kind.STORAGE_V2,
    sku={"name": storage.SkuName.STANDARD_ZRS},
    encryption={"key_source": storage.KeySource.MICROSOFT_STORAGE},
)
