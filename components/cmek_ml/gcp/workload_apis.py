"""APIs the workload parts call in the ML project, beyond those of the keyed services.

A part's resources fail with "API has not been used in project ... or it is disabled" until its
APIs are on. Each API is enabled once for all the parts that need it, and never disabled on
destroy (other workloads in the project may use it).
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pulumi
import pulumi_gcp as gcp

# Sources: Confidential Space codelab (seed 004: iam and confidentialcomputing in both parties'
# projects); workload identity federation needs the Security Token Service (token exchange)
# and Service Account Credentials (impersonation) APIs in the pool's project; org policies are
# managed through the Organization Policy API.
PART_APIS: Mapping[str, tuple[str, ...]] = {
    "confidential-space-model-owner": (
        "iam.googleapis.com",
        "iamcredentials.googleapis.com",
        "sts.googleapis.com",
        "confidentialcomputing.googleapis.com",
    ),
    "confidential-space-operator": ("iam.googleapis.com", "confidentialcomputing.googleapis.com"),
    "org-policies": ("orgpolicy.googleapis.com",),
}


def enable_part_apis(
    name: str, project: str, parts: Iterable[str], parent: pulumi.Resource
) -> dict[str, list[gcp.projects.Service]]:
    """part -> the Service resources it must wait for; one resource per API."""
    services: dict[str, gcp.projects.Service] = {}
    needed: dict[str, list[gcp.projects.Service]] = {}
    for part in parts:
        for api in PART_APIS[part]:
            if api not in services:
                services[api] = gcp.projects.Service(
                    f"{name}-{api.split('.', 1)[0]}-api",
                    project=project,
                    service=api,
                    disable_on_destroy=False,
                    disable_dependent_services=False,
                    opts=pulumi.ResourceOptions(parent=parent),
                )
            needed.setdefault(part, []).append(services[api])
    return needed
