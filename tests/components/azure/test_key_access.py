"""Role assignments: the right role, on the key, to the right principals, typed ServicePrincipal."""

import pytest

from cmek_ml.azure.key_access import CRYPTO_SERVICE_ENCRYPTION_USER

ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
KEY = "azure-native:keyvault:Key"
VAULT = "azure-native:keyvault:Vault"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
PROD_SUBSCRIPTION = "33333333-3333-4333-8333-333333333333"
COSMOS_DB = "44444444-4444-4444-8444-444444444444"
PROD_ADMINS = "55555555-5555-4555-8555-555555555555"


def role(subscription, guid):
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


@pytest.fixture(scope="module")
def prod(run_azure):
    return run_azure("prod")


def test_the_builtin_role_ids():
    # Published ids of the built-in roles: a typo would grant nothing (or something else).
    assert CRYPTO_SERVICE_ENCRYPTION_USER == "e147488a-f6f5-4113-8e2d-b22465e65bf6"


def test_encryption_identity_gets_the_encryption_user_role_on_the_key(prod):
    grant = prod.one(ASSIGNMENT, "azure-key-access-encryption-identity")
    key = prod.one(KEY, "azure-keys-key")
    identity = prod.one(IDENTITY, "azure-identity-identity")
    assert grant.inputs["roleDefinitionId"] == role(PROD_SUBSCRIPTION, CRYPTO_SERVICE_ENCRYPTION_USER)
    assert grant.inputs["scope"] == key.id, "the grant must be scoped to the key, not the vault or wider"
    assert grant.inputs["principalId"] == identity.state["principalId"]
    assert grant.inputs["principalType"] == "ServicePrincipal"


def test_cosmos_db_principal_gets_the_same_role_on_the_key(prod):
    grant = prod.one(ASSIGNMENT, "azure-key-access-cosmos-db")
    assert grant.inputs["roleDefinitionId"] == role(PROD_SUBSCRIPTION, CRYPTO_SERVICE_ENCRYPTION_USER)
    assert grant.inputs["scope"] == prod.one(KEY, "azure-keys-key").id
    assert grant.inputs["principalId"] == COSMOS_DB
    assert grant.inputs["principalType"] == "ServicePrincipal"


def test_no_cosmos_db_grant_without_a_workspace(run_azure):
    run = run_azure("prod", {"azureMlWorkspaceName": ""})
    assert sorted(g.name for g in run.by_type(ASSIGNMENT)) == [
        f"azure-key-access-admin-{PROD_ADMINS}",
        "azure-key-access-encryption-identity",
        "azure-key-rotation-policy-grant",
    ]


def test_key_admins_get_the_key_administrator_role_on_the_vault_and_nothing_else(prod):
    admin = prod.one(ASSIGNMENT, f"azure-key-access-admin-{PROD_ADMINS}")
    definition = prod.one(ROLE_DEFINITION, "azure-key-access-key-administrator")
    assert admin.inputs["roleDefinitionId"] == definition.id
    assert admin.inputs["scope"] == prod.one(VAULT, "azure-keys-vault").id
    assert admin.inputs["principalType"] == "Group"
    users = {g.inputs["principalId"] for g in prod.by_type(ASSIGNMENT) if g.inputs["roleDefinitionId"].endswith(CRYPTO_SERVICE_ENCRYPTION_USER)}
    assert PROD_ADMINS not in users


def test_key_administrator_role_manages_keys_but_cannot_use_them(prod):
    definition = prod.one(ROLE_DEFINITION, "azure-key-access-key-administrator")
    group = prod.one("azure-native:resources:ResourceGroup", "azure-rg-group").id
    assert definition.inputs["roleName"] == "cmek-ml key administrator (acme-ml-prod-kv)"
    assert definition.inputs["roleType"] == "CustomRole"
    assert definition.inputs["scope"] == group and definition.inputs["assignableScopes"] == [group]
    [permissions] = definition.inputs["permissions"]
    assert permissions["dataActions"] == ["Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*"]
    use = {f"Microsoft.KeyVault/vaults/keys/{op}/action" for op in ("encrypt", "decrypt", "wrap", "unwrap", "sign", "verify", "release", "backup")}
    assert set(permissions["notDataActions"]) == use
    # Nothing that writes outside the keys, and no role-assignment rights.
    assert all(action.endswith("/read") for action in permissions["actions"]), permissions["actions"]


def test_no_key_administrator_role_without_key_admins(run_azure):
    run = run_azure("dev")
    assert [r.name for r in run.by_type(ROLE_DEFINITION)] == ["azure-key-rotation-policy-role"]
    assert not [g for g in run.by_type(ASSIGNMENT) if "-admin-" in g.name]


def test_every_grant_is_on_one_resource_never_a_group_or_subscription(prod):
    # The key and its vault; the workspace identity's on the workspace's associated resources.
    allowed = {
        prod.one(KEY, "azure-keys-key").id,
        prod.one(VAULT, "azure-keys-vault").id,
        prod.one(VAULT, "azure-ml-secrets-vault").id,
        prod.one("azure-native:storage:StorageAccount", "azure-storage-account").id,
        prod.one("azure-native:containerregistry:Registry", "azure-registry-registry").id,
        prod.one("azure-native:applicationinsights:Component", "azure-ml-insights").id,
    }
    for grant in prod.by_type(ASSIGNMENT):
        assert grant.inputs["scope"] in allowed, f"{grant.name} is scoped to {grant.inputs['scope']}"


def test_empty_subscription_uses_the_providers(run_azure):
    run = run_azure("dev", {"azureSubscriptionId": "", "azureTenantId": "", "azure-native:subscriptionId": "66666666-6666-4666-8666-666666666666"})
    grant = run.one(ASSIGNMENT, "azure-key-access-encryption-identity")
    assert grant.inputs["roleDefinitionId"] == role("66666666-6666-4666-8666-666666666666", CRYPTO_SERVICE_ENCRYPTION_USER)
    assert [tok for tok, _ in run.monitor.invokes].count("azure-native:authorization:getClientConfig") == 1
    assert run.outputs["azure"]["subscriptionId"] == "66666666-6666-4666-8666-666666666666"


def test_configured_subscription_needs_no_lookup(run_azure):
    run = run_azure("dev")
    assert "azure-native:authorization:getClientConfig" not in [tok for tok, _ in run.monitor.invokes]
