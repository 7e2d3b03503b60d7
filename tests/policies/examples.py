"""Compliant resources for every resource policy, with realistic camelCase inputs as the engine sends them.

Catalogue policies carry their own examples (each type's `examples` in policies/cmek/catalogue); `COMPLIANT`
holds one for each policy in code, and the examples other tests change one value of.
"""

from __future__ import annotations

from typing import Any

GCP_KEY = "projects/acme-kms-prod/locations/europe-west4/keyRings/cmek-ml/cryptoKeys/storage"
AWS_KEY = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
AZURE_KEY_URI = "https://acme-kv.vault.azure.net/keys/cmek/0123456789abcdef"
IMAGE_DIGEST = "sha256:6bfbb9299c5b1866883474abf305fdf796bb6c7394fbcc601175c7ffc9f79d3f"
ATTESTATION_CLAUSES = (
    "assertion.swname == 'CONFIDENTIAL_SPACE'",
    "'STABLE' in assertion.submods.confidential_space.support_attributes",
    "assertion.dbgstat == 'disabled-since-boot'",
    f"assertion.submods.container.image_digest == '{IMAGE_DIGEST}'",
    "assertion.submods.container.image_reference == 'europe-west4-docker.pkg.dev/acme-ml-prod/cw/inference:v1'",
    "'cs-workload@acme-ml-prod.iam.gserviceaccount.com' in assertion.google_service_accounts",
)
"""The Confidential Space provider's condition, as cmek_ml.gcp.confidential_space builds it."""
IMAGE_PRINCIPAL_SET = ("principalSet://iam.googleapis.com/projects/222222222222/locations/global/"
                       f"workloadIdentityPools/confidential-space/attribute.image_digest/{IMAGE_DIGEST}")

