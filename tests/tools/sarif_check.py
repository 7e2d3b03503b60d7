"""Every SARIF document the tests produce goes through `valid_sarif`: the OASIS SARIF 2.1.0 schema
(vendored from oasis-tcs/sarif-spec, `sarif-2.1/schema/sarif-schema-2.1.0.json`) and what GitHub
code scanning needs beyond it (a line for every result, so alerts can be placed and fingerprinted)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft4Validator(schema)


def valid_sarif(text: str) -> dict[str, Any]:
    """The parsed document; fails the test unless it is schema-valid and every location has a line."""
    document = json.loads(text)
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    for run in document["runs"]:
        for result in run["results"]:
            for location in result["locations"] + result.get("relatedLocations", []):
                physical = location["physicalLocation"]
                assert physical["region"]["startLine"] >= 1, result
                assert not Path(physical["artifactLocation"]["uri"]).is_absolute(), "paths are repository-relative"
        for invocation in run.get("invocations", []):
            for notification in invocation.get("toolExecutionNotifications", []):
                for location in notification.get("locations", []):
                    assert location["physicalLocation"]["region"]["startLine"] >= 1, notification
    return document
