"""The public API reads like Pulumi's own components (Pulumi Python conventions): typed args with a
docstring per field, children parented to the component, outputs declared as attributes, and
`register_outputs` as the last thing the constructor does. Checked on the source of every exported
component and args class, so a new one that breaks a convention fails here."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import textwrap

import pulumi
import pytest

EXPORTED = [(cloud, name) for cloud in ("gcp", "aws", "azure")
            for name in importlib.import_module(f"cmek_ml.{cloud}").__all__]


def _exported(cloud: str, name: str):
    return getattr(importlib.import_module(f"cmek_ml.{cloud}"), name)


def _class_tree(cls) -> ast.ClassDef:
    return ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]


ARGS = [(c, n) for c, n in EXPORTED if dataclasses.is_dataclass(_exported(c, n))]
COMPONENTS = [(c, n) for c, n in EXPORTED if isinstance(_exported(c, n), type)
              and issubclass(_exported(c, n), pulumi.ComponentResource)]


def test_every_cloud_exports_components_and_args():
    for cloud in ("gcp", "aws", "azure"):
        assert any(c == cloud for c, _ in COMPONENTS) and any(c == cloud for c, _ in ARGS)


@pytest.mark.parametrize("cloud, name", ARGS)
def test_args_fields_are_typed_and_documented(cloud, name):
    tree = _class_tree(_exported(cloud, name))
    undocumented = []
    for index, statement in enumerate(tree.body):
        if isinstance(statement, ast.AnnAssign):
            following = tree.body[index + 1] if index + 1 < len(tree.body) else None
            if not (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str) and following.value.value.strip()):
                undocumented.append(statement.target.id)
    assert undocumented == [], f"cmek_ml.{cloud}.{name}: fields without a docstring"
    assert [f.name for f in dataclasses.fields(_exported(cloud, name))]  # fields, each with a type


@pytest.mark.parametrize("cloud, name", COMPONENTS)
def test_component_conventions(cloud, name):
    component = _exported(cloud, name)
    tree = _class_tree(component)
    declared = {s.target.id for s in tree.body if isinstance(s, ast.AnnAssign)}
    init = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")

    last = init.body[-1]
    assert (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and getattr(last.value.func, "attr", "") == "register_outputs"), "register_outputs is not last"

    assigned = set()
    for node in ast.walk(init):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and getattr(target.value, "id", "") == "self":
                if isinstance(node, ast.AnnAssign):
                    declared.add(target.attr)
                assigned.add(target.attr)
    assert {a for a in assigned if not a.startswith("_")} <= declared, "outputs not declared as attributes"

    unparented = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)
                  and getattr(n.func, "attr", getattr(n.func, "id", "")) == "ResourceOptions"
                  and "parent" not in {k.arg for k in n.keywords}]
    assert unparented == [], "children created without parent=self"
    assert tree.body and isinstance(tree.body[0], (ast.Expr, ast.AnnAssign, ast.FunctionDef))
