"""GCP building blocks, as the plugin serves them: key ring and keys, CMEK bucket, CMEK registry.

Each checks its inputs (with the rules the settings reader applies to the same values), then builds
the Python component as its only child, named like itself.
"""

# No `from __future__ import annotations`: Pulumi's schema inference needs real annotations.
import re
from typing import Optional, TypedDict

import pulumi
from typing_extensions import NotRequired

from cmek_ml.gcp.artifact_registry import CmekRepository, CmekRepositoryArgs
from cmek_ml.gcp.bucket import CmekBucket, CmekBucketArgs
from cmek_ml.gcp.keys import KeyRing, KeyRingArgs
from cmek_ml.gcp.locations import KMS_MULTI_REGIONS, REGIONS, is_multi_region_bucket
from cmek_ml.gcp.settings import BUCKET_NAME, DAY, DESTROY_SCHEDULED_RANGE, KMS_NAME, KMS_NAME_RULE, PROTECTION_LEVELS
from cmek_ml.gcp.workload_settings import REPOSITORY_ID, REPOSITORY_ID_RULE
from cmek_ml.plugin.inputs import HostedComponent, InputChecks

KEY_RING_LOCATIONS = sorted(REGIONS | KMS_MULTI_REGIONS)
SECONDS = r"[0-9]+s"


class GcpKeyRingArgs(TypedDict):
    """A key ring and its keys."""

    project: pulumi.Input[str]
    """The KMS project."""
    location: str
    """A region for workload keys; a multi-region (us, europe, asia, ...) only for multi-region buckets."""
    name: str
    """Key ring name. Key rings cannot be deleted, so a name cannot be reused."""
    keys: list[str]
    """Key names, one per purpose (or one shared key)."""
    rotation_period: str
    """Rotation period in seconds, such as `7776000s` (90 days); Cloud KMS requires more than one day."""
    protection_level: NotRequired[str]
    """SOFTWARE (default) or HSM."""
    destroy_scheduled_duration: NotRequired[str]
    """How long destroyed versions stay recoverable, 1-120 days in seconds (default `2592000s`); create-only."""
    labels: NotRequired[dict[str, str]]
    """Labels of the keys."""


class GcpKeyRing(HostedComponent):
    """A `protect`ed key ring with symmetric ENCRYPT_DECRYPT keys that rotate and are never
    destroyed by accident (`deletion_policy=PREVENT`, `protect`). Its child is `cmek-ml:gcp:KeyRing`."""

    key_ring_id: pulumi.Output[str]
    """The key ring's id."""
    key_ids: pulumi.Output[dict[str, str]]
    """Key name -> key id. Grant the service agent the key role before a resource uses a key."""

    def __init__(self, name: str, args: GcpKeyRingArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, GcpKeyRingArgs)
        checks.one_of("location", args["location"], KEY_RING_LOCATIONS)
        checks.matching("name", args["name"], KMS_NAME, KMS_NAME_RULE)
        if not args["keys"]:
            checks.problem("keys", args["keys"], "must name at least one key")
        for key in args["keys"]:
            checks.matching("keys", key, KMS_NAME, f"each key name {KMS_NAME_RULE}")
        _check_seconds(checks, "rotationPeriod", args["rotation_period"], DAY + 1, None)
        checks.one_of("protectionLevel", args.get("protection_level", "SOFTWARE"), PROTECTION_LEVELS)
        if "destroy_scheduled_duration" in args:
            _check_seconds(checks, "destroyScheduledDuration", args["destroy_scheduled_duration"], *DESTROY_SCHEDULED_RANGE)
        checks.raise_if_invalid()
        super().__init__(name, opts)
        ring = KeyRing(name, KeyRingArgs(**args), pulumi.ResourceOptions(parent=self))
        self.key_ring_id = ring.key_ring.id
        self.key_ids = pulumi.Output.from_input({key: crypto_key.id for key, crypto_key in ring.keys.items()})
        self.register_outputs({"keyRingId": self.key_ring_id, "keyIds": self.key_ids})


