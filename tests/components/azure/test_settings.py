"""Every Azure setting is validated before anything is registered; one test per rule."""

import pytest

from tests.config_problems import only_problem, problems_for

GOOD_GUID = "0f1e2d3c-4b5a-4968-8776-655443322110"


def test_the_stacks_azure_settings_are_valid(run_azure):
    for stack in ("dev", "prod"):
        assert run_azure(stack).by_type("azure-native:keyvault:Vault")


@pytest.mark.parametrize("sku", ["Basic", "Standard"])
def test_registry_sku_without_cmk_support_is_rejected(run_azure, sku):
    problem = only_problem(run_azure, {"azureContainerRegistrySku": sku}, "azureContainerRegistrySku")
    assert problem.value == sku
    assert "Premium" in problem.allowed
    assert f"cmek-ml:azureContainerRegistrySku = {sku!r}" in str(problem)


def test_unknown_registry_sku_lists_the_skus(run_azure):
    problem = only_problem(run_azure, {"azureContainerRegistrySku": "Classic"}, "azureContainerRegistrySku")
    assert "Basic, Standard, Premium" in problem.allowed


@pytest.mark.parametrize(
    "name",
    [
        "kv",  # too short
        "a" * 25,  # too long
        "1acme-kv",  # digit first
        "-acme-kv",  # dash first
        "acme--kv",  # consecutive dashes
        "acme-kv-",  # dash last
        "acme_kv",  # underscore
        "acme.kv",  # period
        "",  # missing
    ],
)
def test_vault_name_azure_would_reject(run_azure, name):
    problem = only_problem(run_azure, {"azureKeyVaultName": name}, "azureKeyVaultName")
    assert problem.value == name
    assert "3-24 letters, digits or dashes, starting with a letter" in problem.allowed


@pytest.mark.parametrize("name", ["kv1", "a" * 24, "Acme-ML-kv-01"])
def test_vault_names_azure_accepts(run_azure, name):
    run = run_azure("dev", {"azureKeyVaultName": name})
    assert run.one("azure-native:keyvault:Vault", "azure-keys-vault").inputs["vaultName"] == name


@pytest.mark.parametrize("location", ["west-europe", "europe", "West Europe", "us-east-1", ""])
def test_bad_location(run_azure, location):
    problem = only_problem(run_azure, {"azureLocation": location}, "azureLocation")
    assert "unknown Azure region" in problem.allowed and "westeurope" in problem.allowed


def test_location_must_agree_with_the_provider(run_azure):
    problem = only_problem(run_azure, {"azureLocation": "northeurope"}, "azureLocation")
    assert "azure-native:location (westeurope)" in problem.allowed


@pytest.mark.parametrize("size", [1024, 2047, 512, 0])
def test_key_size_below_2048(run_azure, size):
    problem = only_problem(run_azure, {"azureKeySize": size}, "azureKeySize")
    assert problem.value == str(size)
    assert "2048, 3072 or 4096" in problem.allowed and "smaller" in problem.allowed


@pytest.mark.parametrize("size", [2500, 8192])
def test_key_size_not_an_rsa_size_key_vault_offers(run_azure, size):
    only_problem(run_azure, {"azureKeySize": size}, "azureKeySize")


@pytest.mark.parametrize("days", [6, 0, 91, 365])
def test_retention_out_of_7_to_90_days(run_azure, days):
    problem = only_problem(run_azure, {"azureKeyVaultRetentionDays": days}, "azureKeyVaultRetentionDays")
    assert problem.value == days and "from 7 to 90" in problem.allowed


@pytest.mark.parametrize("days", [7, 90])
def test_retention_bounds_are_accepted(run_azure, days):
    vault = run_azure("dev", {"azureKeyVaultRetentionDays": days}).one("azure-native:keyvault:Vault", "azure-keys-vault")
    assert vault.inputs["properties"]["softDeleteRetentionInDays"] == days


def test_missing_cosmos_db_principal_when_the_workspace_needs_it(run_azure):
    problem = only_problem(run_azure, {"azureCosmosDbPrincipalId": ""}, "azureCosmosDbPrincipalId")
    assert "azureMlWorkspaceName" in problem.allowed
    assert "a232010e-820c-4083-83bb-3ace5fc29d0b" in problem.allowed


def test_no_cosmos_db_principal_needed_without_a_workspace(run_azure):
    run = run_azure("dev", {"azureCosmosDbPrincipalId": "", "azureMlWorkspaceName": ""})
    assert run.by_type("azure-native:machinelearningservices:Workspace") == []
    assert run.by_type("azure-native:storage:StorageAccount")


def test_missing_secrets_vault_when_the_workspace_needs_it(run_azure):
    problem = only_problem(run_azure, {"azureMlSecretsVaultName": ""}, "azureMlSecretsVaultName")
    assert "azureMlWorkspaceName" in problem.allowed


def test_secrets_vault_name_azure_would_reject(run_azure):
    problem = only_problem(run_azure, {"azureMlSecretsVaultName": "1-bad--name"}, "azureMlSecretsVaultName")
    assert problem.value == "1-bad--name"
    assert "3-24 letters" in problem.allowed


