"""Where the CrossGuard policy pack released with this library lives: in a checkout, or installed.

In a checkout of the repository the pack is `policies/cmek/` beside `components/`. The wheel
ships the same folder as the `cmek_ml_policy_pack` package (see `pyproject.toml`), so
`cmek-ml pack-path` and `pulumi preview --policy-pack "$(cmek-ml pack-path)"` find it after a
plain `pip install`, and data the pack and the components share (the NVMe instance families)
has one source either way. Importing this module imports neither the pack nor any cloud SDK.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

INSTALLED_PACKAGE = "cmek_ml_policy_pack"
"""The import name the wheel gives `policies/cmek/`."""

MANIFEST = "PulumiPolicy.yaml"
NVME_INSTANCE_TYPES = "nvme_instance_types.yaml"


class PolicyPackNotFound(FileNotFoundError):
    """Neither a checkout's `policies/cmek` nor the installed pack is there."""


def policy_pack_dir() -> Path:
    """The pack folder (the one holding `PulumiPolicy.yaml`) that goes with this `cmek_ml`.

    A checkout's own pack wins over an installed one, so code and pack always come from the same
    place: `components/cmek_ml/` runs with `policies/cmek/`, an installed `cmek_ml` with the
    installed `cmek_ml_policy_pack`.
    """
    checkout = Path(__file__).resolve().parents[2] / "policies" / "cmek"
    if (checkout / MANIFEST).is_file():
        return checkout
    spec = importlib.util.find_spec(INSTALLED_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / MANIFEST).is_file():
            return Path(location).resolve()
    raise PolicyPackNotFound(
        f"the cmek-ml policy pack is neither at {checkout} nor installed as {INSTALLED_PACKAGE}: "
        "reinstall cmek-ml (pip install cmek-ml)")


def nvme_instance_types_file() -> Path:
    """SageMaker instance families with local NVMe storage, shared by the pack and the AWS guardrail."""
    return policy_pack_dir() / NVME_INSTANCE_TYPES
