"""kms:DescribeKey: which key an id, alias or ARN names, and whether AWS or the customer manages it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

ClientFactory = Callable[[str, str], Any]


@dataclass(frozen=True)
class ResolvedKey:
    arn: str
    manager: str
    """KeyMetadata.KeyManager: AWS (an AWS-managed key, alias/aws/*) or CUSTOMER."""


def key_region(key: str, default: str) -> str:
    """A key or alias ARN names its region (arn:aws:kms:REGION:ACCOUNT:key/ID); ids and aliases are regional."""
    parts = key.split(":")
    return parts[3] if key.startswith("arn:") and len(parts) > 5 and parts[3] else default


class KeyResolver:
    """Resolves each key once per region; DescribeKey accepts key ids, key ARNs, alias names and alias ARNs."""

    def __init__(self, client: ClientFactory) -> None:
        self.client = client
        self._cache: dict[tuple[str, str], ResolvedKey] = {}

    def describe(self, key: str, region: str) -> ResolvedKey:
        region = key_region(key, region)
        if (key, region) not in self._cache:
            metadata = self.client("kms", region).describe_key(KeyId=key)["KeyMetadata"]
            self._cache[(key, region)] = ResolvedKey(metadata["Arn"], metadata.get("KeyManager", "CUSTOMER"))
        return self._cache[(key, region)]
