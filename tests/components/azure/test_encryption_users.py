"""Storage, registry and workspace: CMK settings, identity forms, status casing, ordering."""

import pytest

from cmek_ml.azure.workspace import CREATE_ONLY
from tools.mocks import azure as azure_mock

STORAGE = "azure-native:storage:StorageAccount"
REGISTRY = "azure-native:containerregistry:Registry"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
KEY = "azure-native:keyvault:Key"
VAULT = "azure-native:keyvault:Vault"
INSIGHTS = "azure-native:applicationinsights:Component"
LOGS = "azure-native:operationalinsights:Workspace"


@pytest.fixture(scope="module")
def dev(run_azure):
    return run_azure("dev")


@pytest.fixture(scope="module")
def prod(run_azure):
    return run_azure("prod")


def ids(run):
    identity = run.one(IDENTITY, "azure-identity-identity")
    return identity.id, identity.state["clientId"], identity.state["principalId"]


# --- storage ---------------------------------------------------------------------------------


def test_storage_uses_the_key_through_the_identity_versionless(dev):
    account = dev.one(STORAGE, "azure-storage-account")
    identity_id, _, _ = ids(dev)
    encryption = account.inputs["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["keyVaultProperties"] == {"keyVaultUri": "https://acme-ml-dev-kv.vault.azure.net/", "keyName": "cmek-ml"}
    assert "keyVersion" not in encryption["keyVaultProperties"], "a pinned version would stop rotation"
    assert encryption["encryptionIdentity"] == {"encryptionUserAssignedIdentity": identity_id}
    assert encryption["services"]["blob"] == {"enabled": True, "keyType": "Account"}
    assert account.inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity_id]}


def test_storage_transport_and_public_access(dev):
    account = dev.one(STORAGE, "azure-storage-account")
    assert account.inputs["enableHttpsTrafficOnly"] is True
    assert account.inputs["minimumTlsVersion"] == "TLS1_2"
    assert account.inputs["allowBlobPublicAccess"] is False
    assert account.inputs["kind"] == "StorageV2"
    assert account.protect, "the account holds the workspace's data"


def test_infrastructure_encryption_is_an_option_and_create_only(dev, run_azure):
    account = dev.one(STORAGE, "azure-storage-account")
    assert account.inputs["encryption"]["requireInfrastructureEncryption"] is True
    assert "encryption.requireInfrastructureEncryption" in account.replace_on_changes
    off = run_azure("dev", {"azureStorageInfrastructureEncryption": False}).one(STORAGE, "azure-storage-account")
    assert off.inputs["encryption"]["requireInfrastructureEncryption"] is False


def test_queues_and_tables_use_the_account_key_from_creation(dev):
    """Queue and Table storage stay on a service-scoped Microsoft key unless the account is
    created with keyType Account for them (Microsoft Learn, issue #9 point 7)."""
    services = dev.one(STORAGE, "azure-storage-account").inputs["encryption"]["services"]
    for service in ("blob", "file", "queue", "table"):
        assert services[service] == {"enabled": True, "keyType": "Account"}, service


def test_queue_and_table_key_scope_is_create_only_and_never_lost(dev):
    account = dev.one(STORAGE, "azure-storage-account")
    # A change shows as a replacement in the preview...
    assert {"encryption.services.queue.keyType", "encryption.services.table.keyType"} <= set(account.replace_on_changes)
    # ...which Pulumi refuses while the account is protected; unprotected, the old account is
    # deleted before its same-named successor is created (never updated, then deleted).
    assert account.protect
    assert account.delete_before_replace


# --- registry --------------------------------------------------------------------------------


def test_registry_is_premium_with_lowercase_status_and_the_client_id(dev):
    registry = dev.one(REGISTRY, "azure-registry-registry")
    identity_id, client_id, principal_id = ids(dev)
    key = dev.one(KEY, "azure-keys-key")
    assert registry.inputs["sku"] == {"name": "Premium"}
    assert registry.inputs["encryption"] == {
        "status": "enabled",
        "keyVaultProperties": {"identity": client_id, "keyIdentifier": key.state["keyUri"]},
    }
    assert client_id != principal_id and client_id != identity_id
    assert registry.inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}}
    assert registry.replace_on_changes == ["encryption.status"]
    assert registry.protect


