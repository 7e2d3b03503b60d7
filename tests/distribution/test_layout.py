"""The package as a user imports it, in this checkout (the wheel itself: test_wheel.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cmek_ml import policy_pack
from tools import cli

ROOT = Path(__file__).resolve().parents[2]


def _modules_after(statement: str) -> set[str]:
    """The top-level modules loaded by `statement` in a fresh interpreter on this checkout."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": f"{ROOT / 'components'}:{ROOT}", "PATH": "/usr/bin:/bin"})
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("statement, sdks", [
    ("import cmek_ml", set()),
    ("import cmek_ml.gcp, cmek_ml.aws, cmek_ml.azure, cmek_ml.landing_zones", set()),
    ("from cmek_ml.gcp import KeyRing, CmekBucket, CmekRepository", {"pulumi_gcp"}),
    ("import cmek_ml.aws.partitions, cmek_ml.azure.locations", set()),
    ("from cmek_ml.aws import KmsKey", {"pulumi_aws"}),
    ("from cmek_ml.azure import KeyVault", {"pulumi_azure_native"}),
    ("import tools.preview", set()),
])
def test_importing_a_cloud_imports_no_other_clouds_sdk(statement, sdks):
    loaded = _modules_after(statement) & {"pulumi_gcp", "pulumi_aws", "pulumi_azure_native", "pulumiverse_time"}
    assert loaded == sdks


@pytest.mark.parametrize("cloud", ["gcp", "aws", "azure"])
def test_every_export_is_a_name_of_its_module(cloud):
    package = __import__(f"cmek_ml.{cloud}", fromlist=["_EXPORTS"])
    for name in package.__all__:
        exported = getattr(package, name)
        assert exported.__module__ == f"cmek_ml.{cloud}.{package._EXPORTS[name]}"
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        getattr(package, "NoSuchThing")


def test_each_component_class_is_exported():
    """A ComponentResource added to a cloud's modules without an export fails here."""
    import importlib
    import pkgutil

    import pulumi

    for cloud in ("gcp", "aws", "azure"):
        package = importlib.import_module(f"cmek_ml.{cloud}")
        for module in pkgutil.iter_modules(package.__path__):
            loaded = importlib.import_module(f"cmek_ml.{cloud}.{module.name}")
            for name, value in vars(loaded).items():
                if (isinstance(value, type) and issubclass(value, pulumi.ComponentResource)
                        and value.__module__ == loaded.__name__):
                    assert name in package.__all__, f"cmek_ml.{cloud}.{module.name}.{name} is not exported"


def test_the_pack_and_the_guardrail_read_one_nvme_list():
    from cmek_ml.aws import sagemaker_guardrail

    assert policy_pack.policy_pack_dir() == ROOT / "policies" / "cmek"
    assert sagemaker_guardrail.NVME_INSTANCE_TYPES_FILE == ROOT / "policies" / "cmek" / "nvme_instance_types.yaml"


def test_pack_path_prints_the_checkouts_pack(capsys):
    assert cli.main(["pack-path"]) == 0
    assert capsys.readouterr().out.strip() == str(ROOT / "policies" / "cmek")


def test_audit_says_clearly_when_it_is_not_available(capsys, monkeypatch):
    import importlib

    real_import = importlib.import_module

    def without_audit(name, *args):
        if name.endswith(".audit.cli"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_audit)
    assert cli.main(["audit", "--help"]) == cli.EXIT_UNAVAILABLE
    assert "cmek-ml audit: not available" in capsys.readouterr().err


def test_unknown_command_and_no_command_exit_2_with_usage(capsys):
    assert cli.main(["previwe"]) == cli.EXIT_UNAVAILABLE
    assert "unknown command 'previwe'" in capsys.readouterr().err
    assert cli.main([]) == cli.EXIT_UNAVAILABLE
    assert "pack-path" in capsys.readouterr().out


def test_preview_command_runs_the_project_of_the_current_folder(capsys, monkeypatch, tmp_path):
    """`cmek-ml preview` without --program: the project found from the current folder upwards."""
    monkeypatch.chdir(ROOT / "examples" / "gcp-only")
    assert cli.main(["preview", "--stack", "dev", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["project"] == "gcp-ml-storage"
    assert document["policyPacks"][0]["config"] is None  # the example has no policies/config
    assert {r["type"] for r in document["resources"]} >= {"gcp:storage/bucket:Bucket", "gcp:kms/cryptoKey:CryptoKey"}


def test_preview_outside_any_project_exits_2_naming_the_folder(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["preview", "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert f"no Pulumi.yaml in {tmp_path}" in err and "Traceback" not in err
