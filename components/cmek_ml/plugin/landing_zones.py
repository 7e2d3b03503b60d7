"""The three landing zones, as the plugin serves them: settings in, the Python landing zone built.

Each takes the project's settings as inputs (see `landing_zone_args`), validates all of them with
the reader the Python program uses, and only then registers anything: itself, and the Python
landing zone (`cmek-ml:gcp:LandingZone`, ...) as its only child, named like itself, so every
resource under it is named as in a Python program.
"""

# No `from __future__ import annotations`: Pulumi's schema inference needs real annotations.
from typing import Any, Optional

import pulumi

from cmek_ml.aws.landing_zone import AwsLandingZone as PythonAwsLandingZone
from cmek_ml.aws.settings import read_aws_settings
from cmek_ml.azure.landing_zone import AzureLandingZone as PythonAzureLandingZone
from cmek_ml.azure.settings import read_azure_settings
from cmek_ml.gcp.landing_zone import GcpLandingZone as PythonGcpLandingZone
from cmek_ml.gcp.settings import read_gcp_settings
from cmek_ml.plugin.inputs import HostedComponent, read_landing_zone_settings
from cmek_ml.plugin.landing_zone_args import AwsLandingZoneArgs, AzureLandingZoneArgs, GcpLandingZoneArgs


class GcpLandingZone(HostedComponent):
    """The GCP landing zone: KMS project, key rings and keys, service-agent grants, CMEK buckets and
    registry, and the workloads that use them. Its child is `cmek-ml:gcp:LandingZone`."""

    exports: pulumi.Output[dict[str, Any]]
    """KMS project, key rings, usable key ids (resolved after their grants), agents, buckets, registry, workloads."""

    def __init__(self, name: str, args: GcpLandingZoneArgs, opts: Optional[pulumi.ResourceOptions] = None):
        settings = read_landing_zone_settings(type(self).__name__, name, "gcp", args, GcpLandingZoneArgs, read_gcp_settings)
        super().__init__(name, opts)
        zone = PythonGcpLandingZone(name, settings, pulumi.ResourceOptions(parent=self))
        self.exports = pulumi.Output.from_input(zone.exports)
        self.register_outputs({"exports": self.exports})


class AwsLandingZone(HostedComponent):
    """The AWS landing zone: KMS keys with generated key policies, SSE-KMS buckets, ECR, SageMaker
    log groups and the guardrail that denies jobs without the keys. Its child is
    `cmek-ml:aws:LandingZone`."""

    exports: pulumi.Output[dict[str, Any]]
    """Key ARNs and aliases, buckets, repository, log groups and the SageMaker training settings."""

    def __init__(self, name: str, args: AwsLandingZoneArgs, opts: Optional[pulumi.ResourceOptions] = None):
        settings = read_landing_zone_settings(type(self).__name__, name, "aws", args, AwsLandingZoneArgs, read_aws_settings)
        super().__init__(name, opts)
        zone = PythonAwsLandingZone(name, settings, pulumi.ResourceOptions(parent=self))
        self.exports = pulumi.Output.from_input(zone.exports)
        self.register_outputs({"exports": self.exports})


class AzureLandingZone(HostedComponent):
    """The Azure landing zone: resource group, Key Vault and rotating key, encryption identity and
    key grants, CMK storage and registry, and optionally the Azure ML workspace. Its child is
    `cmek-ml:azure:LandingZone`."""

    exports: pulumi.Output[dict[str, Any]]
    """What the landing zone exports: vault and key URIs, identity, storage, registry, workspace."""

    def __init__(self, name: str, args: AzureLandingZoneArgs, opts: Optional[pulumi.ResourceOptions] = None):
        settings = read_landing_zone_settings(type(self).__name__, name, "azure", args, AzureLandingZoneArgs, read_azure_settings)
        super().__init__(name, opts)
        zone = PythonAzureLandingZone(name, settings, pulumi.ResourceOptions(parent=self))
        self.exports = pulumi.Output.from_input(zone.exports)
        self.register_outputs({"exports": self.exports})