def test_registry_key_is_versionless(dev):
    key_identifier = dev.one(REGISTRY, "azure-registry-registry").inputs["encryption"]["keyVaultProperties"]["keyIdentifier"]
    assert key_identifier == "https://acme-ml-dev-kv.vault.azure.net/keys/cmek-ml"


@pytest.mark.parametrize("enabled", [True, False])
def test_registry_admin_account_follows_the_setting(run_azure, enabled):
    registry = run_azure("dev", {"azureContainerRegistryAdminUser": enabled}).one(REGISTRY, "azure-registry-registry")
    assert registry.inputs["adminUserEnabled"] is enabled


def test_registry_admin_account_default_is_the_seeds(dev):
    assert dev.one(REGISTRY, "azure-registry-registry").inputs["adminUserEnabled"] is True


# --- workspace -------------------------------------------------------------------------------


def test_workspace_encryption_is_enabled_with_a_versioned_key(dev):
    workspace = dev.one(WORKSPACE, "azure-ml-workspace")
    identity_id, _, _ = ids(dev)
    key, vault = dev.one(KEY, "azure-keys-key"), dev.one(VAULT, "azure-keys-vault")
    assert workspace.inputs["encryption"] == {
        "status": "Enabled",
        "identity": {"userAssignedIdentity": identity_id},
        "keyVaultProperties": {"keyVaultArmId": vault.id, "keyIdentifier": key.state["keyUriWithVersion"]},
    }
    assert key.state["keyUriWithVersion"].startswith(key.state["keyUri"] + "/")


def test_workspace_identity_and_associated_resources(dev):
    workspace = dev.one(WORKSPACE, "azure-ml-workspace")
    identity_id, _, _ = ids(dev)
    own = dev.one(IDENTITY, "azure-ml-identity")
    assert own.inputs["resourceName"] == "acme-ml-dev-identity"
    assert workspace.inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [own.id, identity_id]}
    assert workspace.inputs["primaryUserAssignedIdentity"] == own.id
    # Secrets in their own vault, never the key's: the workspace identity administers it.
    secrets = dev.one(VAULT, "azure-ml-secrets-vault")
    assert workspace.inputs["keyVault"] == secrets.id != dev.one(VAULT, "azure-keys-vault").id
    assert secrets.inputs["vaultName"] == "acme-ml-dev-ws-kv"
    assert workspace.inputs["storageAccount"] == dev.one(STORAGE, "azure-storage-account").id
    assert workspace.inputs["containerRegistry"] == dev.one(REGISTRY, "azure-registry-registry").id
    insights = dev.one(INSIGHTS, "azure-ml-insights")
    assert workspace.inputs["applicationInsights"] == insights.id
    assert insights.inputs["workspaceResourceId"] == dev.one(LOGS, "azure-ml-logs").id
    assert insights.inputs["ingestionMode"] == "LogAnalytics"


def test_hbi_workspace_in_prod_only(dev, prod):
    assert prod.one(WORKSPACE, "azure-ml-workspace").inputs["hbiWorkspace"] is True
    assert dev.one(WORKSPACE, "azure-ml-workspace").inputs["hbiWorkspace"] is False


def test_create_only_workspace_settings_are_replacements(dev):
    replace = dev.one(WORKSPACE, "azure-ml-workspace").replace_on_changes
    assert replace == CREATE_ONLY
    for path in ("hbiWorkspace", "encryption.status", "encryption.keyVaultProperties.keyVaultArmId", "keyVault", "storageAccount"):
        assert path in replace, path
    # Another key or version in the same vault is an in-place update of the service.
    assert "encryption.keyVaultProperties.keyIdentifier" not in replace


