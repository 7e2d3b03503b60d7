"""The Azure landing zone as a whole: resource group, identity, exports, stacks, preview."""

import pytest
from pulumi.output import Unknown

from tests import readme_sections

GROUP = "azure-native:resources:ResourceGroup"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
KEY = "azure-native:keyvault:Key"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
DEV_GROUP = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/acme-ml-dev"


@pytest.fixture(scope="module")
def dev(run_azure):
    return run_azure("dev")


def test_created_resource_group_is_protected(dev):
    group = dev.one(GROUP, "azure-rg-group")
    assert group.protect
    assert group.inputs["resourceGroupName"] == "acme-ml-dev"
    assert group.inputs["location"] == "westeurope"
    assert group.id == DEV_GROUP


def test_adopted_resource_group_is_looked_up_not_managed(run_azure):
    run = run_azure("dev", {"azureResourceGroupMode": "adopt"})
    assert run.by_type(GROUP) == []
    lookups = [args for tok, args in run.monitor.invokes if tok == "azure-native:resources:getResourceGroup"]
    assert lookups == [{"resourceGroupName": "acme-ml-dev"}]
    assert run.one(IDENTITY, "azure-identity-identity").inputs["resourceGroupName"] == "acme-ml-dev"
    assert run.outputs["azure"]["resourceGroup"] == "acme-ml-dev"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_azure_resource_is_in_the_group_region_and_tagged(run_azure, stack):
    run = run_azure(stack)
    tags = {"dev": {"env": "dev", "owner": "ml-platform"}, "prod": {"env": "prod", "owner": "ml-platform", "data-class": "confidential"}}[stack]
    for resource in run.resources:
        # Role assignments and definitions have a scope, not a place.
        if not resource.type.startswith("azure-native:") or resource.type.startswith("azure-native:authorization:"):
            continue
        if resource.type != KEY:  # a key lives where its vault does
            assert resource.inputs.get("location") == "westeurope", resource.name
        assert resource.inputs.get("tags") == tags, resource.name
        if resource.type != GROUP:
            assert resource.inputs["resourceGroupName"] == f"acme-ml-{stack}", resource.name


def test_components_parent_their_resources(dev):
    by_urn = {r.urn: r for r in dev.resources}
    zone = dev.one("cmek-ml:azure:LandingZone", "azure")
    for resource in dev.resources:
        if resource.type.startswith("azure-native:"):
            parent = by_urn[resource.parent]
            assert parent.type.startswith("cmek-ml:azure:"), resource.name
            assert parent.parent == zone.urn, resource.name


def test_exports(dev):
    exports = dev.outputs["azure"]
    identity = dev.one(IDENTITY, "azure-identity-identity")
    key = dev.one(KEY, "azure-keys-key")
    workspace = dev.one(WORKSPACE, "azure-ml-workspace")
    vault_id = f"{DEV_GROUP}/providers/Microsoft.KeyVault/vaults/acme-ml-dev-kv"
    assert exports["keyVault"] == {"id": vault_id, "uri": "https://acme-ml-dev-kv.vault.azure.net/"}
    assert exports["key"]["id"] == f"{vault_id}/keys/cmek-ml"
    assert exports["key"]["uri"] == "https://acme-ml-dev-kv.vault.azure.net/keys/cmek-ml"
    assert exports["key"]["uriWithVersion"] == key.state["keyUriWithVersion"] != exports["key"]["uri"]
    assert exports["identity"] == {
        "id": identity.id,
        "clientId": identity.state["clientId"],
        "principalId": identity.state["principalId"],
    }
    assert exports["workspace"]["id"] == workspace.id
    assert exports["workspace"]["hbiWorkspace"] is False
    assert exports["workspace"]["identityId"] == dev.one(IDENTITY, "azure-ml-identity").id
    assert exports["workspace"]["secretsVaultId"] == f"{DEV_GROUP}/providers/Microsoft.KeyVault/vaults/acme-ml-dev-ws-kv"
    assert exports["workspace"]["encryption"] == {
        "status": "Enabled",
        "keyVaultArmId": vault_id,
        "keyIdentifier": key.state["keyUriWithVersion"],
        "userAssignedIdentity": identity.id,
    }
    assert exports["subscriptionId"] == "11111111-1111-4111-8111-111111111111"
    assert exports["tenantId"] == "22222222-2222-4222-8222-222222222222"
    assert exports["containerRegistry"]["loginServer"] == "acmemldevimages.azurecr.io"


def test_no_workspace_export_without_a_workspace(run_azure):
    run = run_azure("dev", {"azureMlWorkspaceName": ""})
    assert "workspace" not in run.outputs["azure"]
    assert run.by_type("azure-native:applicationinsights:Component") == []


def test_preview_with_unknown_ids_registers_the_same_resources(run_azure):
    preview, up = run_azure("prod", preview=True), run_azure("prod")
    assert sorted(r.urn for r in preview.resources) == sorted(r.urn for r in up.resources)
    grant = preview.one("azure-native:authorization:RoleAssignment", "azure-key-access-encryption-identity").urn
    assert grant in preview.one("azure-native:storage:StorageAccount", "azure-storage-account").dependencies
    # Computed by Azure, so unknown until created, not absent.
    assert isinstance(preview.outputs["azure"]["keyVault"]["uri"], Unknown)
    assert isinstance(preview.outputs["azure"]["key"]["uriWithVersion"], Unknown)


def test_stacks_enable_azure_next_to_the_other_clouds(run_stack):
    run = run_stack("prod")
    assert {"gcp", "azure"} <= set(run.outputs)
    assert run.one(WORKSPACE, "azure-ml-workspace").inputs["hbiWorkspace"] is True


# --- resource providers the stack cannot register (issue #9 point 9) --------------------------


def test_a_cmk_workspace_needs_documentdb_and_search_registered(dev, run_azure):
    providers = dev.outputs["azure"]["resourceProviders"]
    for namespace in ("Microsoft.MachineLearningServices", "Microsoft.DocumentDB", "Microsoft.Search",
                      "Microsoft.KeyVault", "Microsoft.Storage", "Microsoft.ContainerInstance"):
        assert namespace in providers, namespace
    without = run_azure("dev", {"azureMlWorkspaceName": "", "azureKeyRotationPolicyScript": False}).outputs["azure"]
    assert not {"Microsoft.DocumentDB", "Microsoft.Search", "Microsoft.ContainerInstance"} & set(without["resourceProviders"])
    command = dev.outputs["azure"]["registerResourceProviders"]
    assert command.split(" && ") == [f"az provider register --wait --namespace {n}" for n in providers]


def test_readme_says_which_providers_to_register_and_how():
    section = readme_sections.words(readme_sections.section("## Azure:"))
    assert "**Resource providers.**" in section
    assert "`Microsoft.DocumentDB` and `Microsoft.Search`" in section
    assert "jq -r .registerResourceProviders" in section
