"""GCP: KMS project, key rings and keys, service-agent grants, CMEK storage, registry and workloads.

    from cmek_ml.gcp import KeyRing, KeyRingArgs, CmekBucket, CmekBucketArgs

Each name is imported from its module on first use (pulumi_gcp with it); see `cmek_ml._lazy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmek_ml._lazy import lazy_exports

_EXPORTS = {
    "KmsProject": "kms_project", "KmsProjectArgs": "kms_project",
    "KeyRing": "keys", "KeyRingArgs": "keys",
    "ServiceAgents": "service_agents", "ServiceAgentsArgs": "service_agents",
    "KeyGrants": "key_grants", "KeyUse": "key_grants",
    "CmekBucket": "bucket", "CmekBucketArgs": "bucket",
    "CmekRepository": "artifact_registry", "CmekRepositoryArgs": "artifact_registry",
    "VertexResources": "vertex", "VertexResourcesArgs": "vertex",
    "DataflowBuckets": "dataflow", "DataflowBucketsArgs": "dataflow",
    "CmekDataflowJob": "dataflow", "CmekDataflowJobArgs": "dataflow",
    "CmekLogBucket": "logging_bucket", "CmekLogBucketArgs": "logging_bucket",
    "CmekOrgPolicies": "org_policies", "CmekOrgPoliciesArgs": "org_policies",
    "ConfidentialModelOwner": "confidential_space", "ModelOwnerArgs": "confidential_space",
    "ConfidentialWorkloadOperator": "confidential_space", "OperatorArgs": "confidential_space",
    "GcpLandingZone": "landing_zone", "GcpSettings": "settings", "read_gcp_settings": "settings",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use
    from .artifact_registry import CmekRepository, CmekRepositoryArgs
    from .bucket import CmekBucket, CmekBucketArgs
    from .confidential_space import ConfidentialModelOwner, ConfidentialWorkloadOperator, ModelOwnerArgs, OperatorArgs
    from .dataflow import CmekDataflowJob, CmekDataflowJobArgs, DataflowBuckets, DataflowBucketsArgs
    from .key_grants import KeyGrants, KeyUse
    from .keys import KeyRing, KeyRingArgs
    from .kms_project import KmsProject, KmsProjectArgs
    from .landing_zone import GcpLandingZone
    from .logging_bucket import CmekLogBucket, CmekLogBucketArgs
    from .org_policies import CmekOrgPolicies, CmekOrgPoliciesArgs
    from .service_agents import ServiceAgents, ServiceAgentsArgs
    from .settings import GcpSettings, read_gcp_settings
    from .vertex import VertexResources, VertexResourcesArgs
