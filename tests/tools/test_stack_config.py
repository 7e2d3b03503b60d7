"""Stack config read as the Pulumi CLI reads it: each rule with a value the CLI accepts and one it refuses.

The rules are pulumi/pulumi's `ValidateConfigValue` (sdk/go/common/workspace/project.go),
`MarshalString` (sdk/go/common/resource/config/object.go), `validateStackConfigValue`
(sdk/go/common/workspace/config.go) and yaml.v3's scalar resolution and duplicate-key check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import stack_config, yaml_nodes

PROJECT = """\
name: demo
runtime: python
config:
  region:
    type: string
    default: us-central1
  accountId:
    type: string
    default: ""
  days:
    type: integer
    default: 30
  enabled:
    type: boolean
    default: false
  names:
    type: array
    items:
      type: string
    default: []
  token:
    type: string
    secret: true
    default: ""
  shorthand: plain
"""


def read(tmp_path: Path, *lines: str, project: str = PROJECT) -> stack_config.StackConfig:
    (tmp_path / "Pulumi.yaml").write_text(project)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n" + "".join(f"  {line}\n" for line in lines))
    return stack_config.read("dev", root=tmp_path)


def accepted(tmp_path: Path, line: str, key: str) -> str:
    config = read(tmp_path, line)
    assert config.mistakes == [], config.mistakes
    return config.values[f"demo:{key}"]


def refused(tmp_path: Path, line: str) -> str:
    config = read(tmp_path, line)
    [mistake] = config.mistakes
    assert mistake.location.line == 2  # the stack file's line of the value
    return mistake.message


# --- string: any scalar, kept as its text


def test_string_takes_an_unquoted_number_as_its_text(tmp_path):
    assert accepted(tmp_path, "demo:accountId: 111122223333", "accountId") == "111122223333"


def test_string_takes_true_as_the_text_true(tmp_path):
    assert accepted(tmp_path, "demo:region: true", "region") == "true"


def test_string_refuses_a_map_or_a_list(tmp_path):
    assert "not of the declared type string" in refused(tmp_path, "demo:region: {name: x}")
    assert "not of the declared type string" in refused(tmp_path, "demo:region: [a]")


def test_yaml_v3_scalars_yes_stays_text_and_0123_is_octal(tmp_path):
    assert accepted(tmp_path, "demo:region: yes", "region") == "yes"
    assert accepted(tmp_path, "demo:accountId: 0123", "accountId") == "83"  # yaml.v3 keeps 1.1 octals
    assert accepted(tmp_path, "demo:accountId: '0123'", "accountId") == "0123"


# --- integer: an int, a whole float, or text strconv.Atoi parses


def test_integer_takes_a_number_a_whole_float_and_quoted_digits(tmp_path):
    assert accepted(tmp_path, "demo:days: 30", "days") == "30"
    assert accepted(tmp_path, "demo:days: 30.0", "days") == "30"  # Go's JSON writes a whole float64 as 30
    assert accepted(tmp_path, "demo:days: '30'", "days") == "30"
    assert accepted(tmp_path, "demo:days: '+30'", "days") == "+30"  # Atoi takes a sign


def test_integer_refuses_a_fraction_words_and_booleans(tmp_path):
    for value in ("30.5", "thirty", "'30 '", "true"):
        assert "not of the declared type integer" in refused(tmp_path, f"demo:days: {value}"), value


# --- boolean: a bool, or the text true/false


def test_boolean_takes_true_and_the_text_false(tmp_path):
    assert accepted(tmp_path, "demo:enabled: true", "enabled") == "true"
    assert accepted(tmp_path, "demo:enabled: True", "enabled") == "true"  # a YAML bool, written as true
    assert accepted(tmp_path, "demo:enabled: 'false'", "enabled") == "false"


def test_boolean_refuses_yes_and_quoted_capitals(tmp_path):
    for value in ("yes", "'True'", "1"):
        assert "not of the declared type boolean" in refused(tmp_path, f"demo:enabled: {value}"), value


# --- array: a list whose items pass their own type (items are JSON, not text)


def test_array_of_strings_takes_a_list_of_text(tmp_path):
    assert accepted(tmp_path, "demo:names: [a, '30']", "names") == '["a","30"]'


def test_array_of_strings_refuses_a_number_item_and_plain_text(tmp_path):
    assert "array<string>" in refused(tmp_path, "demo:names: [a, 30]")
    assert "array<string>" in refused(tmp_path, "demo:names: a,b")


# --- keys


def test_a_key_given_twice_is_refused_at_its_second_line(tmp_path):
    config = read(tmp_path, "demo:region: a", "demo:region: b")
    [mistake] = config.mistakes
    assert mistake.location.line == 3 and "already defined at line 2" in mistake.message


def test_an_undeclared_project_key_is_refused_with_did_you_mean(tmp_path):
    assert "did you mean 'region'?" in refused(tmp_path, "demo:regoin: a")


def test_other_namespaces_pass_through_as_text(tmp_path):
    assert accepted(tmp_path, "aws:allowedAccountIds: ['111122223333']", "region") == "us-central1"
    config = read(tmp_path, "aws:allowedAccountIds: ['111122223333']")
    assert config.values["aws:allowedAccountIds"] == '["111122223333"]'


def test_defaults_and_shorthand_come_from_pulumi_yaml_located_there(tmp_path):
    config = read(tmp_path)
    assert config.values["demo:days"] == "30" and config.values["demo:shorthand"] == "plain"
    assert config.locate("days").path.name == "Pulumi.yaml" and config.locate("days").line == 10


# --- secure values


def test_a_secret_declared_key_must_be_encrypted(tmp_path):
    assert "must be encrypted" in refused(tmp_path, "demo:token: plain-text")


def test_an_encrypted_value_is_accepted_by_shape_but_cannot_be_read_offline(tmp_path):
    message = refused(tmp_path, "demo:token: {secure: v1:AAAA}")
    assert "encrypted (`secure:`)" in message and "no secrets provider" in message


def test_a_map_with_secure_and_another_key_is_an_ordinary_map(tmp_path):
    assert "not of the declared type string" in refused(tmp_path, "demo:region: {secure: x, other: y}")


# --- the resolver follows yaml.v3 resolve.go


@pytest.mark.parametrize("text, value", [
    ("yes", "yes"), ("on", "on"), ("True", True), ("FALSE", False), ("~", None), ("null", None),
    ("0x1F", 31), ("0o17", 15), ("017", 15), ("1_000", 1000), ("-7", -7), ("1e3", 1000.0), (".5", 0.5),
    ("2024-01-01", "2024-01-01"), ("1.2.3", "1.2.3"), ("+.inf", float("inf")),
])
def test_plain_scalars_resolve_as_yaml_v3(text, value):
    assert yaml_nodes.resolve_plain(text) == value


def test_resolve_raises_every_mistake_at_once(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text(PROJECT)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  demo:days: x\n  demo:enabled: yes\n")
    with pytest.raises(stack_config.StackConfigError) as raised:
        stack_config.resolve("dev", root=tmp_path)
    assert [m.location.line for m in raised.value.mistakes] == [2, 3]
