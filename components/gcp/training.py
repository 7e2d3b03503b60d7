"""What a data scientist pastes to run AI Platform Training under the customer's key (seed 000)."""

from __future__ import annotations

import pulumi


def ai_platform_encryption_config(kms_key_name: str) -> dict:
    """`trainingInput.encryptionConfig.kmsKeyName`, structured."""
    return {"trainingInput": {"encryptionConfig": {"kmsKeyName": kms_key_name}}}


def ai_platform_config_yaml(kms_key_name: str) -> str:
    """The seed's `config.yaml` for `gcloud ai-platform jobs submit training --config`."""
    return f"trainingInput:\n  encryptionConfig:\n    kmsKeyName: {kms_key_name}\n"


def ai_platform_submit_command(region: str, job_dir: str) -> str:
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
        " --scale-tier=basic"
    )


def ai_platform_exports(kms_key_name: pulumi.Output[str], region: str, job_dir: pulumi.Input[str]) -> dict:
    return {
        "encryptionConfig": kms_key_name.apply(ai_platform_encryption_config),
        "configYaml": kms_key_name.apply(ai_platform_config_yaml),
        "submitCommand": pulumi.Output.from_input(job_dir).apply(lambda d: ai_platform_submit_command(region, d)),
    }
