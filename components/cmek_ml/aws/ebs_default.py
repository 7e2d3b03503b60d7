"""Opt-in, account-wide: new EBS volumes in the region are encrypted, with the customer's key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws


@dataclass
class EbsDefaultEncryptionArgs:
    kms_key_arn: pulumi.Input[str]
    """The region's default EBS key. Whoever launches instances or creates volumes needs its use."""


class EbsDefaultEncryption(pulumi.ComponentResource):
    """Both settings are needed: a default key alone does not turn encryption on."""

    encryption_by_default: aws.ebs.EncryptionByDefault
    default_kms_key: aws.ebs.DefaultKmsKey

    def __init__(self, name: str, args: EbsDefaultEncryptionArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:aws:EbsDefaultEncryption", name, None, opts)
        self.encryption_by_default = aws.ebs.EncryptionByDefault(
            f"{name}-encryption-by-default", enabled=True, opts=pulumi.ResourceOptions(parent=self)
        )
        self.default_kms_key = aws.ebs.DefaultKmsKey(
            f"{name}-default-kms-key", key_arn=args.kms_key_arn, opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({"defaultKmsKeyArn": self.default_kms_key.key_arn})