class GcpCmekBucketArgs(TypedDict):
    """A Cloud Storage bucket whose default key is the customer's."""

    project: pulumi.Input[str]
    """Workload project that owns the bucket."""
    name: str
    """Globally unique bucket name."""
    location: str
    """A region, or a multi-region (US, EU, ASIA, ...) for a multi-region key; the key must be there."""
    kms_key_name: pulumi.Input[str]
    """Default key for new objects. Pass the key id only once the storage agent may use the key."""
    labels: NotRequired[dict[str, str]]
    """Labels of the bucket."""
    versioning: NotRequired[bool]
    """Keep noncurrent versions, so an overwrite or delete can be undone (default true)."""


class GcpCmekBucket(HostedComponent):
    """Uniform access, public access prevention enforced, versioned, no `force_destroy`. Its child
    is `cmek-ml:gcp:CmekBucket`."""

    bucket_name: pulumi.Output[str]
    """The bucket's name."""
    url: pulumi.Output[str]
    """`gs://<name>`."""

    def __init__(self, name: str, args: GcpCmekBucketArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, GcpCmekBucketArgs)
        checks.matching("name", args["name"], BUCKET_NAME, "must be 3-63 of a-z 0-9 _ -, starting and ending with a letter or digit")
        if "goog" in args["name"]:
            checks.problem("name", args["name"], "must not contain 'goog'")
        location = args["location"]
        if location.lower() not in REGIONS and not is_multi_region_bucket(location):
            checks.problem("location", location, "must be a region such as us-central1 or a multi-region (US, EU, ASIA, ...)")
        checks.raise_if_invalid()
        super().__init__(name, opts)
        bucket = CmekBucket(name, CmekBucketArgs(**args), pulumi.ResourceOptions(parent=self))
        self.bucket_name = bucket.bucket.name
        self.url = bucket.bucket.url
        self.register_outputs({"bucketName": self.bucket_name, "url": self.url})


class GcpCmekRepositoryArgs(TypedDict):
    """An Artifact Registry repository encrypted with the customer's key."""

    project: pulumi.Input[str]
    """Workload project that owns the repository."""
    repository_id: str
    """Repository id: 2-63 of a-z 0-9 -, starting with a letter."""
    location: str
    """Region of the repository; must equal the key's location."""
    kms_key_name: pulumi.Input[str]
    """Key id. Create-only: a change replaces the repository and deletes its images."""
    format: NotRequired[str]
    """Repository format (default DOCKER)."""
    labels: NotRequired[dict[str, str]]
    """Labels of the repository."""


class GcpCmekRepository(HostedComponent):
    """A CMEK repository whose key change shows in preview as the replacement it is. Its child is
    `cmek-ml:gcp:CmekRepository`."""

    url: pulumi.Output[str]
    """`<location>-docker.pkg.dev/<project>/<repository>`."""

    def __init__(self, name: str, args: GcpCmekRepositoryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, GcpCmekRepositoryArgs)
        checks.matching("repositoryId", args["repository_id"], REPOSITORY_ID, REPOSITORY_ID_RULE)
        checks.one_of("location", args["location"], sorted(REGIONS))
        checks.raise_if_invalid()
        super().__init__(name, opts)
        repository = CmekRepository(name, CmekRepositoryArgs(**args), pulumi.ResourceOptions(parent=self))
        self.url = repository.url
        self.register_outputs({"url": self.url})


def _check_seconds(checks: InputChecks, schema_name: str, value: str, low: int, high: Optional[int]) -> None:
    """A duration as Cloud KMS takes it, `<seconds>s`, within [low, high] seconds."""
    seconds = int(value[:-1]) if isinstance(value, str) and re.fullmatch(SECONDS, value) else None
    if seconds is None:
        checks.problem(schema_name, value, "must be a duration in seconds, such as 7776000s")
    elif seconds < low or (high is not None and seconds > high):
        bound = f"from {low}s to {high}s" if high is not None else f"more than {low - 1}s"
        checks.problem(schema_name, value, f"must be {bound}")

