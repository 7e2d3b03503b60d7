"""An AWS audit whose clients answer recorded, real-shaped responses (botocore's Stubber checks both the
requests the audit sends and the responses against the service model)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import boto3
from botocore.stub import Stubber

from tools.audit import aws
from tools.audit.progress import Progress
from tools.audit.rules import Rules

from .conftest import PACK

REGION = "us-east-1"
ACCOUNT = "444455556666"
SINCE = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
CUSTOMER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_RULES: list[Rules] = []


def rules() -> Rules:
    if not _RULES:
        _RULES.append(Rules(PACK))
    return _RULES[0]


class StubbedAudit:
    """`audit = StubbedAudit({"aws:sagemaker/processingJob:ProcessingJob"})`; `audit.stub("sagemaker")`."""

    def __init__(self, only: set[str], regions: tuple[str, ...] = (REGION,), max_attempts: int = 3) -> None:
        session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=REGION)
        self.audit = aws.AwsAudit(rules(), session, list(regions), SINCE, Progress(io.StringIO()), only=only)
        self.session, self.max_attempts = session, max_attempts
        self.stubs: list[Stubber] = []
        sts = self.stub("sts")
        sts.add_response("get_caller_identity", {"UserId": "AIDA", "Account": ACCOUNT,
                                                 "Arn": f"arn:aws:iam::{ACCOUNT}:user/auditor"})

    def stub(self, service: str, region: str = REGION) -> Stubber:
        config = aws.client_config().merge(aws.Config(retries={"mode": "standard", "max_attempts": self.max_attempts}))
        client = self.session.client(service, region_name=region, config=config)
        self.audit._clients[(service, region)] = client
        stubber = Stubber(client)
        stubber.activate()
        self.stubs.append(stubber)
        return stubber

    def run(self) -> Any:
        report = self.audit.run()
        for stubber in self.stubs:
            stubber.assert_no_pending_responses()
        return report


def customer_key(stub: Stubber, key: str = CUSTOMER_KEY, manager: str = "CUSTOMER", arn: str = CUSTOMER_KEY) -> None:
    stub.add_response("describe_key", {"KeyMetadata": {"KeyId": arn.rsplit("/", 1)[-1], "Arn": arn,
                                                       "KeyManager": manager}}, {"KeyId": key})
