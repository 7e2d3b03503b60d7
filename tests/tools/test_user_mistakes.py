"""Mistakes a person makes in a stack file, Pulumi.yaml, a policy config or on the command line:
each exits 2 with a message naming the file (and line, where there is one), never a traceback.

Each case runs the real `python -m tools.preview` entry point (`preview.main`) on a copy of the
project in a temporary folder, changed by the case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable, NamedTuple, Optional

import pytest

from tools import preview, stack_config

from .sarif_check import valid_sarif

ROOT = stack_config.PROJECT_ROOT
FLOOR_PACK = ROOT / "bench" / "floor_pack"
DEV = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
PROJECT = (ROOT / "Pulumi.yaml").read_text()


class Case(NamedTuple):
    id: str
    files: dict[str, str | bytes | None]
    """Project-relative files to write (None: make a folder), e.g. the stack file."""
    argv: tuple[str, ...]
    expected: tuple[str, ...]
    """Texts the error output must contain: the file (with its line) and what is wrong."""


def stack(*lines: str) -> dict[str, str]:
    """The dev stack file with `lines` added under `config:`."""
    return {"stacks/Pulumi.dev.yaml": DEV + "".join(f"  {line}\n" for line in lines)}


def dev_line(n_extra: int = 1) -> int:
    """The line number of the `n_extra`th line added by `stack`."""
    return len(DEV.splitlines()) + n_extra


def line_of(key: str) -> int:
    """The dev stack file's line of `key`."""
    return next(n for n, text in enumerate(DEV.splitlines(), 1) if text.strip().startswith(f"{key}:"))


def project_with(old: str, new: str) -> dict[str, str]:
    assert old in PROJECT
    return {"Pulumi.yaml": PROJECT.replace(old, new, 1)}


DEV_ARGS = ("--stack", "dev", "--policy-pack", str(FLOOR_PACK))
LINE = dev_line()
S = f"Pulumi.dev.yaml:{LINE}"

