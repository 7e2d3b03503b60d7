"""Azure as the mock engine sees it: ARM ids, vault and key URIs, identity ids, client config.

The signed-in subscription and tenant are the provider's (`azure-native:subscriptionId`,
`azure-native:tenantId`), else the ones the stack names, else fixed mock ones: the simulation
assumes the deployer is signed in where the stack says it deploys.
"""

from __future__ import annotations

import uuid
from typing import Any, Mapping

import pulumi
from pulumi.runtime import rpc

from .cloud_state import World, invoke, output_shape, resource

MOCK_SUBSCRIPTION = "00000000-0000-4000-8000-00000000a2b1"
MOCK_TENANT = "00000000-0000-4000-8000-0000000c1e57"
# Deterministic GUIDs: the same resource gets the same ids in every run.
_NAMESPACE = uuid.UUID("6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b")


def stable_guid(*parts: Any) -> str:
    # str(): during a preview some parts are still unknown.
    return str(uuid.uuid5(_NAMESPACE, "/".join(map(str, parts))))


def signed_in(setting: str) -> str:
    provider_key, project_key, fallback = {
        "subscription": ("subscriptionId", "azureSubscriptionId", MOCK_SUBSCRIPTION),
        "tenant": ("tenantId", "azureTenantId", MOCK_TENANT),
    }[setting]
    return (
        pulumi.Config("azure-native").get(provider_key)
        or pulumi.Config(pulumi.get_project()).get(project_key)
        or fallback
    ).lower()


def group_id(resource_group: str) -> str:
    return f"/subscriptions/{signed_in('subscription')}/resourceGroups/{resource_group}"


def arm_id(inputs: Mapping[str, Any], provider: str, name: str) -> str:
    return f"{group_id(inputs['resourceGroupName'])}/providers/{provider}/{name}"


