"""The Azure audit of the ML-platform types beyond storage, registries, workspaces, Cosmos DB and disks.

Each row is shaped as its resource provider's GET payload (azure-rest-api-specs examples named in the catalogue's
`audit:` comments), answered through the real Resource Graph call intercepted by `responses`: one resource per
type on a customer key, one on the provider's key.
"""

from __future__ import annotations

import json

import responses

from .test_azure import SUB, URL, _audit, _id, _serve

KEY = "https://kv.vault.azure.net/keys/ml/0123456789abcdef0123456789abcdef"
VAULT = "https://kv.vault.azure.net/"
DES = _id("Microsoft.Compute/diskEncryptionSets", "des")


def _row(arm_type: str, name: str, properties: dict, **top) -> dict:
    return {"id": _id(arm_type, name), "name": name, "type": arm_type.lower(), "location": "westeurope",
            "subscriptionId": SUB, "resourceGroup": "ml", "properties": properties, **top}


def _kms(enabled: bool) -> dict:
    return {"azureKeyVaultKms": {"enabled": enabled, "keyId": KEY, "keyVaultNetworkAccess": "Public"}}


DATABRICKS_CMK = {
    "computeMode": "Hybrid",
    "encryption": {"entities": {
        "managedServices": {"keySource": "Microsoft.Keyvault",
                            "keyVaultProperties": {"keyName": "ms", "keyVaultUri": VAULT, "keyVersion": "0123"}},
        "managedDisk": {"keySource": "Microsoft.Keyvault", "rotationToLatestKeyVersionEnabled": True,
                        "keyVaultProperties": {"keyName": "disk", "keyVaultUri": VAULT, "keyVersion": "0123"}}}},
    # WorkspaceCreate / EnableEncryption.json: the DBFS key's names as ARM spells them.
    "parameters": {"encryption": {"type": "Object", "value": {
        "KeyName": "dbfs", "keySource": "Microsoft.Keyvault", "keyvaulturi": VAULT, "keyversion": "0123"}},
        "prepareEncryption": {"type": "Bool", "value": True}},
}
FLEXIBLE_CMK = {"dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": KEY, "geoBackupKeyURI": KEY,
                                   "primaryUserAssignedIdentityId": _id("Microsoft.ManagedIdentity/userAssignedIdentities", "db")},
                "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Enabled"}}
MESSAGING_CMK = {"encryption": {"keySource": "Microsoft.KeyVault", "requireInfrastructureEncryption": False,
                                "keyVaultProperties": [{"keyName": "bus", "keyVaultUri": VAULT, "keyVersion": ""}]}}

