"""Declarative Vertex AI resources whose contents are encrypted with the customer's key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_gcp as gcp


@dataclass
class VertexResourcesArgs:
    project: pulumi.Input[str]
    """Workload project."""
    region: str
    """Vertex is strictly regional: must equal the key's region."""
    kms_key_name: pulumi.Input[str]
    """Pass a key id that resolves after the Vertex AI agent's grant."""
    resources: Sequence[str]
    """Any of metadata-store, tensorboard, dataset, featurestore."""
    name_prefix: str = "cmek-ml"
    """Prefix of the resources' names in Vertex."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on every Vertex resource."""


class VertexResources(pulumi.ComponentResource):
    """`encryption_spec` is create-only on every Vertex resource: a key change replaces it."""

    created: dict[str, pulumi.CustomResource]

    def __init__(self, name: str, args: VertexResourcesArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:VertexResources", name, None, opts)
        encryption_spec = {"kms_key_name": args.kms_key_name}
        child = pulumi.ResourceOptions(parent=self, replace_on_changes=["encryptionSpec"])
        common = dict(project=args.project, region=args.region, encryption_spec=encryption_spec)
        builders = {
            "metadata-store": lambda: gcp.vertex.AiMetadataStore(
                f"{name}-metadata-store",
                name=f"{args.name_prefix}-metadata",
                description="ML metadata under the customer's key",
                opts=child,
                **common,
            ),
            "tensorboard": lambda: gcp.vertex.AiTensorboard(
                f"{name}-tensorboard",
                display_name=f"{args.name_prefix}-tensorboard",
                labels=dict(args.labels),
                opts=child,
                **common,
            ),
            "dataset": lambda: gcp.vertex.AiDataset(
                f"{name}-dataset",
                display_name=f"{args.name_prefix}-dataset",
                metadata_schema_uri="gs://google-cloud-aiplatform/schema/dataset/metadata/image_1.0.0.yaml",
                labels=dict(args.labels),
                opts=child,
                **common,
            ),
            # Feature store names take underscores, not dashes.
            "featurestore": lambda: gcp.vertex.AiFeatureStore(
                f"{name}-featurestore",
                name=f"{args.name_prefix}_features".replace("-", "_"),
                online_serving_config={"fixed_node_count": 1},
                force_destroy=False,
                labels=dict(args.labels),
                opts=child,
                **common,
            ),
        }
        self.created = {resource: builders[resource]() for resource in args.resources}
        self.register_outputs({"ids": {k: v.id for k, v in self.created.items()}})
