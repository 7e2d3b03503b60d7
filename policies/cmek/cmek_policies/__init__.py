"""The cmek-ml policy pack's policies: those generated from the key catalogue, code per cloud, and stack ones.

This package lives inside the pack folder so that the Pulumi CLI, which runs the pack with that folder as
the working directory, imports it as `cmek_policies`; tests put `policies/cmek` on `sys.path` and import
the same name. Modules use relative imports only.
"""

from pulumi_policy import EnforcementLevel

from . import aws, azure, catalogue, decode_once, gcp, generated, stack, type_index

PACK_NAME = "cmek-ml"
DESCRIPTION = "Blocks ML-platform data left on provider-managed keys (GCP, AWS, Azure), and keys that can be lost."
# Secure by default: a run without --policy-pack-config blocks; policies/config/dev.json relaxes.
ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

# pulumi-policy decodes each request once per policy; with ~30 policies that dominated the pack's cost.
decode_once.install()
# ... and sets up every resource policy for every resource, whatever its type.
type_index.install()

CATALOGUE = catalogue.load()
"""policies/cmek/catalogue: where each ML data store keeps its key (one policy per entry)."""
CATALOGUE_POLICIES = generated.build(CATALOGUE.policies, {**gcp.SPECIAL_CHECKS, **aws.SPECIAL_CHECKS})

ALL_POLICIES = [*CATALOGUE_POLICIES, *gcp.POLICIES, *aws.POLICIES, *azure.POLICIES, *stack.policies(CATALOGUE)]