FAMILIES = {
    "microsoft.containerservice/managedclusters": [
        _row("Microsoft.ContainerService/managedClusters", "aks-cmk",
             {"diskEncryptionSetID": DES, "securityProfile": _kms(True), "kubernetesVersion": "1.30"}),
        _row("Microsoft.ContainerService/managedClusters", "aks-platform",
             {"securityProfile": _kms(False), "kubernetesVersion": "1.30"})],
    "microsoft.containerinstance/containergroups": [
        _row("Microsoft.ContainerInstance/containerGroups", "aci-cmk",
             {"encryptionProperties": {"vaultBaseUrl": VAULT, "keyName": "aci", "keyVersion": "0123"}, "osType": "Linux"}),
        _row("Microsoft.ContainerInstance/containerGroups", "aci-platform", {"osType": "Linux"})],
    "microsoft.cognitiveservices/accounts": [
        # CreateAccountWithEncryption.json's response body.
        _row("Microsoft.CognitiveServices/accounts", "openai-cmk", {"encryption": {
            "keySource": "Microsoft.KeyVault",
            "keyVaultProperties": {"keyName": "FakeKeyName", "keyVersion": "891CF236", "keyVaultUri": VAULT}}},
             kind="OpenAI", sku={"name": "S0"}),
        _row("Microsoft.CognitiveServices/accounts", "openai-platform",
             {"encryption": {"keySource": "Microsoft.CognitiveServices"}}, kind="OpenAI", sku={"name": "S0"})],
    "microsoft.databricks/workspaces": [
        _row("Microsoft.Databricks/workspaces", "dbx-cmk", DATABRICKS_CMK, sku={"name": "premium"}),
        _row("Microsoft.Databricks/workspaces", "dbx-platform", {"computeMode": "Hybrid", "parameters": {
            "customVirtualNetworkId": {"type": "String", "value": _id("Microsoft.Network/virtualNetworks", "vnet")}}},
             sku={"name": "premium"}),
        _row("Microsoft.Databricks/workspaces", "dbx-serverless",
             {"computeMode": "Serverless", "encryption": {"entities": {
                 "managedServices": DATABRICKS_CMK["encryption"]["entities"]["managedServices"]}}}, sku={"name": "premium"})],
    "microsoft.search/searchservices": [
        _row("Microsoft.Search/searchServices", "search-cmk",
             {"encryptionWithCmk": {"enforcement": "Enabled", "encryptionComplianceStatus": "Compliant"}}),
        _row("Microsoft.Search/searchServices", "search-platform",
             {"encryptionWithCmk": {"enforcement": "Unspecified", "encryptionComplianceStatus": "Compliant"}})],
    "microsoft.dbforpostgresql/flexibleservers": [
        _row("Microsoft.DBforPostgreSQL/flexibleServers", "pg-cmk", FLEXIBLE_CMK),
        # ReplicasListByServer.json: a server on the service-managed key.
        _row("Microsoft.DBforPostgreSQL/flexibleServers", "pg-platform", {
            "dataEncryption": {"type": "SystemManaged"}, "backup": {"geoRedundantBackup": "Disabled"}}),
        _row("Microsoft.DBforPostgreSQL/flexibleServers", "pg-geo-platform", {
            "dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": KEY}, "backup": {"geoRedundantBackup": "Enabled"}})],
    "microsoft.dbformysql/flexibleservers": [
        _row("Microsoft.DBforMySQL/flexibleServers", "mysql-cmk", FLEXIBLE_CMK),
        _row("Microsoft.DBforMySQL/flexibleServers", "mysql-platform", {"backup": {"geoRedundantBackup": "Disabled"}})],
    "microsoft.synapse/workspaces": [
        _row("Microsoft.Synapse/workspaces", "syn-cmk", {"encryption": {"doubleEncryptionEnabled": True, "cmk": {
            "status": "Enabled", "key": {"name": "default", "keyVaultUrl": KEY}}}}),
        _row("Microsoft.Synapse/workspaces", "syn-platform", {"encryption": {"doubleEncryptionEnabled": False}})],
    "microsoft.eventhub/namespaces": [
        _row("Microsoft.EventHub/namespaces", "eh-cmk", MESSAGING_CMK, sku={"name": "Premium"}),
        _row("Microsoft.EventHub/namespaces", "eh-platform", {"kafkaEnabled": True}, sku={"name": "Standard"})],
    "microsoft.servicebus/namespaces": [
        _row("Microsoft.ServiceBus/namespaces", "sb-cmk", MESSAGING_CMK, sku={"name": "Premium"}),
        _row("Microsoft.ServiceBus/namespaces", "sb-platform", {"encryption": {"keySource": "Microsoft.ServiceBus"}},
             sku={"name": "Premium"})],
    # Snapshots share the disks' query (one per provider); their rows come with the disk family's.
    "microsoft.compute/snapshots": [
        _row("Microsoft.Compute/snapshots", "snap-cmk", {"incremental": True, "encryption": {
            "diskEncryptionSetId": DES, "type": "EncryptionAtRestWithCustomerKey"}}),
        _row("Microsoft.Compute/snapshots", "snap-platform", {"incremental": True, "encryption": {
            "type": "EncryptionAtRestWithPlatformKey"}}),
        _row("Microsoft.Compute/diskEncryptionSets", "des-cmk", {"encryptionType": "EncryptionAtRestWithCustomerKey",
             "activeKey": {"keyUrl": KEY, "sourceVault": {"id": _id("Microsoft.KeyVault/vaults", "kv")}}}),
        _row("Microsoft.Compute/diskEncryptionSets", "des-nokey", {"encryptionType": "EncryptionAtRestWithCustomerKey"})],
    "microsoft.kusto/clusters": [
        _row("Microsoft.Kusto/clusters", "adx-cmk", {"keyVaultProperties": {"keyName": "adx", "keyVersion": "0123",
                                                                            "keyVaultUri": VAULT}}),
        _row("Microsoft.Kusto/clusters", "adx-platform", {"enableDiskEncryption": True})],
    "microsoft.batch/batchaccounts": [
        _row("Microsoft.Batch/batchAccounts", "batch-cmk", {"encryption": {
            "keySource": "Microsoft.KeyVault", "keyVaultProperties": {"keyIdentifier": KEY}}}),
        _row("Microsoft.Batch/batchAccounts", "batch-platform", {"encryption": {"keySource": "Microsoft.Batch"}})],
    "microsoft.hdinsight/clusters": [
        _row("Microsoft.HDInsight/clusters", "hdi-cmk", {"clusterVersion": "5.1", "osType": "Linux", "diskEncryptionProperties": {
            "vaultUri": VAULT, "keyName": "hdi", "keyVersion": "0123", "encryptionAlgorithm": "RSA-OAEP",
            "msiResourceId": _id("Microsoft.ManagedIdentity/userAssignedIdentities", "hdi")}}),
        _row("Microsoft.HDInsight/clusters", "hdi-platform", {"clusterVersion": "5.1", "osType": "Linux"})],
    "microsoft.operationalinsights/clusters": [
        _row("Microsoft.OperationalInsights/clusters", "la-cmk", {"keyVaultProperties": {
            "keyVaultUri": VAULT, "keyName": "logs", "keyVersion": ""}, "billingType": "Cluster"}),
        _row("Microsoft.OperationalInsights/clusters", "la-platform", {"billingType": "Cluster"})],
    "microsoft.cache/redisenterprise": [
        _row("Microsoft.Cache/redisEnterprise", "redis-cmk", {"encryption": {"customerManagedKeyEncryption": {
            "keyEncryptionKeyUrl": KEY, "keyEncryptionKeyIdentity": {"identityType": "userAssignedIdentity"}}}}),
        _row("Microsoft.Cache/redisEnterprise", "redis-platform", {"minimumTlsVersion": "1.2"})],
}


