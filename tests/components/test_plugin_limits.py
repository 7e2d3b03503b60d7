"""The limits of Pulumi 3.272's schema inference the plugin is designed around, found by trying.

Each test states one limit with the SDK's own analyzer and provider. If a Pulumi upgrade lifts a
limit, its test fails: the workaround it explains (cmek_ml.plugin) may then go.

The SDK's provider module registers its own copy of `google.rpc.Status` in protobuf's default
pool, which then refuses googleapis' (`duplicate symbol 'google.rpc.Status'`, either order): the
trials run in a process of their own, so this test process can import Google's client libraries.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tools.plugin_host import PLUGIN_DIR

TRIALS = r'''
import json, sys, tempfile, textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pulumi
import pulumi_gcp as gcp
from pulumi.provider.experimental.component import ComponentProvider

sys.path.insert(0, sys.argv[1])
facts = {}

# 1. A hosted module with postponed annotations.
folder = tempfile.mkdtemp()
Path(folder, "postponed_component.py").write_text(textwrap.dedent("""
    from __future__ import annotations
    from typing import TypedDict
    import pulumi

    class PostponedArgs(TypedDict):
        name: str

    class Postponed(pulumi.ComponentResource):
        def __init__(self, name: str, args: PostponedArgs, opts=None):
            super().__init__("p:index:Postponed", name, {}, opts)
"""))
sys.path.insert(0, folder)
from postponed_component import Postponed
try:
    ComponentProvider([Postponed], "p")
    facts["postponed"] = "inferred"
except Exception as error:
    facts["postponed"] = f"{type(error).__name__}: {error}"

# 2-5. Dataclass args, a provider *Args class, a non-index token.
@dataclass
class DataclassArgs:
    name: str
    level: str = "SOFTWARE"
    maybe: Optional[str] = None
    template: Optional[gcp.kms.CryptoKeyVersionTemplateArgs] = None

class DataclassComponent(pulumi.ComponentResource):
    def __init__(self, name: str, args: DataclassArgs, opts=None):
        super().__init__("p:index:DataclassComponent", name, {}, opts)

provider = ComponentProvider([DataclassComponent], "p")
schema = json.loads(provider.schema)
facts["required"] = sorted(schema["resources"]["p:index:DataclassComponent"]["requiredInputs"])
facts["types"] = schema["types"]
mapped = provider.map_inputs({"name": "x", "level": "HSM"}, provider._component_defs["DataclassComponent"])
facts["mapped"] = [type(mapped).__name__, mapped]
try:
    provider.construct("n", "p:gcp:DataclassComponent", {"name": "x"}, None)
except ValueError as error:
    facts["module_token"] = str(error)

# 6. Integers, with a hosted component of the plugin.
from cmek_ml.plugin.aws import AwsKmsKey
provider = ComponentProvider([AwsKmsKey], "p")
definition = provider._component_defs["AwsKmsKey"]
mapped = provider.map_inputs(
    {"alias": "alias/a", "description": "d", "rotationPeriodDays": 365.0, "policy": {"accountRootArn": "r"}}, definition
)
facts["integer"] = [definition.inputs["rotationPeriodDays"].type.value, type(mapped["rotation_period_days"]).__name__]
print(json.dumps(facts))
'''


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    run = subprocess.run([sys.executable, "-c", TRIALS, str(PLUGIN_DIR)], capture_output=True, text=True, check=True)
    return json.loads(run.stdout.splitlines()[-1])


def test_postponed_annotations_in_a_hosted_module_break_inference(facts):
    """Hence no `from __future__ import annotations` in cmek_ml/plugin's hosted modules."""
    assert facts["postponed"] == "AttributeError: 'str' object has no attribute '__mro__'"


def test_dataclass_fields_with_defaults_are_required_unless_optional(facts):
    """Hence TypedDict args with NotRequired fields, the Python dataclass supplying defaults."""
    assert facts["required"] == ["level", "name"]


def test_provider_args_classes_become_empty_object_types(facts):
    """Hence plain inputs (strings, lists, maps), never a provider SDK's *Args class."""
    assert facts["types"] == {"p:index:CryptoKeyVersionTemplateArgs": {"type": "object"}}


def test_dataclass_args_arrive_as_plain_dicts(facts):
    """Hence TypedDict args: what Construct passes is a dict keyed by Python names."""
    assert facts["mapped"] == ["dict", {"name": "x", "level": "HSM"}]


def test_integers_arrive_as_floats(facts):
    """The provider converts integer inputs with int() and then overwrites the result with the raw
    value (map_input_properties); numbers cross gRPC as floats. Hence `cmek_ml.plugin.inputs.whole`."""
    assert facts["integer"] == ["integer", "float"]


def test_hosted_tokens_must_be_in_the_index_module(facts):
    """Hence thin hosted classes typed `cmek-ml:index:<Class>` over `cmek-ml:gcp:LandingZone` & co."""
    assert facts["module_token"].startswith("invalid modle 'gcp' in resource type")