@output_shape(
    "azure-native:storage:StorageAccount",
    "azure-native:containerregistry:Registry",
    "azure-native:machinelearningservices:Workspace",
    "azure-native:resources:AzureCliScript",
)
def with_identity_response(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """ARM answers user-assigned identities as a map of id -> ids, whatever form the request took."""
    identity = inputs.get("identity")
    assigned = identity.get("userAssignedIdentities") if isinstance(identity, Mapping) else None
    if not isinstance(assigned, list):  # absent, already a map, or unknown in a preview
        return dict(inputs)
    identity = dict(identity)
    if all(isinstance(identity_id, str) for identity_id in assigned):
        identity["userAssignedIdentities"] = {
            identity_id: {"clientId": stable_guid(identity_id, "client"), "principalId": stable_guid(identity_id, "principal")}
            for identity_id in assigned
        }
    else:  # ids still unknown in a preview: so is the map
        del identity["userAssignedIdentities"]
    return {**inputs, "identity": identity}


@invoke("azure-native:authorization:getClientConfig")
def _client_config(world: World, args: Mapping[str, Any]):
    return {
        "clientId": stable_guid("deployer-client"),
        "objectId": stable_guid("deployer-object"),
        "subscriptionId": signed_in("subscription"),
        "tenantId": signed_in("tenant"),
    }


@resource("azure-native:resources:ResourceGroup")
def _resource_group(world: World, name: str, inputs: Mapping[str, Any]):
    group = inputs["resourceGroupName"]
    return group_id(group), {"name": group, "provisioningState": "Succeeded"}


@invoke("azure-native:resources:getResourceGroup")
def _get_resource_group(world: World, args: Mapping[str, Any]):
    group = args["resourceGroupName"]
    return {"id": group_id(group), "name": group, "location": "westeurope", "properties": {"provisioningState": "Succeeded"}}


@resource("azure-native:managedidentity:UserAssignedIdentity")
def _identity(world: World, name: str, inputs: Mapping[str, Any]):
    identity_id = arm_id(inputs, "Microsoft.ManagedIdentity/userAssignedIdentities", inputs["resourceName"])
    return identity_id, {
        "name": inputs["resourceName"],
        "clientId": stable_guid(identity_id, "client"),
        "principalId": stable_guid(identity_id, "principal"),
        "tenantId": signed_in("tenant"),
    }


@output_shape("azure-native:keyvault:Vault")
def _vault_preview(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The vault URI is computed by Azure: unknown in a preview, like any output."""
    properties = inputs.get("properties")
    if not isinstance(properties, Mapping):
        return dict(inputs)
    return {**inputs, "properties": {**properties, "vaultUri": rpc.UNKNOWN}}


@resource("azure-native:keyvault:Vault")
def _vault(world: World, name: str, inputs: Mapping[str, Any]):
    vault = inputs["vaultName"]
    properties = {**inputs["properties"], "vaultUri": f"https://{vault}.vault.azure.net/"}
    return arm_id(inputs, "Microsoft.KeyVault/vaults", vault), {"name": vault, "properties": properties}


# Keys as they were in the vault before this run, (vault, key) -> ARM key properties: a test
# sets one to play a later `up` against a key created earlier with other settings.
VAULT_KEYS_BEFORE_RUN: dict[tuple[str, str], dict[str, Any]] = {}


def key_version(key_id: str) -> str:
    """The key's current version; a test replaces it to play an automatic rotation."""
    return uuid.UUID(stable_guid(key_id, "version")).hex


@resource("azure-native:keyvault:Key")
def _key(world: World, name: str, inputs: Mapping[str, Any]):
    vault, key = inputs["vaultName"], inputs["keyName"]
    key_id = arm_id(inputs, "Microsoft.KeyVault/vaults", f"{vault}/keys/{key}")
    key_uri = f"https://{vault}.vault.azure.net/keys/{key}"
    # ARM's Keys_CreateIfNotExist: an existing key is returned as it is, without any write.
    existing = VAULT_KEYS_BEFORE_RUN.get((vault, key))
    created = {"properties": dict(existing or inputs["properties"]), "tags": dict((existing or inputs).get("tags") or {})}
    world.__dict__.setdefault("azure_keys", {})[(vault, key)] = created
    return key_id, {"name": key, "keyUri": key_uri, "keyUriWithVersion": f"{key_uri}/{key_version(key_id)}"}


@invoke("azure-native:keyvault:getKey")
def _get_key(world: World, args: Mapping[str, Any]):
    vault, key = args["vaultName"], args["keyName"]
    stored = world.__dict__.get("azure_keys", {}).get((vault, key))
    if stored is None:
        raise ValueError(f"KeyNotFound: key {key} not found in vault {vault}")
    return {**stored["properties"], "tags": stored["tags"], "name": key}


@resource("azure-native:authorization:RoleAssignment")
def _role_assignment(world: World, name: str, inputs: Mapping[str, Any]):
    assignment = stable_guid(inputs["scope"], inputs["roleDefinitionId"], inputs["principalId"])
    return f"{inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{assignment}", {"name": assignment}


@resource("azure-native:authorization:RoleDefinition")
def _role_definition(world: World, name: str, inputs: Mapping[str, Any]):
    """Custom roles get a GUID and live under the subscription, whatever scope defined them."""
    guid = stable_guid(inputs["scope"], inputs["roleName"])
    return f"/subscriptions/{signed_in('subscription')}/providers/Microsoft.Authorization/roleDefinitions/{guid}", {
        "name": guid,
        "roleName": inputs["roleName"],
        "type": "Microsoft.Authorization/roleDefinitions",
    }


@resource("azure-native:storage:StorageAccount")
def _storage_account(world: World, name: str, inputs: Mapping[str, Any]):
    account = inputs["accountName"]
    return arm_id(inputs, "Microsoft.Storage/storageAccounts", account), {
        "name": account,
        "identity": with_identity_response(inputs).get("identity"),
        "primaryEndpoints": {"blob": f"https://{account}.blob.core.windows.net/"},
    }


@resource("azure-native:containerregistry:Registry")
def _registry(world: World, name: str, inputs: Mapping[str, Any]):
    registry = inputs["registryName"]
    return arm_id(inputs, "Microsoft.ContainerRegistry/registries", registry), {
        "name": registry,
        "identity": with_identity_response(inputs).get("identity"),
        "loginServer": f"{registry.lower()}.azurecr.io",
    }


@resource("azure-native:operationalinsights:Workspace")
def _log_analytics(world: World, name: str, inputs: Mapping[str, Any]):
    workspace_id = arm_id(inputs, "Microsoft.OperationalInsights/workspaces", inputs["workspaceName"])
    return workspace_id, {"name": inputs["workspaceName"], "customerId": stable_guid(workspace_id)}


@resource("azure-native:applicationinsights:Component")
def _app_insights(world: World, name: str, inputs: Mapping[str, Any]):
    component_id = arm_id(inputs, "Microsoft.Insights/components", inputs["resourceName"])
    key = stable_guid(component_id)
    return component_id, {"name": inputs["resourceName"], "instrumentationKey": key, "connectionString": f"InstrumentationKey={key}"}


@resource("azure-native:machinelearningservices:Workspace")
def _ml_workspace(world: World, name: str, inputs: Mapping[str, Any]):
    workspace_id = arm_id(inputs, "Microsoft.MachineLearningServices/workspaces", inputs["workspaceName"])
    return workspace_id, {
        "name": inputs["workspaceName"],
        "identity": with_identity_response(inputs).get("identity"),
        "workspaceId": stable_guid(workspace_id),
    }


@resource("azure-native:resources:AzureCliScript")
def _deployment_script(world: World, name: str, inputs: Mapping[str, Any]):
    script_id = arm_id(inputs, "Microsoft.Resources/deploymentScripts", inputs["scriptName"])
    return script_id, {
        "name": inputs["scriptName"],
        "identity": with_identity_response(inputs).get("identity"),
        "provisioningState": "Succeeded",
    }
