"""The cmek-ml policy pack's policies, one module per cloud plus the stack-level ones.

This package lives inside the pack folder so that the Pulumi CLI, which runs the pack with that folder as
the working directory, imports it as `cmek_policies`; tests put `policies/cmek` on `sys.path` and import
the same name. Modules use relative imports only.
"""

from pulumi_policy import EnforcementLevel

from . import aws, azure, decode_once, gcp, stack, type_index

PACK_NAME = "cmek-ml"
DESCRIPTION = "Blocks ML-platform data left on provider-managed keys (GCP, AWS, Azure), and keys that can be lost."
# Secure by default: a run without --policy-pack-config blocks; policies/config/dev.json relaxes.
ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

# pulumi-policy decodes each request once per policy; with ~30 policies that dominated the pack's cost.
decode_once.install()
# ... and sets up every resource policy for every resource, whatever its type.
type_index.install()

ALL_POLICIES = [*gcp.POLICIES, *aws.POLICIES, *azure.POLICIES, *stack.POLICIES]
