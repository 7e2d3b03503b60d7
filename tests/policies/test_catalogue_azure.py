"""Azure catalogue entries: token forms, case-insensitive key sources, and the cases the examples do not show
(attached disks, serverless Databricks, per-resource inheritance, unknown key sources)."""

from __future__ import annotations

import copy

import pytest

from cmek_policies import CATALOGUE
from tests.policies.harness import UNKNOWN, Res, analyzer, of

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
DES = f"{SUB}/Microsoft.Compute/diskEncryptionSets/des"


def _entry(policy_name: str, token: str):
    policy = next(p for p in CATALOGUE.policies if p.name == policy_name)
    return next(t for t in policy.types if t.token == token)


def _versioned(token: str, version: str = "v20250601") -> str:
    package, module, name = token.split(":")
    return f"{package}:{module}/{version}:{name}"


AZURE_TYPES = [pytest.param(p.name, t.token, id=t.token) for p in CATALOGUE.policies if p.cloud == "azure" for t in p.types]


@pytest.mark.parametrize("policy,token", AZURE_TYPES)
def test_api_versioned_tokens_get_the_same_verdicts(policy, token):
    spec = _entry(policy, token)
    assert of(analyzer("prod").analyze(Res(_versioned(token), dict(spec.compliant))), policy) == []
    for bad in spec.noncompliant:
        assert of(analyzer("prod").analyze(Res(_versioned(token), dict(bad))), policy), bad


def test_a_v2_module_alias_is_checked_like_the_current_module():
    spec = _entry("azure-redisenterprise-cluster-cmk", "azure-native:redisenterprise:RedisEnterprise")
    for token in ("azure-native:cache:RedisEnterprise", "azure-native:cache/v20230301preview:RedisEnterprise"):
        assert of(analyzer("prod").analyze(Res(token, dict(spec.noncompliant[0]))), "azure-redisenterprise-cluster-cmk")
        assert of(analyzer("prod").analyze(Res(token, dict(spec.compliant))), "azure-redisenterprise-cluster-cmk") == []


COGNITIVE = "azure-native:cognitiveservices:Account"
KV = {"keyName": "cmek", "keyVaultUri": "https://acme-kv.vault.azure.net/"}


@pytest.mark.parametrize("source,violates", [
    ("Microsoft.KeyVault", False), ("microsoft.keyvault", False), ("MICROSOFT.KEYVAULT", False), (UNKNOWN, False),
    ("Microsoft.CognitiveServices", True), ("microsoft.cognitiveservices", True), (None, True),
])
def test_key_sources_compare_case_insensitively_and_unknown_is_a_customer_key(source, violates):
    encryption = {"keyVaultProperties": KV} if source is None else {"keySource": source, "keyVaultProperties": KV}
    found = of(analyzer("prod").analyze(Res(COGNITIVE, {"kind": "OpenAI", "properties": {"encryption": encryption}})),
               "azure-cognitiveservices-account-cmk")
    assert bool(found) is violates


VM = "azure-native:compute:VirtualMachine"


def _vm(os_disk: dict, data_disks: list) -> dict:
    return {"resourceGroupName": "rg", "storageProfile": {"osDisk": dict(os_disk, createOption="Attach"), "dataDisks": data_disks}}


def test_a_vm_attaching_existing_disks_leaves_them_to_the_disk_policy():
    attached = _vm({"managedDisk": {"id": f"{SUB}/Microsoft.Compute/disks/os"}},
                   [{"lun": 0, "createOption": "Attach", "managedDisk": {"id": f"{SUB}/Microsoft.Compute/disks/data"}}])
    assert of(analyzer("prod").analyze(Res(VM, attached)), "azure-compute-virtual-machine-cmk") == []
    created = copy.deepcopy(attached)
    created["storageProfile"]["dataDisks"] = [{"lun": 0, "createOption": "Empty", "diskSizeGB": 512, "managedDisk": {}}]
    assert of(analyzer("prod").analyze(Res(VM, created)), "azure-compute-virtual-machine-cmk")


