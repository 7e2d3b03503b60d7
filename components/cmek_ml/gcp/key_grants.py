"""Grants each service agent the key role on its key, and nothing wider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp

from cmek_ml.gcp.service_agents import Agent

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@dataclass
class KeyUse:
    """One key and the agents that must be able to use it."""

    key_name: str
    """Stable logical name of the key, used in the grants' names."""
    key: gcp.kms.CryptoKey
    """The key the agents are granted, on the key itself."""
    agents: Sequence[Agent]
    """Service agents (from `ServiceAgents.agents`) that encrypt and decrypt with it."""


class KeyGrants(pulumi.ComponentResource):
    """`CryptoKeyIAMMember` per (agent, key): additive, on the key, never project-wide.

    `usable_key_ids[key_name]` resolves only once every grant on that key exists, so a
    resource built from it cannot be created before its agent may use the key.
    """

    grants: dict[tuple[str, str], list[gcp.kms.CryptoKeyIAMMember]]
    """(key name, service) -> that service's grants on that key."""
    usable_key_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, uses: Sequence[KeyUse], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:KeyGrants", name, None, opts)
        self.grants = {}
        self.usable_key_ids = {}
        for use in uses:
            for agent in use.agents:
                self.grants.setdefault((use.key_name, agent.service), []).append(
                    gcp.kms.CryptoKeyIAMMember(
                        f"{name}-{use.key_name}-{agent.service}-{agent.label}",
                        crypto_key_id=use.key.id,
                        role=ENCRYPTER_DECRYPTER,
                        member=agent.member,
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                )
        for use in uses:
            on_key = [g for (key, _), gs in self.grants.items() if key == use.key_name for g in gs]
            # The key id, carrying the grants as dependencies of whatever consumes it.
            self.usable_key_ids[use.key_name] = pulumi.Output.all(use.key.id, *[g.id for g in on_key]).apply(
                lambda values: values[0]
            )
        self.register_outputs({"usableKeyIds": self.usable_key_ids})
