"""The wheel as a GCP-only team installs it: `cmek-ml[gcp]` alone, in a fresh virtualenv, outside
this repository. One virtualenv serves every test here (building it is most of the time).

- the example (`examples/gcp-only`, copied out of the repository) runs under the mock engine on
  the installed package, and neither AWS's nor Azure's SDK is installed or imported;
- `cmek-ml preview` from that virtualenv checks the copy, creating the pack's own virtualenv once
  (PulumiPolicy.yaml's runtime option) and blocking a bucket added without a key;
- the pack runs on its own: that virtualenv holds `policies/cmek/requirements.txt` and nothing of
  cmek-ml, and the pack started from it answers Handshake and Analyze over gRPC.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from tools import analyzer_requests
from tools.analyzer_client import PolicyAnalyzer, StackContext
from tools.mock_engine import Registration

from . import wheel_env

ROOT = wheel_env.ROOT
EXAMPLE = ROOT / "examples" / "gcp-only"
OTHER_CLOUDS = ("pulumi_aws", "pulumi_azure_native", "pulumiverse_time")
PREVIEW_TIMEOUT_SECONDS = 1200
# A user's machine: no PYTHONPATH leading back into this checkout.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def work_dir() -> Iterator[Path]:
    # Its own folder, not pytest's numbered tmp dirs, which another pytest session may rotate away.
    with tempfile.TemporaryDirectory(prefix="cmek-ml-wheel-") as work:
        yield Path(work)


@pytest.fixture(scope="module")
def wheel(work_dir) -> Path:
    return wheel_env.build_wheel(work_dir)


@pytest.fixture(scope="module")
def gcp_install(wheel, work_dir) -> wheel_env.Install:
    installed = wheel_env.install(wheel, "gcp", work_dir / "venv", wheel_env.constraints_file(work_dir))
    print(f"cmek-ml[gcp]: {installed.size_bytes / 2**20:.0f} MiB, {installed.seconds:.0f} s")
    return installed


# Where each folder of the checkout lands in the wheel (pyproject.toml's package-dir).
WHEEL_FOLDERS = {"components/cmek_ml": "cmek_ml", "tools": "cmek_ml_tools", "policies/cmek": "cmek_ml_policy_pack"}


def test_the_wheel_ships_every_module_and_data_file(wheel):
    """Every tracked file of the three folders, under its package name, and nothing else."""
    tracked = subprocess.run(["git", "ls-files", *WHEEL_FOLDERS], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    expected = set()
    for path in tracked:
        folder = next(f for f in WHEEL_FOLDERS if path.startswith(f + "/"))
        expected.add(WHEEL_FOLDERS[folder] + path[len(folder):])
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if ".dist-info/" not in name}
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = archive.read(next(n for n in archive.namelist() if n.endswith("entry_points.txt"))).decode()
    assert sorted(expected - shipped) == [] and sorted(shipped - expected) == []
    assert "cmek-ml = cmek_ml_tools.cli:main" in entry_points
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert not [r for r in requires if "pulumi-" in r and "extra ==" not in r]  # no cloud SDK is a hard dependency


def _project(tmp_path: Path, extra_code: str = "") -> Path:
    project = tmp_path / "gcp-ml-storage"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    if extra_code:
        with (project / "__main__.py").open("a") as program:
            program.write(extra_code)
    return project


def _run(installed: wheel_env.Install, command: list, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, env=CLEAN_ENV, capture_output=True, text=True,
                          timeout=PREVIEW_TIMEOUT_SECONDS)


def test_the_gcp_extra_installs_no_other_clouds_sdk(gcp_install):
    listed = _run(gcp_install, [gcp_install.python, "-m", "pip", "list", "--format", "json"], ROOT)
    names = {p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout)}
    assert {"cmek-ml", "pulumi", "pulumi-gcp"} <= names
    assert not names & {"pulumi-aws", "pulumi-azure-native", "pulumiverse-time"}


RUN_EXAMPLE = """
import json, sys
from pathlib import Path
import cmek_ml
from cmek_ml_tools import mock_engine, stack_config
project = Path.cwd()
run = mock_engine.run(mock_engine.project_program(project), stack_config.resolve("dev", root=project),
                      stack="dev", project="gcp-ml-storage")