def test_a_confidential_vm_needs_its_own_disk_encryption_set_for_the_guest_state():
    confidential = {"resourceGroupName": "rg", "storageProfile": {"osDisk": {"createOption": "FromImage", "managedDisk": {
        "diskEncryptionSet": {"id": DES}, "securityProfile": {"securityEncryptionType": "DiskWithVMGuestState"}}}}}
    assert of(analyzer("prod").analyze(Res(VM, confidential)), "azure-compute-virtual-machine-cmk")
    confidential["storageProfile"]["osDisk"]["managedDisk"]["securityProfile"]["diskEncryptionSet"] = {"id": DES}
    assert of(analyzer("prod").analyze(Res(VM, confidential)), "azure-compute-virtual-machine-cmk") == []


DATABRICKS = "azure-native:databricks:Workspace"
SERVICES_KEY = {"entities": {"managedServices": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": KV}}}


def test_serverless_databricks_needs_only_the_managed_services_key():
    serverless = {"resourceGroupName": "rg", "computeMode": "Serverless", "encryption": SERVICES_KEY}
    assert of(analyzer("prod").analyze(Res(DATABRICKS, serverless)), "azure-databricks-workspace-cmk") == []
    hybrid = dict(serverless, computeMode="Hybrid")
    messages = [f.message for f in of(analyzer("prod").analyze(Res(DATABRICKS, hybrid)), "azure-databricks-workspace-cmk")]
    assert any("managedDisk" in m for m in messages) and any("parameters.encryption" in m for m in messages)
    without_services = {"resourceGroupName": "rg", "computeMode": "Serverless"}
    assert of(analyzer("prod").analyze(Res(DATABRICKS, without_services)), "azure-databricks-workspace-cmk")


@pytest.mark.parametrize("token,props,policy", [
    ("azure-native:sql:EncryptionProtector", {"serverName": "sql", "serverKeyType": "ServiceManaged", "serverKeyName": "ServiceManaged"},
     "azure-sql-server-cmk"),
    ("azure-native:search:Service", {"sku": {"name": "standard"}, "encryptionWithCmk": {"enforcement": "disabled"}}, "azure-search-service-cmk"),
    ("azure-native:netapp:CapacityPoolVolume", {"encryptionKeySource": "microsoft.netapp"}, "azure-netapp-account-cmk"),
    ("azure-native:compute:Snapshot", {"encryption": {"diskEncryptionSetId": DES, "type": "EncryptionAtRestWithPlatformKey"}},
     "azure-compute-snapshot-image-cmk"),
    ("azure-native:containerservice:ManagedCluster", {"diskEncryptionSetID": DES}, "azure-containerservice-managedcluster-cmk"),
    ("azure-native:eventhub:Namespace", {"sku": {"name": "Premium"}}, "azure-eventhub-namespace-cmk"),
    ("azure-native:storagecache:AmlFilesystem", {"storageCapacityTiB": 16}, "azure-storagecache-amlfilesystem-cmk"),
])
def test_microsoft_managed_defaults_and_modes_are_reported(token, props, policy):
    assert of(analyzer("prod").analyze(Res(token, props)), policy)


@pytest.mark.parametrize("token,props,policy", [
    # Geo-redundant backup off: no geo key needed.
    ("azure-native:dbforpostgresql:Server", {"dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": "https://acme-kv.vault.azure.net/keys/k/1"},
                                             "backup": {"geoRedundantBackup": "Disabled"}}, "azure-dbforpostgresql-server-cmk"),
    # Unknown enforcement, key source or disk encryption set during a first preview.
    ("azure-native:search:Service", {"encryptionWithCmk": {"enforcement": UNKNOWN}}, "azure-search-service-cmk"),
    ("azure-native:storage:EncryptionScope", {"source": UNKNOWN}, "azure-storage-encryptionscope-cmk"),
    ("azure-native:containerservice:ManagedCluster", {"diskEncryptionSetID": UNKNOWN,
     "securityProfile": {"azureKeyVaultKms": {"enabled": True, "keyId": UNKNOWN}}}, "azure-containerservice-managedcluster-cmk"),
])
def test_optional_keys_and_unknowns_pass(token, props, policy):
    assert of(analyzer("prod").analyze(Res(token, props)), policy) == []