COMPLIANT: dict[str, tuple[str, dict[str, Any]]] = {
    "gcp-storage-bucket-cmek": ("gcp:storage/bucket:Bucket", {
        "name": "acme-training-data", "location": "EUROPE-WEST4", "encryption": {"defaultKmsKeyName": GCP_KEY}}),
    "gcp-artifactregistry-repository-cmek": ("gcp:artifactregistry/repository:Repository", {
        "repositoryId": "ml-images", "format": "DOCKER", "location": "europe-west4", "kmsKeyName": GCP_KEY}),
    "gcp-bigquery-dataset-cmek": ("gcp:bigquery/dataset:Dataset", {
        "datasetId": "features", "location": "europe-west4", "defaultEncryptionConfiguration": {"kmsKeyName": GCP_KEY}}),
    "gcp-dataflow-job-cmek": ("gcp:dataflow/job:Job", {
        "templateGcsPath": "gs://t", "tempGcsLocation": "gs://tmp", "region": "europe-west4", "kmsKeyName": GCP_KEY,
        "enableStreamingEngine": False}),
    "gcp-pubsub-topic-cmek": ("gcp:pubsub/topic:Topic", {"name": "events", "kmsKeyName": GCP_KEY}),
    "gcp-vertex-resource-cmek": ("gcp:vertex/aiDataset:AiDataset", {
        "displayName": "images", "region": "europe-west4", "metadataSchemaUri": "gs://schema",
        "encryptionSpec": {"kmsKeyName": GCP_KEY}}),
    "gcp-workbench-instance-disk-cmek": ("gcp:workbench/instance:Instance", {
        "location": "europe-west4-a", "gceSetup": {
            "bootDisk": {"diskEncryption": "CMEK", "kmsKey": GCP_KEY},
            "dataDisks": {"diskEncryption": "CMEK", "kmsKey": GCP_KEY}}}),
    "gcp-compute-disk-cmek": ("gcp:compute/disk:Disk", {
        "zone": "europe-west4-a", "size": 100, "diskEncryptionKey": {"kmsKeySelfLink": GCP_KEY}}),
    "gcp-compute-instance-boot-disk-cmek": ("gcp:compute/instance:Instance", {
        "zone": "europe-west4-a", "machineType": "n2-standard-4",
        "bootDisk": {"initializeParams": {"image": "debian-12"}, "kmsKeySelfLink": GCP_KEY}}),
    "gcp-logging-bucket-cmek": ("gcp:logging/projectBucketConfig:ProjectBucketConfig", {
        "project": "acme-ml-prod", "location": "europe-west4", "bucketId": "ml-logs",
        "cmekSettings": {"kmsKeyName": GCP_KEY}}),
    "gcp-kms-cryptokey-rotation": ("gcp:kms/cryptoKey:CryptoKey", {
        "name": "storage", "keyRing": "projects/acme-kms-prod/locations/europe-west4/keyRings/cmek-ml",
        "purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "7776000s"}),
    "gcp-kms-keyring-regional": ("gcp:kms/keyRing:KeyRing", {"name": "cmek-ml", "location": "europe-west4"}),
    "gcp-kms-iam-no-public-access": ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", {
        "cryptoKeyId": GCP_KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "member": "serviceAccount:service-222222222222@gs-project-accounts.iam.gserviceaccount.com"}),
    "gcp-iam-workloadidentitypoolprovider-attestation": (
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", {
            "project": "acme-ml-prod", "workloadIdentityPoolId": "confidential-space",
            "workloadIdentityPoolProviderId": "attestation-verifier",
            "oidc": {"issuerUri": "https://confidentialcomputing.googleapis.com/",
                     "allowedAudiences": ["https://sts.googleapis.com"]},
            "attributeMapping": {"google.subject": "assertion.sub",
                                 "attribute.image_digest": "assertion.submods.container.image_digest"},
            "attributeCondition": " && ".join(ATTESTATION_CLAUSES)}),
    "gcp-kms-iam-federated-decrypt-only": ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", {
        "cryptoKeyId": GCP_KEY, "role": "roles/cloudkms.cryptoKeyDecrypter", "member": IMAGE_PRINCIPAL_SET}),
    "gcp-orgpolicy-policy-cmek-effective": ("gcp:orgpolicy/policy:Policy", {
        "parent": "projects/acme-ml-prod", "name": "projects/acme-ml-prod/policies/gcp.restrictNonCmekServices",
        "spec": {"rules": [{"values": {"deniedValues": ["aiplatform.googleapis.com", "storage.googleapis.com"]}}]}}),
    "aws-s3-bucket-encryption-cmk": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", {
            "bucket": "acme-ml-prod-data", "rules": [{
                "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": AWS_KEY},
                "bucketKeyEnabled": True}]}),
    "aws-s3-bucket-encryption-bucket-key": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", {
            "bucket": "acme-ml-prod-data", "rules": [{
                "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": AWS_KEY},
                "bucketKeyEnabled": True}]}),
    "aws-ecr-repository-encryption-cmk": ("aws:ecr/repository:Repository", {
        "name": "ml-images", "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": AWS_KEY}]}),
    "aws-sagemaker-training-job-cmk": ("aws:sagemaker/trainingJob:TrainingJob", {
        "roleArn": "arn:aws:iam::444455556666:role/training",
        "resourceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeSizeInGb": 50,
                           "volumeKmsKeyId": AWS_KEY},
        "outputDataConfig": {"s3OutputPath": "s3://acme-ml-prod-models/out", "kmsKeyId": AWS_KEY}}),
    "aws-sagemaker-notebook-instance-cmk": ("aws:sagemaker/notebookInstance:NotebookInstance", {
        "roleArn": "arn:aws:iam::444455556666:role/notebook", "instanceType": "ml.t3.medium", "kmsKeyId": AWS_KEY}),
    "aws-sagemaker-domain-cmk": ("aws:sagemaker/domain:Domain", {
        "domainName": "ml", "authMode": "IAM", "vpcId": "vpc-1", "subnetIds": ["subnet-1"], "kmsKeyId": AWS_KEY,
        "defaultUserSettings": {"executionRole": "arn:aws:iam::444455556666:role/studio", "sharingSettings": {
            "notebookOutputOption": "Allowed", "s3OutputPath": "s3://acme-shared", "s3KmsKeyId": AWS_KEY}}}),
    "aws-sagemaker-endpoint-configuration-cmk": ("aws:sagemaker/endpointConfiguration:EndpointConfiguration", {
        "kmsKeyArn": AWS_KEY,
        "productionVariants": [{"modelName": "m", "instanceType": "ml.m5.large", "initialInstanceCount": 1}],
        "dataCaptureConfig": {"enableCapture": True, "destinationS3Uri": "s3://capture", "kmsKeyId": AWS_KEY,
                              "initialSamplingPercentage": 10, "captureOptions": [{"captureMode": "Input"}]}}),
    "aws-ebs-volume-encryption-cmk": ("aws:ebs/volume:Volume", {
        "availabilityZone": "eu-west-1a", "size": 100, "encrypted": True, "kmsKeyId": AWS_KEY}),
    "aws-cloudwatch-log-group-cmk": ("aws:cloudwatch/logGroup:LogGroup", {
        "name": "/aws/sagemaker/TrainingJobs", "retentionInDays": 365, "kmsKeyId": AWS_KEY}),
    "aws-kms-key-rotation": ("aws:kms/key:Key", {
        "description": "data", "enableKeyRotation": True, "rotationPeriodInDays": 180,
        "keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "SYMMETRIC_DEFAULT"}),
    "azure-storage-account-cmk": ("azure-native:storage:StorageAccount", {
        "resourceGroupName": "rg", "kind": "StorageV2", "sku": {"name": "Standard_ZRS"},
        "encryption": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {
            "keyName": "cmek", "keyVaultUri": "https://acme-kv.vault.azure.net/"}}}),
    "azure-containerregistry-registry-cmk": ("azure-native:containerregistry:Registry", {
        "resourceGroupName": "rg", "sku": {"name": "Premium"}, "encryption": {"status": "enabled", "keyVaultProperties": {
            "identity": "00000000-0000-0000-0000-000000000001", "keyIdentifier": AZURE_KEY_URI}}}),
    "azure-machinelearningservices-workspace-cmk": ("azure-native:machinelearningservices:Workspace", {
        "resourceGroupName": "rg", "encryption": {"status": "Enabled", "keyVaultProperties": {
            "keyVaultArmId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/acme-kv",
            "keyIdentifier": AZURE_KEY_URI}}}),
    "azure-cosmosdb-account-cmk": ("azure-native:cosmosdb:DatabaseAccount", {
        "resourceGroupName": "rg", "databaseAccountOfferType": "Standard", "locations": [{"locationName": "westeurope"}],
        "keyVaultKeyUri": "https://acme-kv.vault.azure.net/keys/cmek"}),
    "azure-keyvault-vault-purge-protection": ("azure-native:keyvault:Vault", {
        "resourceGroupName": "rg", "properties": {"tenantId": "t", "sku": {"family": "A", "name": "premium"},
                                                  "enableSoftDelete": True, "enablePurgeProtection": True}}),
    "azure-compute-disk-cmk": ("azure-native:compute:Disk", {
        "resourceGroupName": "rg", "creationData": {"createOption": "Empty"}, "diskSizeGB": 128,
        "encryption": {"diskEncryptionSetId": "/subscriptions/s/.../diskEncryptionSets/des",
                       "type": "EncryptionAtRestWithCustomerKey"}}),
}


def catalogue_examples() -> list[tuple[str, str, str, dict[str, Any], list[dict[str, Any]]]]:
    """(id, policy, type, compliant, noncompliant examples) for every type of every catalogue entry."""
    from cmek_policies import CATALOGUE
    return [(f"{p.name}:{t.token}", p.name, t.token, dict(t.compliant), [dict(e) for e in t.noncompliant])
            for p in CATALOGUE.policies for t in p.types]


def every_compliant_example() -> dict[str, tuple[str, dict[str, Any]]]:
    """id -> (type, props): the code policies' examples and every catalogue type's compliant example."""
    found = {policy: example for policy, example in COMPLIANT.items()}
    found.update({id_: (type_, props) for id_, _policy, type_, props, _bad in catalogue_examples()})
    return found
