"""The evaluator used to show what the generated policies allow follows IAM's documented rules."""

import pytest

from tests.components.aws.iam_evaluator import ALLOW, DENY, IMPLICIT_DENY, Request, condition_holds, evaluate

K = "svc:Key"


@pytest.mark.parametrize(
    "operator, policy_value, context, holds",
    [
        ("StringEquals", "a", {K: "a"}, True),
        ("StringEquals", ["a", "b"], {K: "b"}, True),
        ("StringEquals", "a", {}, False),
        ("StringNotEquals", "a", {K: "b"}, True),
        ("StringNotEquals", ["a", "b"], {K: "b"}, False),
        ("StringNotEquals", "a", {}, True),  # a missing key satisfies a negated operator
        ("StringEqualsIfExists", "a", {}, True),
        ("StringEqualsIfExists", "a", {K: "b"}, False),
        ("StringNotEqualsIfExists", "a", {}, True),
        ("StringLike", "ml.p4d.*", {K: "ml.p4d.24xlarge"}, True),
        ("StringLike", "ml.p4d.*", {K: "ml.p4de.24xlarge"}, False),
        ("StringNotLike", ["ml.g5.*", "ml.p4d.*"], {K: "ml.g5.xlarge"}, False),
        ("ArnLike", "arn:aws:logs:*:1:log-group:/aws/sagemaker/*", {K: "arn:aws:logs:eu-west-1:1:log-group:/aws/sagemaker/TrainingJobs"}, True),
        # ARN operators match component by component: a wildcard never spans a colon.
        ("ArnLike", "arn:aws:iam::*", {K: "arn:aws:iam::111122223333:role/x"}, False),
        ("ArnLike", "arn:aws:iam::*:role/*", {K: "arn:aws:iam::111122223333:role/x"}, True),
        ("ArnLike", "arn:aws:logs:*:1:log-group:*", {K: "arn:aws:logs:eu-west-1:1:log-group:/a:b"}, True),  # the resource keeps its colons
        ("ArnLike", "arn:*:1:log-group:x", {K: "arn:aws:logs:eu-west-1:1:log-group:x"}, False),
        ("ArnLike", "arn:aws:iam::*:role/X", {K: "arn:aws:iam::1:role/x"}, False),  # case-sensitive
        ("ArnEquals", "arn:aws:iam::*:role/*", {K: "arn:aws:iam::1:role/x"}, True),  # ArnEquals takes wildcards too
        ("ArnNotLike", "arn:aws:iam::*", {K: "arn:aws:iam::1:role/x"}, True),
        ("ArnNotLike", "arn:aws:iam::*:role/*", {}, True),
        # Negated operators hold when the key is missing, the IgnoreCase one included.
        ("StringNotEqualsIgnoreCase", "a", {}, True),
        ("StringNotEqualsIgnoreCase", "a", {K: "A"}, False),
        ("StringNotEqualsIgnoreCase", "a", {K: "b"}, True),
        ("StringEqualsIgnoreCase", "a", {K: "A"}, True),
        # Context key names are not case-sensitive.
        ("StringEquals", "a", {"SVC:KEY": "a"}, True),
        ("Null", "true", {"svc:key": "x"}, False),
        ("Bool", "true", {K: "true"}, True),
        ("Bool", "true", {}, False),
        ("Null", "true", {}, True),
        ("Null", "true", {K: "x"}, False),
        ("Null", "false", {K: "x"}, True),
        ("ForAnyValue:StringNotLike", ["ml.g5.*"], {K: ["ml.g5.xlarge", "ml.m5.xlarge"]}, True),
        ("ForAnyValue:StringNotLike", ["ml.g5.*"], {K: ["ml.g5.xlarge"]}, False),
        ("ForAnyValue:StringNotLike", ["ml.g5.*"], {}, False),  # missing: ForAnyValue is false
        ("ForAnyValue:StringEquals", ["a"], {K: []}, False),
        ("ForAllValues:StringLike", ["ml.g5.*"], {K: ["ml.g5.xlarge", "ml.m5.xlarge"]}, False),
        ("ForAllValues:StringLike", ["ml.g5.*"], {}, True),  # missing: ForAllValues is true
    ],
)
def test_condition_operators(operator, policy_value, context, holds):
    assert condition_holds(operator, K, policy_value, context) is holds


def test_condition_key_names_in_the_policy_are_not_case_sensitive():
    assert condition_holds("StringEquals", "AWS:SourceIp", "a", {"aws:SourceIP": "a"}) is True


def test_a_multivalued_key_needs_a_set_qualifier():
    with pytest.raises(ValueError):
        condition_holds("StringEquals", K, "a", {K: ["a"]})


def test_explicit_deny_beats_allow_and_nothing_is_implicitly_denied():
    allow = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    deny = {"Statement": {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "arn:aws:s3:::b/*"}}
    assert evaluate([allow, deny], Request("s3:DeleteObject", "arn:aws:s3:::b/k")) == DENY
    assert evaluate([allow, deny], Request("s3:DeleteObject", "arn:aws:s3:::other/k")) == ALLOW
    assert evaluate([deny], Request("s3:GetObject", "arn:aws:s3:::b/k")) == IMPLICIT_DENY


def test_principals_of_resource_policies():
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:role/a"]}, "Action": "kms:Decrypt", "Resource": "*"}]}
    assert evaluate([policy], Request("kms:Decrypt", principal=("AWS", "arn:aws:iam::1:role/a"))) == ALLOW
    assert evaluate([policy], Request("kms:Decrypt", principal=("AWS", "arn:aws:iam::1:role/b"))) == IMPLICIT_DENY
    assert evaluate([policy], Request("kms:Decrypt", principal=("Service", "logs.eu-west-1.amazonaws.com"))) == IMPLICIT_DENY
