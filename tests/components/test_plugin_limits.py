"""The limits of Pulumi 3.272's schema inference the plugin is designed around, found by trying.

Each test states one limit with the SDK's own analyzer and provider. If a Pulumi upgrade lifts a
limit, its test fails: the workaround it explains (cmek_ml.plugin) may then go.
"""

# No `from __future__ import annotations` here: the classes below must be inferable.
import json
import textwrap
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_gcp as gcp
import pytest
from pulumi.provider.experimental.component import ComponentProvider


def test_postponed_annotations_in_a_hosted_module_break_inference(tmp_path, monkeypatch):
    """Hence no `from __future__ import annotations` in cmek_ml/plugin's hosted modules."""
    (tmp_path / "postponed_component.py").write_text(textwrap.dedent('''
        from __future__ import annotations
        from typing import TypedDict
        import pulumi

        class PostponedArgs(TypedDict):
            name: str

        class Postponed(pulumi.ComponentResource):
            def __init__(self, name: str, args: PostponedArgs, opts=None):
                super().__init__("p:index:Postponed", name, {}, opts)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    from postponed_component import Postponed

    with pytest.raises(AttributeError, match="'str' object has no attribute '__mro__'"):
        ComponentProvider([Postponed], "p")


@dataclass
class DataclassArgs:
    name: str
    level: str = "SOFTWARE"
    maybe: Optional[str] = None
    template: Optional[gcp.kms.CryptoKeyVersionTemplateArgs] = None


class DataclassComponent(pulumi.ComponentResource):
    def __init__(self, name: str, args: DataclassArgs, opts=None):
        super().__init__("p:index:DataclassComponent", name, {}, opts)


@pytest.fixture(scope="module")
def dataclass_provider() -> ComponentProvider:
    return ComponentProvider([DataclassComponent], "p")


def test_dataclass_fields_with_defaults_are_required_unless_optional(dataclass_provider):
    """Hence TypedDict args with NotRequired fields, the Python dataclass supplying defaults."""
    spec = json.loads(dataclass_provider.schema)["resources"]["p:index:DataclassComponent"]
    assert sorted(spec["requiredInputs"]) == ["level", "name"]


def test_provider_args_classes_become_empty_object_types(dataclass_provider):
    """Hence plain inputs (strings, lists, maps), never a provider SDK's *Args class."""
    types = json.loads(dataclass_provider.schema)["types"]
    assert types == {"p:index:CryptoKeyVersionTemplateArgs": {"type": "object"}}


def test_dataclass_args_arrive_as_plain_dicts(dataclass_provider):
    """Hence TypedDict args: what Construct passes is a dict keyed by Python names."""
    mapped = dataclass_provider.map_inputs({"name": "x", "level": "HSM"}, dataclass_provider._component_defs["DataclassComponent"])
    assert mapped == {"name": "x", "level": "HSM"} and type(mapped) is dict


def test_integers_arrive_as_floats(dataclass_provider):
    """The provider converts integer inputs with int() and then overwrites the result with the raw
    value (map_input_properties); numbers cross gRPC as floats. Hence `cmek_ml.plugin.inputs.whole`."""
    from cmek_ml.plugin.aws import AwsKmsKey

    provider = ComponentProvider([AwsKmsKey], "p")
    definition = provider._component_defs["AwsKmsKey"]
    assert definition.inputs["rotationPeriodDays"].type.value == "integer"
    mapped = provider.map_inputs(
        {"alias": "alias/a", "description": "d", "rotationPeriodDays": 365.0, "policy": {"accountRootArn": "r"}}, definition
    )
    assert type(mapped["rotation_period_days"]) is float


def test_hosted_tokens_must_be_in_the_index_module(dataclass_provider):
    """Hence thin hosted classes typed `cmek-ml:index:<Class>` over `cmek-ml:gcp:LandingZone` & co."""
    with pytest.raises(ValueError, match="invalid modle 'gcp'"):
        dataclass_provider.construct("n", "p:gcp:DataclassComponent", {"name": "x"}, None)