def test_secrets_vault_is_not_the_key_vault(run_azure):
    problem = only_problem(run_azure, {"azureMlSecretsVaultName": "ACME-ml-dev-kv"}, "azureMlSecretsVaultName")
    assert "azureKeyVaultName" in problem.allowed


def test_no_secrets_vault_without_a_workspace(run_azure):
    run = run_azure("dev", {"azureMlSecretsVaultName": "", "azureMlWorkspaceName": ""})
    assert [v.name for v in run.by_type("azure-native:keyvault:Vault")] == ["azure-keys-vault"]


@pytest.mark.parametrize(
    "key",
    ["azureSubscriptionId", "azureTenantId", "azureCosmosDbPrincipalId"],
)
@pytest.mark.parametrize(
    "value",
    ["not-a-guid", "0f1e2d3c4b5a49688776655443322110", "0f1e2d3c-4b5a-4968-8776-65544332211", "{0f1e2d3c-4b5a-4968-8776-655443322110}"],
)
def test_malformed_guids(run_azure, key, value):
    problem = only_problem(run_azure, {key: value}, key)
    assert problem.value == value and "must be a GUID" in problem.allowed


def test_malformed_key_admin_object_id(run_azure):
    problem = only_problem(run_azure, {"azureKeyAdmins": ["alice@example.com=User"]}, "azureKeyAdmins")
    assert "object id must be a GUID" in problem.allowed


def test_key_admin_principal_type_must_be_known(run_azure):
    problem = only_problem(run_azure, {"azureKeyAdmins": [f"{GOOD_GUID}=ManagedIdentity"]}, "azureKeyAdmins")
    assert "User, Group, ServicePrincipal" in problem.allowed


def test_key_admins_are_not_key_users(run_azure):
    problem = only_problem(
        run_azure,
        {"azureCosmosDbPrincipalId": GOOD_GUID, "azureKeyAdmins": [f"{GOOD_GUID.upper()}=ServicePrincipal"]},
        "azureKeyAdmins",
    )
    assert "separate from key users" in problem.allowed


def test_subscription_must_agree_with_the_provider(run_azure):
    problem = only_problem(run_azure, {"azure-native:subscriptionId": GOOD_GUID}, "azureSubscriptionId")
    assert f"azure-native:subscriptionId ({GOOD_GUID})" in problem.allowed


def test_hsm_key_needs_a_premium_vault(run_azure):
    problem = only_problem(run_azure, {"azureKeyType": "RSA-HSM", "azureKeyVaultSku": "standard"}, "azureKeyType")
    assert "premium" in problem.allowed


@pytest.mark.parametrize(
    "overrides, key",
    [
        ({"azureKeyRotateAfterDays": 6}, "azureKeyRotateAfterDays"),
        ({"azureKeyExpiryDays": 27, "azureKeyRotateAfterDays": 7, "azureKeyNotifyBeforeExpiryDays": 7}, "azureKeyExpiryDays"),
        ({"azureKeyRotateAfterDays": 90, "azureKeyExpiryDays": 96}, "azureKeyRotateAfterDays"),
        ({"azureKeyNotifyBeforeExpiryDays": 6}, "azureKeyNotifyBeforeExpiryDays"),
        ({"azureKeyRotateAfterDays": 30, "azureKeyExpiryDays": 60, "azureKeyNotifyBeforeExpiryDays": 54}, "azureKeyNotifyBeforeExpiryDays"),
    ],
)
def test_rotation_policy_limits(run_azure, overrides, key):
    only_problem(run_azure, overrides, key)


@pytest.mark.parametrize("seconds", [-1, 601])
def test_rbac_propagation_wait_range(run_azure, seconds):
    problem = only_problem(run_azure, {"azureRbacPropagationSeconds": seconds}, "azureRbacPropagationSeconds")
    assert "from 0 to 600" in problem.allowed


@pytest.mark.parametrize(
    "key, value",
    [
        ("azureStorageAccountName", "Acme-Data"),
        ("azureStorageAccountName", "ab"),
        ("azureContainerRegistryName", "acme-images"),
        ("azureContainerRegistryName", "acme"),
        ("azureMlWorkspaceName", "-ws"),
        ("azureResourceGroupName", "group."),
        ("azureIdentityName", "x"),
        ("azureKeyName", "key_1"),
    ],
)
def test_resource_names_azure_would_reject(run_azure, key, value):
    only_problem(run_azure, {key: value}, key)


def test_every_problem_is_reported_at_once(run_azure):
    problems = problems_for(
        run_azure,
        {"azureContainerRegistrySku": "Basic", "azureKeyVaultName": "x", "azureKeySize": 1024, "azureKeyVaultRetentionDays": 120},
    )
    assert sorted(p.key for p in problems) == [
        "azureContainerRegistrySku", "azureKeySize", "azureKeyVaultName", "azureKeyVaultRetentionDays",
    ]