CASES = [
    # --- stack file: YAML and shape
    Case("yaml-missing-bracket", stack("cmek-ml:gcpLabels: [env=dev, owner=x"), DEV_ARGS,
         ("Pulumi.dev.yaml:", "invalid YAML")),
    Case("yaml-tab-indentation", stack("\tcmek-ml:gcpRegion: europe-west4"), DEV_ARGS,
         (S, "invalid YAML", "'\\t'")),
    Case("yaml-bad-indentation", stack("cmek-ml:gcpRegion: europe-west4", "   cmek-ml:gcpKeyLayout: shared"),
         DEV_ARGS, ("Pulumi.dev.yaml:", "invalid YAML")),
    Case("config-is-a-list", {"stacks/Pulumi.dev.yaml": "config:\n  - cmek-ml:gcpRegion: europe-west4\n"}, DEV_ARGS,
         ("Pulumi.dev.yaml:2:3", "`config:` must be a map", "sequence")),
    Case("config-is-text", {"stacks/Pulumi.dev.yaml": "config: europe-west4\n"}, DEV_ARGS,
         ("Pulumi.dev.yaml:1:9", "`config:` must be a map")),
    Case("stack-file-is-a-list", {"stacks/Pulumi.dev.yaml": "- config\n- x\n"}, DEV_ARGS,
         ("Pulumi.dev.yaml:1:1", "must be a map with a `config:` map")),
    Case("stack-file-not-utf8", {"stacks/Pulumi.dev.yaml": DEV.encode() + b"  cmek-ml:gcpRegion: caf\xe9\n"},
         DEV_ARGS, (S, "not UTF-8")),
    Case("duplicate-key", stack("cmek-ml:gcpRegion: us-east1"), DEV_ARGS,
         (S, f"mapping key 'cmek-ml:gcpRegion' already defined at line {line_of('cmek-ml:gcpRegion')}")),
    # --- stack file: keys
    Case("undeclared-key", stack("cmek-ml:gcpRegoin: us-east1"), DEV_ARGS,
         (S, "not declared", "did you mean 'gcpRegion'?")),
    Case("key-without-namespace", stack("gcpKeyRotationPeriod: 30d"), DEV_ARGS,
         (S, "write `<namespace>:<name>`", "cmek-ml:gcpKeyRotationPeriod")),
    Case("mistyped-namespace", stack("cmek-m1:gcpKeyRotationPeriod: 30d"), DEV_ARGS,
         (S, "unknown namespace 'cmek-m1'", "did you mean 'cmek-ml:gcpKeyRotationPeriod'?")),
    # --- stack file: values of the declared type
    Case("integer-not-a-number", stack("cmek-ml:azureKeySize: big"), DEV_ARGS,
         (S, "not of the declared type integer")),
    Case("integer-with-a-fraction", stack("cmek-ml:azureKeySize: 3072.5"), DEV_ARGS,
         (S, "not of the declared type integer")),
    Case("boolean-yes", stack("cmek-ml:gcpAllowRotationOver90Days: yes"), DEV_ARGS,
         (S, "not of the declared type boolean", "true or false")),
    Case("array-given-as-text", stack("cmek-ml:gcpServices: storage"), DEV_ARGS,
         (S, "not of the declared type array<string>")),
    Case("array-item-not-a-string", stack("cmek-ml:gcpBuckets: [training-data, 2024]"), DEV_ARGS,
         (S, "not of the declared type array<string>", "quote numbers")),
    Case("string-given-as-map", stack("cmek-ml:gcpKeyRingName: {name: ring}"), DEV_ARGS,
         (S, "not of the declared type string")),
    Case("value-left-empty", stack("cmek-ml:gcpKeyRingName:"), DEV_ARGS,
         (S, "not of the declared type string")),
    Case("encrypted-value", stack("cmek-ml:gcpBillingAccount: {secure: v1:aGVsbG8=}"), DEV_ARGS,
         (S, "encrypted (`secure:`)", "no secrets provider")),
    # --- the program's own setting checks, at the stack file's line
    Case("setting-out-of-range", stack("cmek-ml:gcpKeyRotationPeriod: 1d"), DEV_ARGS,
         (S, "cmek-ml:gcpKeyRotationPeriod = '1d'", "more than 1 day")),
    Case("setting-not-a-choice", {"stacks/Pulumi.dev.yaml": DEV.replace("gcpKeyLayout: shared", "gcpKeyLayout: both")},
         DEV_ARGS, (f"Pulumi.dev.yaml:{line_of('cmek-ml:gcpKeyLayout')}:3", "cmek-ml:gcpKeyLayout = 'both'",
                   "must be one of")),
    # --- which stack
    Case("unknown-stack", {}, ("--stack", "staging", "--policy-pack", str(FLOOR_PACK)),
         ("Pulumi.staging.yaml", "no stack file", "stacks: dev")),
    Case("stack-name-with-a-path", {}, ("--stack", "../dev", "--policy-pack", str(FLOOR_PACK)),
         ("Pulumi.../dev.yaml", "is not a stack name")),
    Case("stack-file-is-a-folder", {"stacks/Pulumi.qa.yaml": None}, ("--stack", "qa", "--policy-pack", str(FLOOR_PACK)),
         ("Pulumi.qa.yaml", "is a folder")),
    # --- Pulumi.yaml
    Case("project-yaml-syntax", {"Pulumi.yaml": PROJECT.replace("stackConfigDir: stacks", "stackConfigDir: [stacks")},
         DEV_ARGS, ("Pulumi.yaml:", "invalid YAML")),
    Case("project-without-name", project_with("name: cmek-ml", "nmae: cmek-ml"), DEV_ARGS,
         ("Pulumi.yaml:1:1", "no 'name'", "did you mean 'nmae'?")),
    Case("project-config-is-a-list", {"Pulumi.yaml": PROJECT[:PROJECT.index("config:")] + "config:\n  - clouds\n"}, DEV_ARGS,
         ("Pulumi.yaml:", "'config' must be a map")),
    Case("project-unknown-type", project_with("  gcpRegion:\n    type: string\n", "  gcpRegion:\n    type: text\n"), DEV_ARGS,
         ("Pulumi.yaml:", "type 'text' is not one of")),
    Case("project-array-without-items", project_with("    items:\n      type: string\n", ""), DEV_ARGS,
         ("Pulumi.yaml:", "an array must give its items' type")),
    Case("project-default-of-the-wrong-type", project_with("    type: boolean\n", "    type: integer\n"), DEV_ARGS,
         ("Pulumi.yaml:", "is not of the declared type integer")),
    Case("project-unknown-attribute", project_with("    description:", "    descripton:"), DEV_ARGS,
         ("Pulumi.yaml:", "unknown attribute 'descripton'", "did you mean 'description'?")),
    # --- policy config
    Case("policy-config-not-json", {"p.json": '{"all": "mandatory",\n "x": }\n'},
         (*DEV_ARGS, "--policy-config", "p.json"), ("p.json:2:7", "not valid JSON")),
    Case("policy-config-not-an-object", {"p.json": '["all"]\n'}, (*DEV_ARGS, "--policy-config", "p.json"),
         ("p.json:1", "must be a JSON object")),
    Case("policy-config-bad-level", {"p.json": '{\n  "all": "blocking"\n}\n'}, (*DEV_ARGS, "--policy-config", "p.json"),
         ("p.json:2", "'blocking'", "must be one of")),
    Case("policy-config-missing", {}, (*DEV_ARGS, "--policy-config", "nope.json"), ("nope.json", "no such file")),
    Case("policy-config-is-a-folder", {"conf": None}, (*DEV_ARGS, "--policy-config", "conf"), ("conf", "is a folder")),
    Case("policy-config-unknown-policy", {"p.json": '{\n  "all": "mandatory",\n  "gcp-storage-bucket-cmk": "advisory"\n}\n'},
         ("--stack", "dev", "--policy-config", "p.json"),
         ("p.json:3", "unknown policy 'gcp-storage-bucket-cmk'", "did you mean 'gcp-storage-bucket-cmek'?")),
    Case("policy-config-unknown-option",
         {"p.json": '{\n  "all": "mandatory",\n  "gcp-storage-bucket-cmek": {\n    "excludFor": ["scratch-.*"]\n  }\n}\n'},
         ("--stack", "dev", "--policy-config", "p.json"),
         ("p.json:4", "unknown option 'excludFor'", "did you mean 'excludeFor'?")),
    Case("policy-config-option-of-the-wrong-type",
         {"p.json": '{\n  "all": "mandatory",\n  "gcp-storage-bucket-cmek": {\n    "excludeFor": "scratch-.*"\n  }\n}\n'},
         ("--stack", "dev", "--policy-config", "p.json"), ("p.json:4", "excludeFor", "is not of type 'array'")),
    # --- command line and folders
    Case("no-stack-argument", {}, ("--format", "text"), ("--stack", "required")),
    Case("unknown-format", {}, ("--stack", "dev", "--format", "yaml"), ("--format", "invalid choice: 'yaml'")),
    Case("unknown-argument", {}, ("--stack", "dev", "--polcy-config", "p.json"), ("unrecognized arguments: --polcy-config",)),
    Case("program-folder-missing", {}, ("--stack", "dev", "--program", "no/such/dir"), ("no/such/dir", "no such folder")),
    Case("program-folder-without-main", {"lib/x.py": ""}, ("--stack", "dev", "--program", "lib"),
         ("lib/__main__.py", "has no __main__.py")),
    Case("policy-pack-folder-missing", {}, ("--stack", "dev", "--policy-pack", "no-pack"), ("no-pack", "no such folder")),
    Case("policy-pack-folder-not-a-pack", {"notapack/README": "x"}, ("--stack", "dev", "--policy-pack", "notapack"),
         ("notapack", "no PulumiPolicy.yaml")),
]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the project (Pulumi.yaml, stacks, program) as the current folder."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(project: Path, files: dict[str, str | bytes | None]) -> None:
    for relative, content in files.items():
        path = project / relative
        if content is None:
            path.mkdir(parents=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)


