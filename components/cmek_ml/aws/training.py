"""What a data scientist pastes to run SageMaker training under the customer's keys (seed 001).

The seed's CLI lines name fields DescribeTrainingJob does not have (`TrainingJob.SecurityConfig`,
`EbsVolumeEncryption`, `S3OutputEncryptionKmsKeyId`). The API's fields are
`ResourceConfig.VolumeKmsKeyId` and `OutputDataConfig.KmsKeyId`; these exports use them.
"""

from __future__ import annotations

from typing import Any

import pulumi

EXAMPLE_INSTANCE_TYPE = "ml.m5.xlarge"


def create_training_job_flags(volume_key_arn: str, output_key_arn: str, output_path: str) -> str:
    """The `aws sagemaker create-training-job` flags that satisfy the guardrail."""
    return (
        f"--output-data-config S3OutputPath={output_path},KmsKeyId={output_key_arn}"
        f" --resource-config InstanceType={EXAMPLE_INSTANCE_TYPE},InstanceCount=1,VolumeSizeInGB=50,"
        f"VolumeKmsKeyId={volume_key_arn}"
    )


def estimator_kwargs(volume_key_arn: str, output_key_arn: str, output_path: str) -> dict[str, str]:
    """Keyword arguments of `sagemaker.estimator.Estimator` (the SDK drops the volume key on NVMe types)."""
    return {"volume_kms_key": volume_key_arn, "output_kms_key": output_key_arn, "output_path": output_path}


def verification(region: str) -> dict[str, Any]:
    """The seed's check, on the fields DescribeTrainingJob really returns."""
    return {
        "command": (
            "aws sagemaker describe-training-job --training-job-name TRAINING_JOB_NAME"
            f" --region {region}"
            " --query '{VolumeKmsKeyId: ResourceConfig.VolumeKmsKeyId, OutputKmsKeyId: OutputDataConfig.KmsKeyId}'"
        ),
        "fieldsToCheck": {
            "VolumeKmsKeyId": "equals securityProfile.volumeKmsKeyId (null only on NVMe instance types)",
            "OutputKmsKeyId": "equals securityProfile.outputKmsKeyId",
        },
    }


def sagemaker_training_exports(
    volume_key_arn: pulumi.Output[str], output_key_arn: pulumi.Output[str], output_path: pulumi.Input[str], region: str
) -> dict[str, Any]:
    keys_and_path = pulumi.Output.all(volume_key_arn, output_key_arn, output_path)
    return {
        "securityProfile": {"volumeKmsKeyId": volume_key_arn, "outputKmsKeyId": output_key_arn},
        "createTrainingJobFlags": keys_and_path.apply(lambda v: create_training_job_flags(*v)),
        "estimatorKwargs": keys_and_path.apply(lambda v: estimator_kwargs(*v)),
        "verify": verification(region),
    }