# --- ordering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_, name, grants",
    [
        (STORAGE, "azure-storage-account", ["azure-key-access-encryption-identity"]),
        (REGISTRY, "azure-registry-registry", ["azure-key-access-encryption-identity"]),
        (WORKSPACE, "azure-ml-workspace", ["azure-key-access-encryption-identity", "azure-key-access-cosmos-db"]),
    ],
)
def test_encryption_users_wait_for_the_role_assignments(prod, type_, name, grants):
    user = prod.one(type_, name)
    for grant in grants:
        urn = prod.one(ASSIGNMENT, grant).urn
        assert urn in user.dependencies, f"{name} does not wait for {grant}"


@pytest.mark.parametrize("component", ["azure-storage", "azure-registry", "azure-ml"])
def test_encryption_user_components_depend_on_the_grants(prod, component):
    token = {"azure-storage": "CmkStorageAccount", "azure-registry": "CmkRegistry", "azure-ml": "CmkWorkspace"}[component]
    registered = prod.one(f"cmek-ml:azure:{token}", component)
    for grant in ("azure-key-access-encryption-identity", "azure-key-access-cosmos-db"):
        assert prod.one(ASSIGNMENT, grant).urn in registered.dependencies


def test_encryption_users_wait_for_rbac_propagation(prod):
    sleep = prod.one("time:index/sleep:Sleep", "azure-key-access-rbac-propagation")
    grants = [prod.one(ASSIGNMENT, g) for g in ("azure-key-access-encryption-identity", "azure-key-access-cosmos-db")]
    assert sleep.inputs["createDuration"] == "60s"
    # A re-created grant is a new assignment to wait for.
    assert sleep.inputs["triggers"] == {"identityGrant": grants[0].id, "cosmosDbGrant": grants[1].id}
    for grant in grants:
        assert grant.urn in sleep.dependencies
    for type_, name in ((STORAGE, "azure-storage-account"), (REGISTRY, "azure-registry-registry"), (WORKSPACE, "azure-ml-workspace")):
        assert sleep.urn in prod.one(type_, name).dependencies, name


def test_propagation_wait_is_a_setting(run_azure):
    run = run_azure("dev", {"azureRbacPropagationSeconds": 0})
    assert run.by_type("time:index/sleep:Sleep") == []
    grant = run.one(ASSIGNMENT, "azure-key-access-encryption-identity").urn
    assert grant in run.one(STORAGE, "azure-storage-account").dependencies
    longer = run_azure("dev", {"azureRbacPropagationSeconds": 120}).one("time:index/sleep:Sleep", "azure-key-access-rbac-propagation")
    assert longer.inputs["createDuration"] == "120s"


def test_the_key_reference_itself_carries_the_grant(prod):
    # The dependency rides on the key property, so no refactor can drop it silently.
    grant = prod.one(ASSIGNMENT, "azure-key-access-encryption-identity").urn
    assert grant in prod.one(STORAGE, "azure-storage-account").property_dependencies["encryption"]
    assert grant in prod.one(REGISTRY, "azure-registry-registry").property_dependencies["encryption"]
    assert grant in prod.one(WORKSPACE, "azure-ml-workspace").property_dependencies["encryption"]


def test_registration_order_puts_grants_first(prod):
    order = [r.name for r in prod.resources]
    grant = order.index("azure-key-access-encryption-identity")
    for name in ("azure-storage-account", "azure-registry-registry", "azure-ml-workspace"):
        assert order.index(name) > grant


# --- the workspace identity ------------------------------------------------------------------

CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
PROD_ROLES = "/subscriptions/33333333-3333-4333-8333-333333333333/providers/Microsoft.Authorization/roleDefinitions/"


def test_workspace_identity_roles_on_its_associated_resources(prod):
    own = prod.one(IDENTITY, "azure-ml-identity")
    secrets = prod.one(VAULT, "azure-ml-secrets-vault").id
    expected = {
        (prod.one(STORAGE, "azure-storage-account").id, CONTRIBUTOR),
        (prod.one(REGISTRY, "azure-registry-registry").id, CONTRIBUTOR),
        (prod.one(INSIGHTS, "azure-ml-insights").id, CONTRIBUTOR),
        (secrets, CONTRIBUTOR),
        (secrets, KEY_VAULT_ADMINISTRATOR),
    }
    grants = [g for g in prod.by_type(ASSIGNMENT) if g.inputs["principalId"] == own.state["principalId"]]
    assert {(g.inputs["scope"], g.inputs["roleDefinitionId"].removeprefix(PROD_ROLES)) for g in grants} == expected
    assert len(grants) == len(expected)
    assert all(g.inputs["principalType"] == "ServicePrincipal" for g in grants)


