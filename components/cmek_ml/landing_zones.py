"""One landing zone per enabled cloud: how the program turns settings into components.

Each cloud contributes a settings reader and a component. All clouds' settings are read and
validated first, so an invalid stack registers nothing at all.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Callable, Mapping, NamedTuple, Optional

import pulumi

from cmek_ml.settings import SettingsReader


class Cloud(NamedTuple):
    """Where a cloud's settings reader and landing zone live, imported only when the cloud is on,
    so a program that enables one cloud needs only that cloud's provider SDK (`cmek-ml[gcp]`)."""

    module: str
    read_settings: str
    landing_zone: str
    sdk: str

    def attribute(self, name: str) -> Callable[..., Any]:
        module, _, attribute = name.rpartition(".")
        return getattr(importlib.import_module(f"{self.module}.{module}"), attribute)


CLOUDS: dict[str, Cloud] = {
    "gcp": Cloud("cmek_ml.gcp", "settings.read_gcp_settings", "landing_zone.GcpLandingZone", "pulumi_gcp"),
    "aws": Cloud("cmek_ml.aws", "settings.read_aws_settings", "landing_zone.AwsLandingZone", "pulumi_aws"),
    "azure": Cloud("cmek_ml.azure", "settings.read_azure_settings", "landing_zone.AzureLandingZone",
                   "pulumi_azure_native"),
}


def _missing_sdk(cloud: str) -> Optional[str]:
    """The message for a cloud that is enabled while its provider SDK is not installed."""
    if importlib.util.find_spec(CLOUDS[cloud].sdk) is not None:
        return None
    return (f"{cloud} is enabled but its provider SDK ({CLOUDS[cloud].sdk}) is not installed: "
            f"pip install 'cmek-ml[{cloud}]'")


def read_stack_settings(config: Optional[pulumi.Config] = None) -> dict[str, Any]:
    """Validated settings per enabled cloud; raises ConfigError listing every problem."""
    reader = SettingsReader(config)
    clouds = reader.subset("clouds", CLOUDS)
    if not clouds and not reader.problems:
        reader.problem("clouds", [], "enable at least one of " + ", ".join(CLOUDS))
    settings = {}
    for cloud in clouds:
        missing = _missing_sdk(cloud)
        if missing:
            reader.problem("clouds", clouds, missing)
            continue
        settings[cloud] = CLOUDS[cloud].attribute(CLOUDS[cloud].read_settings)(reader)
    reader.raise_if_invalid()
    return settings


def build_landing_zones(settings: Mapping[str, Any]) -> dict[str, pulumi.ComponentResource]:
    zones = {}
    for cloud, cloud_settings in settings.items():
        zones[cloud] = CLOUDS[cloud].attribute(CLOUDS[cloud].landing_zone)(cloud, cloud_settings)
        pulumi.export(cloud, zones[cloud].exports)
    return zones
