"""Key Vault keys are created only if absent (ARM `Keys_CreateIfNotExist`): what the preview
says about later changes, and the rotation policy applied through the data plane (issue #9
point 10)."""

import json
import logging

import pytest

from cmek_ml.azure.key_vault import APPLIED_AT_CREATION_ONLY
from cmek_ml.azure.rotation_policy import AZ_CLI_VERSION, ROTATION_POLICY_DATA_ACTIONS
from tests import readme_sections
from tools.mocks import azure as azure_mock

KEY = "azure-native:keyvault:Key"
SCRIPT = "azure-native:resources:AzureCliScript"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
SLEEP = "time:index/sleep:Sleep"
DEV_VAULT, KEY_NAME = "acme-ml-dev-kv", "cmek-ml"


def key_created_earlier(**changes):
    """The dev key as an earlier `up` created it, with `changes` to its ARM properties."""
    properties = {
        "kty": "RSA",
        "keySize": 3072,
        "keyOps": ["wrapKey", "unwrapKey"],
        "attributes": {"enabled": True},
        "rotationPolicy": {
            "attributes": {"expiryTime": "P730D"},
            "lifetimeActions": [
                {"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "Rotate"}},
                {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Notify"}},
            ],
        },
    }
    tags = changes.pop("tags", None)
    properties.update(changes)
    return {**properties, **({"tags": tags} if tags is not None else {})}


@pytest.fixture
def vault_holds(monkeypatch):
    def hold(properties):
        monkeypatch.setattr(azure_mock, "VAULT_KEYS_BEFORE_RUN", {(DEV_VAULT, KEY_NAME): properties})

    return hold


def dev_tags(run_azure):
    return run_azure("dev").one(KEY, "azure-keys-key").inputs["tags"]


def drift_warnings(caplog):
    return [r.getMessage() for r in caplog.records if f"Key Vault key {KEY_NAME}" in r.getMessage()]


def test_the_key_ignores_what_arm_would_silently_drop(run_azure):
    key = run_azure("dev").one(KEY, "azure-keys-key")
    assert sorted(key.ignore_changes) == sorted(
        ["properties.keyOps", "properties.attributes", "properties.rotationPolicy", "tags"]
    ) == sorted(APPLIED_AT_CREATION_ONLY)
    assert key.protect


def test_no_warning_when_the_vault_holds_the_stacks_settings(run_azure, caplog):
    with caplog.at_level(logging.WARNING):
        run = run_azure("dev")
    assert run.outputs["azure"]["key"]["settingsNotApplied"] == []
    assert drift_warnings(caplog) == []


def test_changes_arm_will_not_apply_are_named_with_the_command_that_does(run_azure, vault_holds, caplog):
    tags = dev_tags(run_azure)
    vault_holds(key_created_earlier(keyOps=["encrypt", "decrypt", "wrapKey", "unwrapKey"], tags={**tags, "owner": "old"}))
    with caplog.at_level(logging.WARNING):
        run = run_azure("dev")
    assert run.outputs["azure"]["key"]["settingsNotApplied"] == ["keyOps", "tags"]
    messages = drift_warnings(caplog)
    assert len(messages) == 2 and all("will NOT be applied" in m for m in messages)
    assert any("az keyvault key set-attributes --vault-name acme-ml-dev-kv --name cmek-ml --ops wrapKey unwrapKey" in m for m in messages)


def test_a_rotation_policy_change_is_said_to_be_applied_by_the_script(run_azure, vault_holds, caplog):
    vault_holds(key_created_earlier(rotationPolicy={"attributes": {"expiryTime": "P365D"}, "lifetimeActions": []}, tags=dev_tags(run_azure)))
    with caplog.at_level(logging.WARNING):
        run = run_azure("dev")
    assert run.outputs["azure"]["key"]["settingsNotApplied"] == ["rotationPolicy"]
    (message,) = drift_warnings(caplog)
    assert "rotation-policy script applies it" in message


def test_without_the_script_a_policy_change_is_said_not_to_be_applied(run_azure, vault_holds, caplog):
    vault_holds(key_created_earlier(rotationPolicy={"attributes": {"expiryTime": "P365D"}, "lifetimeActions": []}, tags=dev_tags(run_azure)))
    with caplog.at_level(logging.WARNING):
        run = run_azure("dev", {"azureKeyRotationPolicyScript": False})
    assert run.by_type(SCRIPT) == []
    messages = [r.getMessage() for r in caplog.records]
    assert any("rotation policy differs" in m and "will NOT be applied" in m for m in messages)
    assert any("azureKeyRotationPolicyScript is false" in m for m in messages)


def test_a_first_preview_reads_no_key(run_azure):
    run = run_azure("dev", preview=True)
    assert "azure-native:keyvault:getKey" not in [token for token, _ in run.monitor.invokes]


def test_the_script_puts_the_stacks_policy_through_the_data_plane(run_azure):
    run = run_azure("dev")
    (script,) = run.by_type(SCRIPT)
    env = {v["name"]: v["value"] for v in script.inputs["environmentVariables"]}
    assert env["VAULT_NAME"] == DEV_VAULT and env["KEY_NAME"] == KEY_NAME
    # Key Vault data plane KeyRotationPolicy: lifetimeActions and attributes.expiryTime.
    assert json.loads(env["ROTATION_POLICY"]) == {
        "attributes": {"expiryTime": "P730D"},
        "lifetimeActions": [
            {"action": {"type": "Rotate"}, "trigger": {"timeAfterCreate": "P90D"}},
            {"action": {"type": "Notify"}, "trigger": {"timeBeforeExpiry": "P30D"}},
        ],
    }
    assert "az keyvault key rotation-policy update" in script.inputs["scriptContent"]
    assert '--vault-name "$VAULT_NAME" --name "$KEY_NAME" --value policy.json' in script.inputs["scriptContent"]
    assert script.inputs["kind"] == "AzureCLI" and script.inputs["azCliVersion"] == AZ_CLI_VERSION
    assert script.inputs["cleanupPreference"] == "Always"


def test_a_policy_change_is_an_update_of_the_script_which_reruns_it(run_azure):
    before = run_azure("dev").by_type(SCRIPT)[0].inputs
    after = run_azure("dev", {"azureKeyRotateAfterDays": 60}).by_type(SCRIPT)[0].inputs
    assert before["forceUpdateTag"] != after["forceUpdateTag"]
    assert '"timeAfterCreate":"P60D"' in {v["name"]: v["value"] for v in after["environmentVariables"]}["ROTATION_POLICY"]
    again = run_azure("dev").by_type(SCRIPT)[0].inputs
    assert again["forceUpdateTag"] == before["forceUpdateTag"]


def test_the_script_identity_may_only_read_and_write_this_keys_rotation_policy(run_azure):
    run = run_azure("dev")
    identity = run.one(IDENTITY, "azure-key-rotation-policy-identity")
    role = run.one(ROLE_DEFINITION, "azure-key-rotation-policy-role")
    [permissions] = role.inputs["permissions"]
    assert permissions["dataActions"] == ROTATION_POLICY_DATA_ACTIONS == [
        "Microsoft.KeyVault/vaults/keyrotationpolicies/read",
        "Microsoft.KeyVault/vaults/keyrotationpolicies/write",
    ]
    assert permissions.get("actions", []) == [] and "notDataActions" not in permissions
    grants = [g for g in run.by_type(ASSIGNMENT) if g.inputs["principalId"] == identity.state["principalId"]]
    assert [g.name for g in grants] == ["azure-key-rotation-policy-grant"]
    assert grants[0].inputs["scope"] == run.one(KEY, "azure-keys-key").id
    assert grants[0].inputs["roleDefinitionId"] == role.id
    (script,) = run.by_type(SCRIPT)
    assert list(script.state["identity"]["userAssignedIdentities"]) == [identity.id]
    # The script runs after the grant has reached Key Vault.
    assert grants[0].urn in script.dependencies
    assert run.one(SLEEP, "azure-key-rotation-policy-rbac-propagation").urn in script.dependencies


def test_readme_says_what_arm_drops_and_what_the_script_applies():
    section = readme_sections.words(readme_sections.section("## Azure:"))
    assert "`Keys_CreateIfNotExist`" in section and "`key.settingsNotApplied`" in section
    assert "`azureKeyRotationPolicyScript`" in section and "az keyvault key rotation-policy update" in section
    assert "**queues and tables**" in section
