"""The mock engine itself: isolation between runs, the registration hook, engine-shaped URNs."""

import pulumi_gcp as gcp
import pytest

from tools import mock_engine


def _ring(name):
    return gcp.kms.KeyRing(name, project="p", location="europe-west4", name=name)


def test_a_failed_program_does_not_leak_into_the_next_run():
    def failing():
        ring = _ring("first")

        def fail(_):
            raise RuntimeError("boom in apply")

        gcp.kms.CryptoKey("key", key_ring=ring.id.apply(fail), name="key")

    with pytest.raises(RuntimeError, match="boom in apply"):
        mock_engine.run(failing, {})
    run = mock_engine.run(lambda: _ring("second"), {})
    assert [r.name for r in run.resources] == ["second"]


def test_the_hook_sees_each_registration_as_it_is_recorded():
    seen = []
    run = mock_engine.run(lambda: [_ring("a"), _ring("b")], {}, on_register=seen.append)
    assert seen == run.resources and len(seen) == 2


def test_child_urns_carry_the_whole_parent_type_chain(run_stack):
    run = run_stack("dev")
    key = [r for r in run.by_type("gcp:kms/cryptoKey:CryptoKey")][0]
    assert "::cmek-ml:gcp:LandingZone$cmek-ml:gcp:KeyRing$gcp:kms/cryptoKey:CryptoKey::" in key.urn
