"""The simulated AWS answers as the stack's credentials would: its account, region and partition."""

import pulumi
import pulumi_aws as aws
import pytest

from tools import mock_engine


def run_with(provider_config, body):
    config = {f"aws:{k}": v for k, v in provider_config.items()}
    return mock_engine.run(body, config=config)


@pytest.mark.parametrize(
    "region, partition, dns_suffix",
    [("eu-west-1", "aws", "amazonaws.com"), ("cn-north-1", "aws-cn", "amazonaws.com.cn"), ("us-gov-west-1", "aws-us-gov", "amazonaws.com")],
)
def test_caller_identity_region_and_partition(region, partition, dns_suffix):
    def body():
        pulumi.export("account", aws.get_caller_identity_output().account_id)
        pulumi.export("region", aws.get_region_output().region)
        pulumi.export("partition", aws.get_partition_output().partition)
        pulumi.export("dns", aws.get_partition_output().dns_suffix)
        pulumi.export("key", aws.kms.Key("k").arn)

    run = run_with({"region": region, "allowedAccountIds": '["444455556666"]'}, body)
    assert run.outputs["account"] == "444455556666"
    assert run.outputs["region"] == region
    assert (run.outputs["partition"], run.outputs["dns"]) == (partition, dns_suffix)
    assert run.outputs["key"].startswith(f"arn:{partition}:kms:{region}:444455556666:key/")


def test_defaults_without_provider_config():
    run = run_with({}, lambda: pulumi.export("account", aws.get_caller_identity_output().account_id))
    assert run.outputs["account"] == "123456789012"