@responses.activate
def test_ml_platform_types_are_judged_from_their_arm_payloads():
    bodies = _serve(FAMILIES)
    report = _audit().run()

    found = sorted({(f.resource.rsplit("/", 1)[-1], f.field) for f in report.findings
                    if f.resource.rsplit("/", 1)[-1] in {r["name"] for rows in FAMILIES.values() for r in rows}})
    assert found == sorted({
        ("aks-platform", "properties.diskEncryptionSetID"),
        ("aks-platform", "properties.securityProfile.azureKeyVaultKms.enabled"),
        ("aci-platform", "properties.encryptionProperties.keyName"),
        ("aci-platform", "properties.encryptionProperties.vaultBaseUrl"),
        ("openai-platform", "properties.encryption.keySource"),
        ("dbx-platform", "properties.encryption.entities.managedServices.keySource"),
        ("dbx-platform", "properties.encryption.entities.managedDisk.keySource"),
        ("dbx-platform", "properties.parameters.encryption.value.keySource"),
        ("search-platform", "properties.encryptionWithCmk.enforcement"),
        ("pg-platform", "properties.dataEncryption.type"),
        ("pg-geo-platform", "properties.dataEncryption.geoBackupKeyURI"),
        ("mysql-platform", "properties.dataEncryption.type"),
        ("syn-platform", "properties.encryption.cmk.key.name"),
        ("syn-platform", "properties.encryption.cmk.key.keyVaultUrl"),
        ("eh-platform", "properties.encryption.keySource"),
        ("sb-platform", "properties.encryption.keySource"),
        ("snap-platform", "properties.encryption.type"),
        ("des-nokey", "properties.activeKey.keyUrl"),
        ("adx-platform", "properties.keyVaultProperties.keyName"),
        ("adx-platform", "properties.keyVaultProperties.keyVaultUri"),
        ("batch-platform", "properties.encryption.keySource"),
        ("hdi-platform", "properties.diskEncryptionProperties.keyName"),
        ("hdi-platform", "properties.diskEncryptionProperties.vaultUri"),
        ("la-platform", "properties.keyVaultProperties.keyName"),
        ("la-platform", "properties.keyVaultProperties.keyVaultUri"),
        ("redis-platform", "properties.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl"),
    })
    # A serverless workspace has no managed disks or DBFS root: exempt, with the catalogue's reason.
    assert sorted((e.resource.rsplit("/", 1)[-1], e.field) for e in report.exemptions
                  if "dbx" in e.resource) == [
        ("dbx-serverless", "encryption.entities.managedDisk.keyVaultProperties.keyName"),
        ("dbx-serverless", "encryption.entities.managedDisk.keyVaultProperties.keyVaultUri"),
        ("dbx-serverless", "parameters.encryption.value.KeyName"),
        ("dbx-serverless", "parameters.encryption.value.keyvaulturi")]
    assert not report.not_checked
    queried = " ".join(b["query"] for b in bodies)
    for arm_type in set(FAMILIES) - {"microsoft.compute/snapshots"}:
        assert f"type in~ ('{arm_type}')" in queried
    assert "type in~ ('microsoft.compute/diskencryptionsets', 'microsoft.compute/disks', 'microsoft.compute/snapshots')" in queried
    covered = set(report.checked_types)
    assert {"azure-native:containerservice:ManagedCluster", "azure-native:cognitiveservices:Account",
            "azure-native:databricks:Workspace", "azure-native:dbforpostgresql:Server", "azure-native:dbformysql:Server",
            "azure-native:synapse:Workspace", "azure-native:eventhub:Namespace", "azure-native:servicebus:Namespace",
            "azure-native:search:Service", "azure-native:containerinstance:ContainerGroup", "azure-native:compute:Snapshot",
            "azure-native:compute:DiskEncryptionSet", "azure-native:kusto:Cluster", "azure-native:batch:BatchAccount",
            "azure-native:hdinsight:Cluster", "azure-native:operationalinsights:Cluster",
            "azure-native:redisenterprise:RedisEnterprise"} <= covered
    assert covered.isdisjoint(report.uncovered)


