"""Entry point the Pulumi CLI runs (`python -u -m pulumi.policy <engine> .` from this folder)."""

from pulumi_policy import PolicyPack

from cmek_policies import ALL_POLICIES, DESCRIPTION, ENFORCEMENT_LEVEL, PACK_NAME

PolicyPack(name=PACK_NAME, description=DESCRIPTION, enforcement_level=ENFORCEMENT_LEVEL, policies=ALL_POLICIES)