def test_the_table_covers_enough_different_mistakes():
    assert len({c.id for c in CASES}) == len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_mistake_exits_2_naming_the_file_without_a_traceback(case, project, capsys):
    write(project, case.files)
    code = preview.main([*case.argv, *(() if "--program" in case.argv else ("--program", str(project)))])
    captured = capsys.readouterr()
    assert code == preview.EXIT_INVALID, captured.err
    assert "Traceback" not in captured.err + captured.out
    for text in case.expected:
        assert text in captured.err, f"{text!r} not in:\n{captured.err}"


def test_every_problem_of_a_stack_file_at_once_in_file_order(project, capsys):
    write(project, stack("cmek-ml:gcpRegoin: us-east1", "cmek-ml:azureKeySize: big",
                         "cmek-ml:gcpKeyRotationPeriod: 1d", "cmek-ml:gcpKeyRingName: ''"))
    code = preview.main([*DEV_ARGS, "--program", str(project)])
    err = capsys.readouterr().err
    assert code == preview.EXIT_INVALID
    lines = [line.strip() for line in err.splitlines() if "Pulumi.dev.yaml:" in line]
    assert [line.split(":")[1] for line in lines] == [str(dev_line(n)) for n in (1, 2, 3, 4)], err
    assert "did you mean 'gcpRegion'?" in lines[0]
    assert "declared type integer" in lines[1]
    assert "more than 1 day" in lines[2]  # the program's own check, at the stack file's line
    assert "gcpKeyRingName" in lines[3]


