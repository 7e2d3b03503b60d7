"""Coverage as a test: every SDK resource type with a key-like input (and every type of the independent count)
is in the catalogue or out of scope with a reason; every catalogue path exists in the SDK's input types.

An SDK upgrade that adds a type fails here until someone classifies it. Figures and differences with the
independent count: `python -m tests.policies.coverage`.
"""

from __future__ import annotations

import pytest
import yaml

from cmek_policies import CATALOGUE, catalogue
from tests.policies import coverage, sdk_inputs

CLOUDS = list(coverage.PROVIDERS)
ROWS = coverage.reference_rows()
PENDING: set[str] = set()
"""Clouds whose classification is still being written (issue 13). Strict: once a cloud is complete its test
passes unexpectedly and fails, until the cloud is taken off this set."""


@pytest.mark.parametrize("cloud", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason="classification in progress")) if c in PENDING else c
    for c in CLOUDS])
def test_every_type_taking_a_customer_key_is_classified(cloud):
    found = coverage.coverage(CATALOGUE, cloud, ROWS)
    print(found.line())
    assert len(found.sdk) > 100, "the SDK scan found too little: is the SDK installed?"
    assert sorted(found.unclassified) == [], "add each to the catalogue, or to out_of_scope.yaml with a reason"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_classified_tokens_exist_in_the_sdk(cloud):
    registered = set(sdk_inputs.resources(cloud))
    for token in CATALOGUE.tokens(cloud) | set(CATALOGUE.out_of_scope[cloud]):
        assert token in registered, f"{token} is not a resource of {sdk_inputs.SDKS[cloud]} (typo, or removed)"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_out_of_scope_types_are_not_also_checked(cloud):
    assert CATALOGUE.tokens(cloud) & set(CATALOGUE.out_of_scope[cloud]) == set()


def test_every_catalogue_path_exists_in_the_sdk_input_types():
    missing = []
    for cloud, policy, token, path in sdk_inputs.iter_catalogue_paths(CATALOGUE):
        known = {sdk_inputs.plain(p) for p in sdk_inputs.input_paths(cloud, token)}
        wanted = sdk_inputs.plain(path)
        json_root = path.split("~json", 1)[0] if "~json" in path else None
        if (json_root and sdk_inputs.plain(json_root) not in known) or (not json_root and wanted not in known):
            missing.append(f"{policy} {token}: {path}")
    assert missing == []


def test_list_markers_match_the_sdk():
    # `a[]` wherever the path goes through a list (a list without `[]` would be read as one object and every
    # key in it missed). `[]` on an object is allowed (a single object reads as one item); a path may end on a
    # list without `[]` (a condition that the list is set, or a list of key names).
    wrong = []
    for cloud, policy, token, path in sdk_inputs.iter_catalogue_paths(CATALOGUE):
        if "~json" in path:
            continue
        lists = {sdk_inputs.plain(p) for p in sdk_inputs.input_paths(cloud, token) if p.endswith("[]")}
        prefix = ""
        for segment in path.split(".")[:-1]:
            name = segment.removesuffix("[]").removesuffix("{}")
            prefix = f"{prefix}.{name}" if prefix else name
            if prefix in lists and not segment.endswith("[]"):
                wrong.append(f"{policy} {token}: {path} ({prefix} is a list)")
    assert wrong == []


def test_a_typo_in_a_path_would_be_caught():
    assert "encryption.defaultKmsKeyName" in {
        sdk_inputs.plain(p) for p in sdk_inputs.input_paths("gcp", "gcp:storage/bucket:Bucket")}
    assert "encryption.defaultKmsKey" not in {
        sdk_inputs.plain(p) for p in sdk_inputs.input_paths("gcp", "gcp:storage/bucket:Bucket")}


def test_the_sdk_scan_finds_known_key_inputs():
    assert "diskEncryptionKey.kmsKeyName" in sdk_inputs.key_like_types("gcp")["gcp:compute/regionDisk:RegionDisk"]
    assert any("applyServerSideEncryptionByDefaults[]" in p
               for p in sdk_inputs.key_like_types("aws")["aws:s3/bucketV2:BucketV2"])
    assert "keyVaultKeyUri" in sdk_inputs.key_like_types("azure")["azure-native:cosmosdb:DatabaseAccount"]


def test_azure_aliases_file_matches_the_sdk():
    path = catalogue.CATALOGUE_DIR / "azure" / catalogue.AZURE_ALIASES_FILE
    assert yaml.safe_load(path.read_text()) == sdk_inputs.azure_module_aliases(), (
        "regenerate: python -m tests.policies.sdk_inputs --azure-aliases")


def test_the_coverage_report_prints_every_cloud_and_no_unclassified_type(capsys):
    assert coverage.main() == 0
    printed = capsys.readouterr().out
    for cloud in CLOUDS:
        assert f"{cloud}: " in printed
    assert "UNCLASSIFIED" not in printed and "unclassified 0;" in printed
