"""The Azure audit: the real Resource Graph HTTP call intercepted with `responses`; rows shaped as the resource
providers' GET payloads (azure-rest-api-specs examples, e.g. StorageAccountGetPropertiesCMKEnabled.json)."""

from __future__ import annotations

import io
import json
from collections import namedtuple

import pytest
import responses

from tools.audit import azure
from tools.audit.model import AuditError
from tools.audit.progress import Progress

from .aws_stubs import rules

SUB = "00000000-1111-2222-3333-444444444444"
URL = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources"
AccessToken = namedtuple("AccessToken", "token expires_on")


class FakeCredential:
    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str) -> AccessToken:
        self.scopes += scopes
        return AccessToken("fake-token", 4102444800)


def _id(provider: str, name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/ml/providers/{provider}/{name}"


def _storage(name: str, encryption: dict) -> dict:
    return {"id": _id("Microsoft.Storage/storageAccounts", name), "name": name,
            "type": "microsoft.storage/storageaccounts", "location": "westeurope", "subscriptionId": SUB,
            "resourceGroup": "ml", "kind": "StorageV2", "sku": {"name": "Standard_GRS", "tier": "Standard"},
            "identity": {"type": "SystemAssigned"}, "properties": {"encryption": encryption}}


CMK = {"keySource": "Microsoft.Keyvault",
       "keyvaultproperties": {"keyname": "wrappingKey", "keyvaulturi": "https://myvault8569.vault.azure.net",
                              "keyversion": ""},
       "services": {"blob": {"enabled": True, "keyType": "Account"}, "file": {"enabled": True, "keyType": "Account"}}}
MICROSOFT_KEY = {"keySource": "Microsoft.Storage", "services": {"blob": {"enabled": True, "keyType": "Account"}}}


def _rows_by_family(storage_rows: list[dict]) -> dict[str, list[dict]]:
    return {
        "microsoft.storage/storageaccounts": storage_rows,
        "microsoft.containerregistry/registries": [{
            "id": _id("Microsoft.ContainerRegistry/registries", "acr"), "name": "acr",
            "type": "microsoft.containerregistry/registries", "location": "westeurope", "sku": {"name": "Premium"},
            "properties": {"encryption": {"status": "disabled"}}}],
        "microsoft.machinelearningservices/workspaces": [
            {"id": _id("Microsoft.MachineLearningServices/workspaces", "ws"), "name": "ws", "kind": "Default",
             "type": "microsoft.machinelearningservices/workspaces", "location": "westeurope",
             "properties": {"encryption": {"status": "Enabled", "keyVaultProperties": {
                 "keyVaultArmId": _id("Microsoft.KeyVault/vaults", "kv"),
                 "keyIdentifier": "https://kv.vault.azure.net/keys/ml/0123"}}}},
            {"id": _id("Microsoft.MachineLearningServices/workspaces", "project"), "name": "project", "kind": "Project",
             "type": "microsoft.machinelearningservices/workspaces", "location": "westeurope", "properties": {}}],
        "microsoft.documentdb/databaseaccounts": [{
            "id": _id("Microsoft.DocumentDB/databaseAccounts", "cosmos"), "name": "cosmos", "kind": "GlobalDocumentDB",
            "type": "microsoft.documentdb/databaseaccounts", "location": "westeurope",
            "properties": {"databaseAccountOfferType": "Standard"}}],
        "microsoft.compute/disks": [{
            "id": _id("Microsoft.Compute/disks", "data"), "name": "data", "type": "microsoft.compute/disks",
            "location": "westeurope", "sku": {"name": "Premium_LRS"},
            "properties": {"encryption": {"type": "EncryptionAtRestWithPlatformKey"}, "diskSizeGB": 128}}],
    }


def _serve(families: dict[str, list[dict]], page: int = 1000) -> list[dict]:
    """Answer each query with its family's rows, `page` at a time, handing out $skipToken as Resource Graph does."""
    bodies: list[dict] = []

    def answer(request):
        body = json.loads(request.body)
        bodies.append(body)
        assert request.headers["Authorization"] == "Bearer fake-token"
        assert request.params == {"api-version": "2022-10-01"}
        rows = next((rows for f, rows in families.items() if f"'{f}'" in body["query"]), [])  # others: none found
        start = int(body["options"].get("$skipToken", 0))
        data = rows[start:start + page]
        result = {"totalRecords": len(rows), "count": len(data), "data": data, "resultTruncated": "false",
                  "facets": []}
        if start + page < len(rows):
            result["$skipToken"] = str(start + page)
        return 200, {"Content-Type": "application/json"}, json.dumps(result)

    responses.add_callback(responses.POST, URL, callback=answer)
    return bodies


def _audit(subscriptions=(SUB,), sleep=lambda seconds: None) -> azure.AzureAudit:
    return azure.AzureAudit(rules(), list(subscriptions), Progress(io.StringIO()),
                            tokens=azure.TokenSource(FakeCredential()), sleep=sleep)


@responses.activate
def test_one_query_per_family_judged_with_the_catalogue():
    bodies = _serve(_rows_by_family([_storage("cmk", CMK), _storage("microsoft", MICROSOFT_KEY)]))
    report = _audit().run()

    found = {(f.resource.rsplit("/", 1)[-1], f.field) for f in report.findings}
    assert found == {
        ("microsoft", "properties.encryption.keySource"),
        ("acr", "properties.encryption.status"),
        ("cosmos", "properties.keyVaultKeyUri"),
        ("data", "properties.encryption.type"),
    }
    assert [(e.resource.rsplit("/", 1)[-1], e.field) for e in report.exemptions] == [
        ("project", "encryption.keyVaultProperties.keyVaultArmId"), ("project", "encryption.keyVaultProperties.keyIdentifier")]
    assert len(bodies) == len({a.audit["arm_type"].split("/")[0].lower() for a in rules().audited("azure")})
    storage = next(b for b in bodies if "storageaccounts" in b["query"])
    assert storage == {
        "query": "Resources | where type in~ ('microsoft.storage/storageaccounts') | project id, name, type, location, "
                 "subscriptionId, resourceGroup, kind, sku, identity, properties | order by id asc",
        "subscriptions": [SUB],
        "options": {"resultFormat": "objectArray", "$top": 1000},
    }
    assert report.resources_checked == 7 and not report.not_checked


@responses.activate
def test_pages_over_hundreds_of_storage_accounts():
    accounts = [_storage(f"sa{i:03d}", CMK if i % 4 else MICROSOFT_KEY) for i in range(450)]
    families = _rows_by_family(accounts)
    bodies = _serve(families, page=200)
    report = _audit().run()
    storage_calls = [b["options"].get("$skipToken") for b in bodies if "storageaccounts" in b["query"]]
    assert storage_calls == [None, "200", "400"]
    microsoft = sorted(f.resource for f in report.findings if "storageAccounts" in f.resource)
    assert microsoft == sorted(a["id"] for i, a in enumerate(accounts) if i % 4 == 0)


@responses.activate
def test_throttled_then_answered_and_access_denied():
    storage_calls = {"n": 0}

    def answer(request):
        body = json.loads(request.body)
        storage_calls["n"] += "storageaccounts" in body["query"]
        if "storageaccounts" in body["query"] and storage_calls["n"] == 1:
            return 429, {"Retry-After": "3"}, json.dumps({"error": {"code": "RateLimiting", "message": "slow down"}})
        if "documentdb" in body["query"]:
            return 403, {}, json.dumps({"error": {"code": "AuthorizationFailed", "message": "no Reader"}})
        return 200, {}, json.dumps({"data": [], "count": 0, "totalRecords": 0})

    responses.add_callback(responses.POST, URL, callback=answer)
    slept: list[float] = []
    report = _audit(sleep=slept.append).run()
    assert slept == [3.0] and storage_calls["n"] == 2
    assert [(n.what, n.reason) for n in report.not_checked] == [
        ("microsoft.documentdb (microsoft.documentdb/databaseaccounts)",
         "access denied to Microsoft.ResourceGraph/resources/read (AuthorizationFailed: no Reader)")]
    assert report.exit_code() == 3


@responses.activate
def test_expired_token_cannot_run():
    responses.add(responses.POST, URL, status=401, json={"error": {"code": "ExpiredAuthenticationToken",
                                                                   "message": "The access token expiry"}})
    with pytest.raises(AuditError, match="ExpiredAuthenticationToken"):
        _audit().run()


@responses.activate
def test_command_line_end_to_end(audit, monkeypatch):
    import azure.identity
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", FakeCredential)
    _serve(_rows_by_family([_storage("cmk", CMK)]))
    run = audit("--cloud", "azure", "--subscription", SUB, "--format", "json")
    assert run.code == 1
    assert {f["resource"].rsplit("/", 1)[-1] for f in run.json["findings"]} == {"acr", "cosmos", "data"}


def test_no_azure_credentials_is_one_line(audit, monkeypatch):
    import azure.identity
    from azure.core.exceptions import ClientAuthenticationError

    class NoCredential:
        def get_token(self, *scopes):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token from the included "
                                            "credentials.\nAttempted credentials: ...")

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", NoCredential)
    run = audit("--cloud", "azure")
    assert run.code == 2 and run.out == "" and len(run.err.strip().splitlines()) == 1
    assert "no usable Azure credentials" in run.err and "az login" in run.err