def test_a_default_that_fails_the_programs_checks_points_at_pulumi_yaml(project, capsys):
    write(project, project_with("    default: 7776000s", "    default: 1d"))
    assert preview.main([*DEV_ARGS, "--program", str(project)]) == preview.EXIT_INVALID
    err = capsys.readouterr().err
    line = next(n for n, text in enumerate(PROJECT.splitlines(), 1) if text.startswith("  gcpKeyRotationPeriod:"))
    assert f"Pulumi.yaml:{line}:3: cmek-ml:gcpKeyRotationPeriod = '1d'" in err


def test_invalid_settings_still_give_valid_sarif_with_the_problems_at_their_lines(project, capsys):
    write(project, stack("cmek-ml:gcpRegoin: us-east1", "cmek-ml:gcpKeyRotationPeriod: 1d"))
    code = preview.main([*DEV_ARGS, "--program", str(project), "--format", "sarif"])
    document = valid_sarif(capsys.readouterr().out)
    assert code == preview.EXIT_INVALID
    [run] = document["runs"]
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False and run["results"] == []
    located = [(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                n["locations"][0]["physicalLocation"]["region"]["startLine"])
               for n in invocation["toolExecutionNotifications"]]
    assert located == [("stacks/Pulumi.dev.yaml", dev_line(1)), ("stacks/Pulumi.dev.yaml", dev_line(2))]


def test_invalid_settings_in_json_are_a_document_too(project, capsys):
    write(project, stack("cmek-ml:azureKeySize: big"))
    assert preview.main([*DEV_ARGS, "--program", str(project), "--format", "json"]) == preview.EXIT_INVALID
    [error] = json.loads(capsys.readouterr().out)["errors"]
    assert error["file"].endswith("stacks/Pulumi.dev.yaml") and error["line"] == dev_line(1)


def test_a_bug_in_the_program_shows_its_traceback_and_says_it_is_a_bug(project, capsys):
    write(project, {"__main__.py": (ROOT / "__main__.py").read_text() + "\nraise ZeroDivisionError('oops')\n"})
    assert preview.main([*DEV_ARGS, "--program", str(project)]) == preview.EXIT_INVALID
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: oops" in err
    assert "this is a bug in the program" in err and "not a mistake in the stack's settings" in err
