"""What a data scientist pastes to run AI Platform or Vertex AI training under the customer's key
(seed 000). The key must be in the job's region; there is no declarative resource for a job."""

from __future__ import annotations

import pulumi

from cmek_ml.gcp.workload_settings import TrainingSettings


def ai_platform_encryption_config(kms_key_name: str) -> dict:
    """`trainingInput.encryptionConfig.kmsKeyName`, structured."""
    return {"trainingInput": {"encryptionConfig": {"kmsKeyName": kms_key_name}}}


def ai_platform_config_yaml(kms_key_name: str) -> str:
    """The seed's `config.yaml` for `gcloud ai-platform jobs submit training --config`."""
    return f"trainingInput:\n  encryptionConfig:\n    kmsKeyName: {kms_key_name}\n"


def ai_platform_submit_command(region: str, job_dir: str, scale_tier: str = "BASIC") -> str:
    """The seed's submit command; the region must be the key's region. JOB_ID is yours."""
    return (
        "gcloud ai-platform jobs submit training JOB_ID"
        " --config=config.yaml"
        f" --job-dir={job_dir}"
        " --module-name=trainer.task"
        " --package-path=trainer"
        " --python-version=3.7"
        f" --region={region}"
        " --runtime-version=2.11"
        f" --scale-tier={scale_tier.lower()}"
    )


def ai_platform_exports(
    kms_key_name: pulumi.Output[str], region: str, job_dir: pulumi.Input[str], scale_tier: str = "BASIC"
) -> dict:
    return {
        "encryptionConfig": kms_key_name.apply(ai_platform_encryption_config),
        "configYaml": kms_key_name.apply(ai_platform_config_yaml),
        "submitCommand": pulumi.Output.from_input(job_dir).apply(
            lambda d: ai_platform_submit_command(region, d, scale_tier)
        ),
    }


def vertex_sdk_init(project: str, region: str, kms_key_name: str) -> str:
    """`aiplatform.init` so every job and resource the SDK creates carries the key."""
    return (
        f"aiplatform.init(project='{project}', location='{region}', "
        f"encryption_spec_key_name='{kms_key_name}')"
    )


def vertex_custom_job_flags(region: str, kms_key_name: str) -> str:
    return f"--region={region} --encryption-spec-key-name={kms_key_name}"


def vertex_worker_pool_spec(training: TrainingSettings) -> str:
    spec = f"machine-type={training.machine_type},replica-count=1"
    if training.accelerator_type:
        spec += f",accelerator-type={training.accelerator_type},accelerator-count={training.accelerator_count}"
    return spec + ",container-image-uri=IMAGE_URI"


def vertex_custom_job_command(project: str, region: str, kms_key_name: str, training: TrainingSettings) -> str:
    """`gcloud ai custom-jobs create`; JOB_NAME and IMAGE_URI are yours."""
    return (
        "gcloud ai custom-jobs create"
        f" --project={project}"
        " --display-name=JOB_NAME"
        f" --worker-pool-spec={vertex_worker_pool_spec(training)}"
        f" {vertex_custom_job_flags(region, kms_key_name)}"
    )


def vertex_exports(kms_key_name: pulumi.Output[str], project: str, region: str, training: TrainingSettings) -> dict:
    return {
        "encryptionSpecKeyName": kms_key_name,
        "encryptionSpec": kms_key_name.apply(lambda k: {"kmsKeyName": k}),
        "sdkInit": kms_key_name.apply(lambda k: vertex_sdk_init(project, region, k)),
        "customJobFlags": kms_key_name.apply(lambda k: vertex_custom_job_flags(region, k)),
        "customJobCommand": kms_key_name.apply(lambda k: vertex_custom_job_command(project, region, k, training)),
    }
