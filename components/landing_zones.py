"""One landing zone per enabled cloud: how the program turns settings into components.

Each cloud contributes a settings reader and a component. All clouds' settings are read and
validated first, so an invalid stack registers nothing at all.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, Optional

import pulumi

from components.aws.landing_zone import AwsLandingZone
from components.aws.settings import read_aws_settings
from components.azure.landing_zone import AzureLandingZone
from components.azure.settings import read_azure_settings
from components.gcp.landing_zone import GcpLandingZone
from components.gcp.settings import read_gcp_settings
from components.settings import SettingsReader


class Cloud(NamedTuple):
    read_settings: Callable[[SettingsReader], Any]
    landing_zone: Callable[[str, Any], pulumi.ComponentResource]


CLOUDS: dict[str, Cloud] = {
    "gcp": Cloud(read_gcp_settings, GcpLandingZone),
    "aws": Cloud(read_aws_settings, AwsLandingZone),
    "azure": Cloud(read_azure_settings, AzureLandingZone),
}


def read_stack_settings(config: Optional[pulumi.Config] = None) -> dict[str, Any]:
    """Validated settings per enabled cloud; raises ConfigError listing every problem."""
    reader = SettingsReader(config)
    clouds = reader.subset("clouds", CLOUDS)
    if not clouds and not reader.problems:
        reader.problem("clouds", [], "enable at least one of " + ", ".join(CLOUDS))
    settings = {cloud: CLOUDS[cloud].read_settings(reader) for cloud in clouds}
    reader.raise_if_invalid()
    return settings


def build_landing_zones(settings: Mapping[str, Any]) -> dict[str, pulumi.ComponentResource]:
    zones = {}
    for cloud, cloud_settings in settings.items():
        zones[cloud] = CLOUDS[cloud].landing_zone(cloud, cloud_settings)
        pulumi.export(cloud, zones[cloud].exports)
    return zones
