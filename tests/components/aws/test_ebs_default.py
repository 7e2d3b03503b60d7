"""Account-wide EBS encryption by default: opt-in, with the volumes key as the default key."""

from tests.components.aws.conftest import EBS_BY_DEFAULT, EBS_DEFAULT_KEY, key_arns


def test_prod_opts_in_with_the_volumes_key(prod):
    (enabled,) = prod.by_type(EBS_BY_DEFAULT)
    (default_key,) = prod.by_type(EBS_DEFAULT_KEY)
    assert enabled.inputs["enabled"] is True
    assert default_key.inputs["keyArn"] == key_arns(prod)["volumes"]
    assert prod.outputs["aws"]["ebsEncryptionByDefault"] is True


def test_off_unless_asked_for(dev):
    assert dev.by_type(EBS_BY_DEFAULT) == [] and dev.by_type(EBS_DEFAULT_KEY) == []
    assert dev.outputs["aws"]["ebsEncryptionByDefault"] is False
