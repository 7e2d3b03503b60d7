"""The README's Install and "Use it in your own program" sections, run as written.

Each cloud's Python snippet is a whole Pulumi program: it runs under the mock engine and must
register what the text says it does. The `cmek-ml` commands of Install run (in process) on a copy
of examples/gcp-only; the same commands from an installed wheel run in test_wheel.py.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests.readme_sections import README, code_blocks
from tools import cli, mock_engine

ROOT = Path(__file__).resolve().parents[2]


def section(title: str, level: int = 2) -> str:
    """The section titled exactly `title` at `level`, up to the next heading of that level or above."""
    marker = "#" * level + " "
    start = README.index(f"\n{marker}{title}\n")
    following = re.search(rf"\n#{{1,{level}}} ", README[start + 1:])
    return README[start: start + 1 + following.start()] if following else README[start:]


def program_of(cloud: str) -> str:
    [snippet] = code_blocks(section(cloud, level=3).split("\n## ")[0], "python")
    return snippet


PROVIDER_CONFIG = {"aws:region": "eu-west-1", "azure-native:location": "westeurope"}


def run_snippet(cloud: str) -> mock_engine.ProgramRun:
    code = compile(program_of(cloud), f"README.md ({cloud} snippet)", "exec")
    return mock_engine.run(lambda: exec(code, {"__name__": "__main__"}), PROVIDER_CONFIG, stack="dev",
                           project="readme")


def test_gcp_snippet_builds_a_cmek_bucket_after_the_agents_grant():
    run = run_snippet("GCP")
    [key] = run.by_type("gcp:kms/cryptoKey:CryptoKey")
    [grant] = run.by_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    [bucket] = run.by_type("gcp:storage/bucket:Bucket")
    assert key.protect and grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert bucket.inputs["encryption"]["defaultKmsKeyName"] == key.id
    assert grant.urn in bucket.dependencies or any(grant.urn in d for d in bucket.property_dependencies.values())
    assert run.outputs["bucket"] == "acme-ml-features"


def test_aws_snippet_builds_a_bucket_under_the_key():
    run = run_snippet("AWS")
    [key] = run.by_type("aws:kms/key:Key")
    [encryption] = run.by_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert key.protect and key.inputs["enableKeyRotation"] is True
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "aws:kms" and rule["kmsMasterKeyId"] == key.state["arn"]
    assert run.outputs["bucket"] == "ml-features-111122223333"


def test_azure_snippet_encrypts_storage_with_the_vaults_key_after_the_grant():
    run = run_snippet("Azure")
    [vault] = run.by_type("azure-native:keyvault:Vault")
    [account] = run.by_type("azure-native:storage:StorageAccount")
    [grant] = run.by_type("azure-native:authorization:RoleAssignment")
    [wait] = run.by_type("time:index/sleep:Sleep")
    assert vault.protect and vault.inputs["properties"]["enablePurgeProtection"] is True
    key_source = account.inputs["encryption"]
    assert key_source["keySource"] == "Microsoft.Keyvault" and key_source["keyVaultProperties"]["keyName"] == "data"
    # Created after the identity's grant on the key and its propagation wait (403 before).
    assert {grant.urn, wait.urn} <= set(account.property_dependencies["encryption"])
    assert run.outputs["storageAccount"] == "acmemlfeatures"


def test_each_snippet_imports_only_its_clouds_package():
    for cloud, package in (("GCP", "cmek_ml.gcp"), ("AWS", "cmek_ml.aws"), ("Azure", "cmek_ml.azure")):
        imported = set(re.findall(r"from (cmek_ml\.\w+) import", program_of(cloud)))
        assert imported == {package}


def install_commands() -> list[list[str]]:
    commands = []
    for block in code_blocks(section("Install"), "bash"):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command.startswith("cmek-ml "):
                commands.append(shlex.split(command))
    return commands


def test_install_lists_every_command():
    assert {c[1] for c in install_commands()} == set(cli.COMMANDS)


@pytest.mark.parametrize("command", install_commands(), ids=" ".join)
def test_install_commands_run_on_the_example(command, tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "gcp-only", project)
    monkeypatch.chdir(project)
    argv, redirect = command[1:], None
    if ">" in argv:
        argv, redirect = argv[:argv.index(">")], argv[argv.index(">") + 1]
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse's --help
        code = exit_.code
    out = capsys.readouterr().out
    assert code == 0, out
    if redirect:
        assert json.loads(out)["version"] == "2.1.0"  # the SARIF document the redirect would write
    if argv == ["pack-path"]:
        assert (Path(out.strip()) / "PulumiPolicy.yaml").is_file()
