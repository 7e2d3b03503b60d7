"""Azure: Azure Resource Graph, one KQL query per type family (resource provider), judged with the pack's rules.

Read-only: `POST /providers/Microsoft.ResourceGraph/resources` (Reader on the subscriptions is enough).
Rows carry the resource provider's GET payload; azure-native flattens `properties`, so a row becomes the
catalogue's shape as `{**properties, sku, identity, kind, location}`. `audit:` blocks for Azure:

    audit: {arm_type: Microsoft.Storage/storageAccounts,
            fields: {encryption.keyVaultProperties: encryption.keyvaultproperties},
            names: {keyname: keyName, keyvaulturi: keyVaultUri}}   # where the REST payload's names differ

Throttling (429) is retried after Retry-After (Resource Graph's throttling guidance), up to 4 attempts.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

import requests

from .model import AuditError, Exemption, Finding, NotChecked, Report
from .progress import Progress
from .rules import AuditedType, Naming, Rules, with_field

ENDPOINT = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources"
API_VERSION = "2022-10-01"
SCOPE = "https://management.azure.com/.default"
PAGE_SIZE = 1000  # Resource Graph's maximum $top
ATTEMPTS = 4
TOP_LEVEL = ("sku", "identity", "kind", "location")


def kql(arm_types: list[str]) -> str:
    """One query for a family of types: the columns the rules read, in a stable order for paging."""
    types = ", ".join(f"'{t.lower()}'" for t in sorted(arm_types))
    return (f"Resources | where type in~ ({types}) "
            "| project id, name, type, location, subscriptionId, resourceGroup, kind, sku, identity, properties "
            "| order by id asc")


class TokenSource:
    """Bearer tokens from azure-identity's DefaultAzureCredential (or any credential with get_token)."""

    def __init__(self, credential: Any = None) -> None:
        self.credential = credential

    def token(self) -> str:
        from azure.core import exceptions as azure_errors
        if self.credential is None:
            from azure.identity import DefaultAzureCredential
            self.credential = DefaultAzureCredential()
        try:
            return self.credential.get_token(SCOPE).token
        except azure_errors.ClientAuthenticationError as error:
            raise AuditError("no usable Azure credentials: run az login, or set AZURE_CLIENT_ID/AZURE_TENANT_ID "
                             f"with a secret or federated token ({str(error).splitlines()[0][:160]}).") from None


class AzureAudit:
    def __init__(self, rules: Rules, subscriptions: list[str], progress: Progress, tokens: Optional[TokenSource] = None,
                 session: Optional[requests.Session] = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.rules, self.subscriptions, self.progress = rules, subscriptions, progress
        self.tokens = tokens or TokenSource()
        self.http = session or requests.Session()
        self.sleep = sleep

    def run(self) -> Report:
        bearer = self.tokens.token()
        report = Report(cloud="azure", scope=[f"subscription {s}" for s in self.subscriptions]
                        or ["every subscription the identity can read"])
        audited = self.rules.audited("azure")
        report.checked_types = [a.token for a in audited]
        families: dict[str, list[AuditedType]] = {}
        for item in audited:
            families.setdefault(item.audit["arm_type"].split("/", 1)[0].lower(), []).append(item)
        for family, items in sorted(families.items()):
            by_type = {item.audit["arm_type"].lower(): item for item in items}
            try:
                rows = self._query(kql(list(by_type)), bearer, family)
            except _NotChecked as error:
                report.not_checked.append(NotChecked(f"{family} ({', '.join(sorted(by_type))})", str(error)))
                continue
            for row in rows:
                item = by_type.get(str(row.get("type", "")).lower())
                if item is not None:
                    self._judge(item, row, report)
        report.uncovered = self.rules.not_audited("azure")
        return report

    def _query(self, query: str, bearer: str, family: str) -> list[dict]:
        rows: list[dict] = []
        skip_token: Optional[str] = None
        while True:
            body: dict[str, Any] = {"query": query, "options": {"resultFormat": "objectArray", "$top": PAGE_SIZE}}
            if self.subscriptions:
                body["subscriptions"] = self.subscriptions
            if skip_token:
                body["options"]["$skipToken"] = skip_token
            answer = self._post(body, bearer)
            rows += answer.get("data", [])
            self.progress.step(f"Resource Graph: {family}", len(answer.get("data", [])))
            skip_token = answer.get("$skipToken")
            if not skip_token:
                return rows

    def _post(self, body: dict, bearer: str) -> dict:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self.http.post(ENDPOINT, params={"api-version": API_VERSION}, json=body, timeout=60,
                                          headers={"Authorization": f"Bearer {bearer}"})
            except requests.RequestException as error:
                raise _NotChecked(f"Resource Graph unreachable ({type(error).__name__}: {error})") from None
            if response.status_code == 429 and attempt < ATTEMPTS:
                self.sleep(float(response.headers.get("Retry-After", 2 ** attempt)))
                continue
            if response.ok:
                return response.json()
            error = _error(response)
            if response.status_code == 401:
                raise AuditError(f"Azure rejected the token ({error}): run az login again.")
            if response.status_code == 403:
                raise _NotChecked(f"access denied to Microsoft.ResourceGraph/resources/read ({error})")
            if response.status_code == 429:
                raise _NotChecked(f"throttled: Resource Graph still answered 429 after {ATTEMPTS} attempts")
            raise _NotChecked(f"Resource Graph answered {response.status_code}: {error}")
        raise AssertionError("unreachable")

    def _judge(self, audited: AuditedType, row: dict, report: Report) -> None:
        doc = {**(row.get("properties") or {}), **{k: row[k] for k in TOP_LEVEL if row.get(k) not in (None, "")}}
        naming = Naming.for_cloud("azure", audited.audit)
        judgement = self.rules.judge(audited, naming.to_props(doc))
        resource = str(row.get("id", "?"))
        for path, message in judgement.problems:
            name = naming.api_field(path)
            name = name if name.split(".")[0] in TOP_LEVEL else f"properties.{name}"
            report.findings.append(Finding(resource, audited.token, audited.policy.name, name, with_field(message, name),
                                           audited.policy.severity, str(row.get("location", ""))))
        for path, reason in judgement.exempt:
            report.exemptions.append(Exemption(resource, audited.token, naming.api_field(path), reason))
        report.resources_checked += 1


class _NotChecked(Exception):
    pass


def _error(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code', response.status_code)}: {str(error.get('message', ''))[:200]}"
    except ValueError:
        return str(response.status_code)
