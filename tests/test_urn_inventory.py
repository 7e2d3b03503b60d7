"""A URN that changes is a replacement: for a key, key ring or bucket, the data is gone."""

import pytest

from tools import stack_config
from tools.urn_inventory import current_inventory, golden_file

STACKS = stack_config.ProjectFile.load().stack_names()


def test_every_stack_has_a_golden_inventory():
    assert STACKS, "no stacks found in stacks/"
    for stack in STACKS:
        assert golden_file(stack).exists(), f"run python -m tools.urn_inventory --update for {stack}"


@pytest.mark.parametrize("stack", STACKS)
def test_urns_match_the_golden_inventory(stack):
    golden = set(golden_file(stack).read_text().split())
    current = set(current_inventory(stack))
    removed, added = sorted(golden - current), sorted(current - golden)
    assert not removed and not added, (
        f"stack {stack}: URNs changed.\n"
        f"Removed (replaced or deleted: add pulumi.Alias if this is a rename):\n  " + "\n  ".join(removed) + "\n"
        f"Added:\n  " + "\n  ".join(added) + "\n"
        "If the change is deliberate: python -m tools.urn_inventory --update"
    )


def test_keys_key_rings_and_buckets_are_in_every_inventory():
    for stack in STACKS:
        text = golden_file(stack).read_text()
        for token in ("gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey", "gcp:storage/bucket:Bucket"):
            assert token in text, f"{stack}: no {token} in the golden inventory"
