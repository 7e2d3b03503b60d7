"""CMEK organization policies: the cloud itself refuses a resource without a customer key,
or with a key from anywhere but the KMS project, even when created outside this program."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp

RESTRICT_NON_CMEK_SERVICES = "gcp.restrictNonCmekServices"
RESTRICT_CMEK_KEY_PROJECTS = "gcp.restrictCmekCryptoKeyProjects"
# Services the constraint does not know: listing one makes the policy invalid. Legacy AI
# Platform is absent from the Cloud KMS CMEK-services list (and Fabric's hardened deny-list).
NOT_RESTRICTABLE = frozenset({"ml.googleapis.com"})


def restrictable_services(apis: Sequence[str]) -> list[str]:
    return sorted(set(apis) - NOT_RESTRICTABLE)


@dataclass
class CmekOrgPoliciesArgs:
    parent: str
    """projects/ID, folders/N or organizations/N."""
    non_cmek_denied_services: Sequence[str]
    """API names that may no longer create resources without a KMS key."""
    kms_project: pulumi.Input[str]
    """The only project whose keys may be used for CMEK."""


class CmekOrgPolicies(pulumi.ComponentResource):
    """Both constraints apply to new resources only; existing ones are left as they are."""

    non_cmek_services: gcp.orgpolicy.Policy
    key_projects: gcp.orgpolicy.Policy
    exports: dict

    def __init__(self, name: str, args: CmekOrgPoliciesArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:CmekOrgPolicies", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.non_cmek_services = gcp.orgpolicy.Policy(
            f"{name}-restrict-non-cmek-services",
            parent=args.parent,
            name=f"{args.parent}/policies/{RESTRICT_NON_CMEK_SERVICES}",
            spec={"rules": [{"values": {"denied_values": list(args.non_cmek_denied_services)}}]},
            opts=child,
        )
        allowed_key_projects = [pulumi.Output.concat("under:projects/", args.kms_project)]
        self.key_projects = gcp.orgpolicy.Policy(
            f"{name}-restrict-cmek-key-projects",
            parent=args.parent,
            name=f"{args.parent}/policies/{RESTRICT_CMEK_KEY_PROJECTS}",
            spec={"rules": [{"values": {"allowed_values": allowed_key_projects}}]},
            opts=child,
        )
        self.exports = {
            "parent": args.parent,
            "deniedNonCmekServices": list(args.non_cmek_denied_services),
            "allowedKeyProjects": allowed_key_projects,
        }
        self.register_outputs(self.exports)