@responses.activate
def test_databricks_dbfs_key_is_read_under_the_names_arm_uses():
    """Only the DBFS key missing: the finding names ARM's own spelling, and ARM's KeyName satisfies keyName."""
    workspace = json.loads(json.dumps(DATABRICKS_CMK))
    del workspace["parameters"]["encryption"]["value"]["keyvaulturi"]
    _serve({"microsoft.databricks/workspaces": [_row("Microsoft.Databricks/workspaces", "dbx", workspace)]})
    report = _audit().run()
    assert [(f.resource.rsplit("/", 1)[-1], f.field, f.message.split(" ", 1)[0]) for f in report.findings] == [
        ("dbx", "properties.parameters.encryption.value.keyvaulturi", "properties.parameters.encryption.value.keyvaulturi")]


README_NAMES = {  # catalogue token -> how the README's "What it reads" names it
    "azure-native:storage:StorageAccount": "storage accounts", "azure-native:containerregistry:Registry": "container\nregistries",
    "azure-native:machinelearningservices:Workspace": "Machine Learning workspaces",
    "azure-native:cosmosdb:DatabaseAccount": "Cosmos DB accounts", "azure-native:compute:Disk": "managed disks",
    "azure-native:compute:Snapshot": "snapshots", "azure-native:compute:DiskEncryptionSet": "disk\nencryption sets",
    "azure-native:containerservice:ManagedCluster": "AKS clusters", "azure-native:containerinstance:ContainerGroup": "container groups",
    "azure-native:cognitiveservices:Account": "Cognitive Services / Azure OpenAI accounts",
    "azure-native:databricks:Workspace": "Databricks workspaces", "azure-native:search:Service": "AI Search services",
    "azure-native:dbforpostgresql:Server": "PostgreSQL", "azure-native:dbformysql:Server": "MySQL flexible servers",
    "azure-native:synapse:Workspace": "Synapse\nworkspaces", "azure-native:kusto:Cluster": "Data Explorer clusters",
    "azure-native:batch:BatchAccount": "Batch accounts", "azure-native:eventhub:Namespace": "Event Hubs",
    "azure-native:servicebus:Namespace": "Service Bus namespaces", "azure-native:hdinsight:Cluster": "HDInsight clusters",
    "azure-native:operationalinsights:Cluster": "Log Analytics dedicated clusters",
    "azure-native:redisenterprise:RedisEnterprise": "Redis\nEnterprise caches",
}


def test_readme_names_every_azure_type_the_audit_reads():
    from .aws_stubs import rules
    from .test_readme import _section

    assert {a.token for a in rules().audited("azure")} == set(README_NAMES)
    section = _section()
    assert [name for name in README_NAMES.values() if name not in section] == []
