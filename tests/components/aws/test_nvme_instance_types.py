"""The NVMe families file against the SageMaker Python SDK's rule and SageMaker's own instance types.

`volume_size_supported` (sagemaker/utils.py) is the SDK's rule for which instance types take no
EBS volume: "Any instance type with a 'd' in the instance family (i.e. c5d, p4d, etc) + g5 does
not support attaching an EBS volume". SageMaker's instance types are the enums of its service
model as botocore ships it (pinned in requirements.txt).
"""

import re

import botocore.session
import pytest
import yaml

from cmek_ml.aws.sagemaker_guardrail import NVME_INSTANCE_TYPES_FILE

INSTANCE_TYPE_SHAPES = (
    "TrainingInstanceType",
    "ProductionVariantInstanceType",
    "ProcessingInstanceType",
    "TransformInstanceType",
    "InstanceType",
    "AppInstanceType",
)


def sdk_rejects_volume(family: str) -> bool:
    """The SDK's volume_size_supported, negated, for a family without the `ml.` prefix."""
    return "d" in family or family.startswith("g5")


@pytest.fixture(scope="module")
def sagemaker_families() -> set[str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return {
        value.split(".")[1]
        for shape in INSTANCE_TYPE_SHAPES
        for value in model.shape_for(shape).enum
        if value.startswith("ml.")
    }


def listed() -> dict[str, str]:
    """Family (without `ml.`) -> its evidence tag (sdk or ec2), from each line's comment."""
    families = yaml.safe_load(NVME_INSTANCE_TYPES_FILE.read_text())["families"]
    tags = dict(re.findall(r"^  - ml\.([a-z0-9-]+)\s+# (sdk|ec2)", NVME_INSTANCE_TYPES_FILE.read_text(), re.M))
    assert sorted(tags) == sorted(f.removeprefix("ml.") for f in families), "every family needs an sdk or ec2 tag"
    return tags


def test_every_family_is_a_sagemaker_instance_family(sagemaker_families):
    assert set(listed()) - sagemaker_families == set()


def test_every_family_the_sdk_says_takes_no_volume_is_listed(sagemaker_families):
    """Catches ml.c6gd, ml.m6gd, ml.r6gd, ml.r7gd, ml.dl1 (hosting) and any new `d` family."""
    expected = {f for f in sagemaker_families if sdk_rejects_volume(f)}
    assert expected - set(listed()) == set()


def test_evidence_tags_match_the_sdk_rule():
    for family, tag in listed().items():
        assert (tag == "sdk") == sdk_rejects_volume(family), family


def test_the_newer_families_are_not_exempt_without_evidence():
    """Checked: no AWS statement that SageMaker rejects a volume key on them; not listing fails closed."""
    assert {"p6-b200", "p6-b300", "p6e-gb200", "trn2", "g7e"} & set(listed()) == set()