def test_nobody_administers_the_key_vault_and_uses_the_key(prod):
    key_vault, key = prod.one(VAULT, "azure-keys-vault").id, prod.one(KEY, "azure-keys-key").id
    on_key_or_vault = [g for g in prod.by_type(ASSIGNMENT) if g.inputs["scope"] in (key_vault, key)]
    own = prod.one(IDENTITY, "azure-ml-identity").state["principalId"]
    assert own not in {g.inputs["principalId"] for g in on_key_or_vault}
    encryption_identity = ids(prod)[2]
    assert [g.inputs["scope"] for g in prod.by_type(ASSIGNMENT) if g.inputs["principalId"] == encryption_identity] == [key]


def test_secrets_vault_is_protected_like_the_key_vault(prod):
    secrets = prod.one(VAULT, "azure-ml-secrets-vault")
    key_vault = prod.one(VAULT, "azure-keys-vault")
    assert secrets.protect
    assert secrets.replace_on_changes == ["properties.softDeleteRetentionInDays"]
    properties = secrets.inputs["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True and properties["enablePurgeProtection"] is True
    assert properties["networkAcls"]["bypass"] == "AzureServices"
    assert {k: v for k, v in properties.items() if k != "vaultUri"} == {
        k: v for k, v in key_vault.inputs["properties"].items() if k != "vaultUri"
    }


def test_workspace_waits_for_its_identity_grants(prod):
    workspace = prod.one(WORKSPACE, "azure-ml-workspace")
    sleep = prod.one("time:index/sleep:Sleep", "azure-ml-rbac-propagation")
    assert sleep.urn in workspace.dependencies
    for grant in ("storage", "registry", "insights", "secrets-vault", "secrets-vault-admin"):
        urn = prod.one(ASSIGNMENT, f"azure-ml-identity-{grant}").urn
        assert urn in workspace.dependencies and urn in sleep.dependencies, grant


# --- the workspace and key rotation (issue #9 point 11) --------------------------------------


def test_an_automatic_rotation_changes_nothing_the_workspace_diff_sees(run_azure, monkeypatch):
    """After a rotation the key's current-version URI is new; the only workspace input it
    changes is ignored, so a refresh and preview show no change to the workspace."""
    before = run_azure("dev").one(WORKSPACE, "azure-ml-workspace")
    monkeypatch.setattr(azure_mock, "key_version", lambda key_id: "0" * 32)
    after = run_azure("dev").one(WORKSPACE, "azure-ml-workspace")
    changed = {k for k in before.inputs if before.inputs[k] != after.inputs[k]}
    assert changed == {"encryption"}
    path = "encryption.keyVaultProperties.keyIdentifier"
    old_id = before.inputs["encryption"]["keyVaultProperties"]["keyIdentifier"]
    new_id = after.inputs["encryption"]["keyVaultProperties"]["keyIdentifier"]
    assert old_id != new_id and new_id.endswith("/" + "0" * 32)
    assert {**after.inputs["encryption"], "keyVaultProperties": {}} == {**before.inputs["encryption"], "keyVaultProperties": {}}
    assert after.inputs["encryption"]["keyVaultProperties"]["keyVaultArmId"] == before.inputs["encryption"]["keyVaultProperties"]["keyVaultArmId"]
    assert after.ignore_changes == [path]


def test_the_workspace_is_created_with_a_versioned_key_uri(dev):
    key = dev.one(KEY, "azure-keys-key")
    identifier = dev.one(WORKSPACE, "azure-ml-workspace").inputs["encryption"]["keyVaultProperties"]["keyIdentifier"]
    assert identifier == key.state["keyUriWithVersion"] and identifier.startswith(key.state["keyUri"] + "/")
