"""Entry point of the component plugin: `python components/ <engine address>` (how the CLI runs a
Python plugin folder) serves the hosted components over gRPC and prints its port."""

from pathlib import Path

import yaml
from pulumi.provider.experimental import component_provider_host

from cmek_ml.plugin import HOSTED_COMPONENTS, PACKAGE


def plugin_version() -> str:
    return str(yaml.safe_load((Path(__file__).parent / "PulumiPlugin.yaml").read_text())["version"])


if __name__ == "__main__":
    component_provider_host(HOSTED_COMPONENTS, name=PACKAGE, version=plugin_version())
