"""Reports, as violations, what each Analyze and AnalyzeStack request carried.

`tests/tools/test_analyzer_client.py` starts it the way the CLI starts a pack and reads the messages
back: they prove what reached the pack over gRPC (properties with unknowns still unknown, options,
provider, parent, dependencies, property dependencies, config, stack environment).
"""

import json

import pulumi
from pulumi_policy import (
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy.proxy import _DictProxy, _ListProxy


def _raw(node):
    """The plain value behind pulumi-policy's proxies; unknowns stay as the engine's sentinel."""
    if isinstance(node, (_DictProxy, _ListProxy)):
        node = node["__target"]  # the proxies' escape hatch
    if isinstance(node, dict):
        return {k: _raw(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_raw(v) for v in node]
    return node


def echo_resource(args, report_violation):
    provider = args.provider
    report_violation(json.dumps({
        "type": args.resource_type,
        "name": args.name,
        "urn": args.urn,
        "props": _raw(args.props),
        "protect": args.opts.protect,
        "parent": args.opts.parent,
        "aliases": list(args.opts.aliases),
        "provider": None if provider is None else {
            "type": provider.resource_type, "urn": provider.urn, "name": provider.name, "props": _raw(provider.props),
        },
        "config": args.get_config(),
        "stack": pulumi.get_stack(),
        "project": pulumi.get_project(),
        "dryRun": pulumi.runtime.is_dry_run(),
        "gcpRegion": pulumi.Config("cmek-ml").get("gcpRegion"),
        "stackTags": dict(args.stack_tags),
    }, default=str))


def echo_stack(args, report_violation):
    for resource in args.resources:
        report_violation(json.dumps({
            "type": resource.resource_type,
            "parent": resource.parent.urn if resource.parent else None,
            "dependencies": [d.urn for d in resource.dependencies],
            "propertyDependencies": {k: [d.urn for d in v] for k, v in resource.property_dependencies.items()},
            "protect": resource.opts.protect,
        }), resource.urn)
    report_violation("stack-wide finding without a URN")


PolicyPack(
    name="echo",
    policies=[
        ResourceValidationPolicy(
            name="echo-resource",
            description="Echoes each Analyze request.",
            validate=echo_resource,
            severity=Severity.LOW,
            remediation_steps="Nothing to fix: a test pack.",
            config_schema=PolicyConfigSchema(properties={
                "fromSchema": {"type": "string", "default": "schema-default"},
                "fromFile": {"type": "integer"},
            }),
        ),
        StackValidationPolicy(
            name="echo-stack",
            description="Echoes the AnalyzeStack request.",
            validate=echo_stack,
            severity=Severity.CRITICAL,
        ),
    ],
)