print(json.dumps({
    "cmek_ml": cmek_ml.__file__,
    "modules": sorted({m.split(".")[0] for m in sys.modules}),
    "resources": [[r.type, r.name, r.protect, r.inputs] for r in run.resources],
    "outputs": run.outputs,
}, default=str))
"""


def test_the_example_runs_on_the_installed_package_alone(gcp_install, tmp_path):
    project = _project(tmp_path)
    done = _run(gcp_install, [gcp_install.python, "-c", RUN_EXAMPLE], project)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert Path(result["cmek_ml"]).is_relative_to(gcp_install.site_packages())
    assert not set(OTHER_CLOUDS) & set(result["modules"])
    resources = {(type_, name): (protect, inputs) for type_, name, protect, inputs in result["resources"]}
    assert resources[("gcp:kms/keyRing:KeyRing", "ml-ring")][0] is True
    assert all(resources[("gcp:kms/cryptoKey:CryptoKey", f"ml-{key}")][0] for key in ("storage", "registry"))
    bucket = resources[("gcp:storage/bucket:Bucket", "training-data-bucket")][1]
    assert bucket["encryption"]["defaultKmsKeyName"].endswith("/cryptoKeys/storage")
    repository = resources[("gcp:artifactregistry/repository:Repository", "images-repository")][1]
    assert repository["kmsKeyName"].endswith("/cryptoKeys/registry")
    grants = {i["member"] for (t, _), (_, i) in resources.items() if t == "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"}
    assert len(grants) == 2  # the storage and the Artifact Registry agents, nothing else
    assert result["outputs"]["bucket"] == "acme-ml-dev-training-data"


@pytest.fixture(scope="module")
def installed_pack(gcp_install, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The installed pack's folder, after a first `cmek-ml preview` of the clean example (which
    creates the pack's virtualenv, as its PulumiPolicy.yaml asks)."""
    project = _project(tmp_path_factory.mktemp("clean"))
    first = _run(gcp_install, [gcp_install.script("cmek-ml"), "preview", "--stack", "dev"], project)
    pack_path = _run(gcp_install, [gcp_install.script("cmek-ml"), "pack-path"], project)
    return Path(pack_path.stdout.strip()), first


def test_installed_audit_command_is_there(gcp_install, tmp_path):
    done = _run(gcp_install, [gcp_install.script("cmek-ml"), "audit", "--help"], tmp_path)
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr


def test_pack_path_is_the_installed_pack(gcp_install, installed_pack):
    pack, _ = installed_pack
    assert pack == gcp_install.site_packages() / "cmek_ml_policy_pack"
    for shipped in ("PulumiPolicy.yaml", "requirements.txt", "nvme_instance_types.yaml", "__main__.py"):
        assert (pack / shipped).read_bytes() == (ROOT / "policies" / "cmek" / shipped).read_bytes()


def test_installed_preview_passes_the_example_and_blocks_a_bucket_without_a_key(gcp_install, installed_pack, tmp_path):
    _, first = installed_pack
    assert first.returncode == 0, first.stdout + first.stderr
    assert "creating its virtualenv" in first.stderr and "0 mandatory" in first.stdout

    project = _project(tmp_path, '\ngcp.storage.Bucket("scratch", location=region)  # no key\n')
    second = _run(gcp_install, [gcp_install.script("cmek-ml"), "preview", "--stack", "dev", "--format", "json"],
                  project)
    assert second.returncode == 1, second.stderr
    assert "creating its virtualenv" not in second.stderr  # made once, then reused
    document = json.loads(second.stdout)
    blocked = {(v["policy"], v["urn"].rsplit("::", 1)[1]) for v in document["violations"]
               if v["enforcementLevel"] == "mandatory"}
    assert blocked == {("gcp-storage-bucket-cmek", "scratch")}


def test_the_pack_runs_from_its_own_requirements_alone(installed_pack):
    """Its virtualenv was made from requirements.txt only; started as the CLI starts it (its
    runtime option picks that interpreter), it answers Handshake and Analyze over gRPC."""
    pack, _ = installed_pack
    python = pack / "venv" / "bin" / "python"
    listed = subprocess.run([python, "-m", "pip", "list", "--format", "freeze"], capture_output=True, text=True,
                            check=True, env=CLEAN_ENV).stdout.lower()
    listed = listed.replace("_", "-")
    assert "cmek-ml" not in listed and "pulumi-gcp" not in listed and "pulumi-policy==" in listed

    context = StackContext(project="gcp-ml-storage", stack="dev", config={})
    with PolicyAnalyzer(pack, context) as analyzer:  # Handshake and ConfigureStack happen here
        assert analyzer._process.args[0] == str(python)
        assert analyzer.info().name == "cmek-ml" and analyzer.info().version
        bucket = Registration(
            urn="urn:pulumi:dev::gcp-ml-storage::gcp:storage/bucket:Bucket::scratch",
            type="gcp:storage/bucket:Bucket", name="scratch", parent="", custom=True, protect=False,
            dependencies=[], property_dependencies={}, inputs={"location": "EU"}, aliases=[],
            retain_on_delete=False, delete_before_replace=False, replace_on_changes=[], ignore_changes=[],
            provider="", raw_inputs=_struct({"location": "EU"}))
        violations = analyzer.analyze(analyzer_requests.analyzer_resource(bucket))
    assert [(v.policy_name, v.enforcement_level) for v in violations] == [("gcp-storage-bucket-cmek", "mandatory")]


def _struct(values: dict):
    from google.protobuf import struct_pb2

    struct = struct_pb2.Struct()
    struct.update(values)
    return struct
