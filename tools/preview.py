"""Offline preview: runs a stack's program under Pulumi's mock engine, checks it with the policy pack.

    python -m tools.preview --stack dev [--policy-config FILE] [--format text|json|sarif]
                            [--program DIR] [--policy-pack DIR] [--all-outputs]

It is `pulumi preview --policy-pack policies/cmek --policy-pack-config policies/config/<stack>.json`
without the CLI or a cloud: the program runs in preview mode (ids and computed outputs unknown,
as in a first preview), the pack is started and spoken to exactly as the CLI does
(`tools.analyzer_client`), each resource analyzed as it registers and the whole stack at the end,
and the exit code is 1 when a mandatory policy is violated, as `pulumi preview` fails.

Exit 2 when nothing could be judged. For anything a person wrote (stack file, `Pulumi.yaml`,
policy config, arguments, folders) that is a message naming the file and line, every problem at
once, never a traceback; a traceback is printed only for a bug in the program or in this tool,
and says which.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NoReturn, Optional, Sequence

from cmek_ml.policy_pack import policy_pack_dir
from cmek_ml.settings import ConfigError
from . import mock_engine, stack_config
from .analyzer_client import PolicyAnalyzer, StackContext
from .analyzer_terms import PackInfo, PolicyConfig, PolicyPackError, Violation
from .engine_view import AnalysisAsRegistered, EngineView  # noqa: F401  (EngineView: used by bench/)
from .mistakes import Location, Mistake, UserMistakes, display_path
from .mock_engine import ProgramRun, Registration
from .policy_config import load_policy_config
from .preview_render import (  # noqa: F401  (the renderers are part of this module's interface)
    SECRET_DISPLAY, UNKNOWN_DISPLAY, display_inputs, display_value, render_json, render_mistakes_json, render_text,
    render_tree,
)
from .sarif import render_mistakes_sarif, render_sarif
from .stack_config import PROJECT_ROOT, StackConfig

# The pack released with the components: policies/cmek here, the installed folder from a wheel.
DEFAULT_POLICY_PACK = policy_pack_dir()
POLICY_CONFIG_DIR = PROJECT_ROOT / "policies" / "config"
"""This repository's configs; a project's own are `<project>/policies/config/<stack>.json`."""

EXIT_CLEAN, EXIT_MANDATORY_VIOLATION, EXIT_INVALID = 0, 1, 2


@dataclass(frozen=True)
class Waiver:
    """A resource a policy skipped because an `excludeFor` pattern of the policy config matched it."""

    policy: str
    urn: str
    pattern: str
    where: str
    """The policy config entry (`file:line`) that holds the pattern."""


@dataclass
class PreviewResult:
    context: StackContext
    run: ProgramRun
    resources: list[Registration]
    """Everything analyzed: the root stack, the program's resources, default providers."""
    pack: PackInfo
    pack_dir: Path
    policy_config_path: Optional[Path]
    enforcement: dict[str, str]
    """The enforcement level each policy ran at, after the config was reconciled."""
    violations: list[Violation]
    waivers: list[Waiver] = field(default_factory=list)

    @property
    def has_mandatory_violation(self) -> bool:
        return any(v.mandatory for v in self.violations)

    @property
    def exit_code(self) -> int:
        return EXIT_MANDATORY_VIOLATION if self.has_mandatory_violation else EXIT_CLEAN


class InvalidSettings(UserMistakes):
    """The stack's configuration is wrong: the stack file's own mistakes and the program's setting
    checks, together, in file order, each at its line. Nothing was registered."""

    def __init__(self, mistakes: Sequence[Mistake], program_run: Optional[ProgramRun] = None):
        super().__init__(mistakes, what="problems in the stack's settings")
        self.program_run = program_run


def stack_context(stack: str, config: dict[str, str], project: Optional[stack_config.ProjectFile] = None) -> StackContext:
    project = project or stack_config.ProjectFile.load()
    tags = {"pulumi:project": project.name, "pulumi:runtime": "python"}
    if project.description:
        tags["pulumi:description"] = project.description
    return StackContext(project=project.name, stack=stack, config=config, tags=tags)


def waivers(registrations: Sequence[Registration], not_applicable: Sequence[tuple[str, str, str]],
            reconciled: dict[str, PolicyConfig], given: dict[str, PolicyConfig]) -> list[Waiver]:
    """The pack's "not applicable" answers that an `excludeFor` pattern explains (the pack exempts a
    resource whose name fully matches one), with the pattern and where it is configured."""
    names = {r.urn: r.name for r in registrations}
    found = []
    for urn, policy, _reason in not_applicable:
        patterns = (reconciled.get(policy) or PolicyConfig()).properties.get("excludeFor") or []
        name = names.get(urn, urn.rsplit("::", 1)[-1])
        pattern = next((p for p in patterns if _fullmatch(p, name)), None)
        if pattern is not None:
            entry = given.get(policy)
            where = (entry.property_lines.get("excludeFor") or entry.where) if entry else "the pack's defaults"
            found.append(Waiver(policy, urn, pattern, where))
    return sorted(set(found), key=lambda w: (w.policy, w.urn))


def _fullmatch(pattern: str, name: str) -> bool:
    try:
        return re.fullmatch(pattern, name) is not None
    except re.error:
        return False


def analyze(
    body: Callable[[], None],
    config: dict[str, str],
    context: StackContext,
    pack_dir: Path = DEFAULT_POLICY_PACK,
    policy_config_path: Optional[Path] = None,
) -> PreviewResult:
    """Runs `body` as a Pulumi program in preview mode with `config`, the pack analyzing each
    resource as it registers, then the whole stack. The pack process is always stopped."""
    given: dict[str, PolicyConfig] = (
        load_policy_config(policy_config_path) if policy_config_path else {}
    )
    pack = PolicyAnalyzer(pack_dir, context)
    analysis = AnalysisAsRegistered(pack, given, context)
    pack.launch()
    try:
        run = mock_engine.run(analysis.observing(body), config, stack=context.stack, project=context.project,
                              preview=True, on_register=analysis.registered)
        violations = analysis.finish()
        return PreviewResult(
            context=context, run=run, resources=analysis.view.resources, pack=pack.info(),
            pack_dir=Path(pack_dir), policy_config_path=policy_config_path,
            enforcement={name: c.enforcement_level for name, c in analysis.reconciled.items()},
            violations=violations,
            waivers=waivers(analysis.view.resources, pack.not_applicable, analysis.reconciled, given),
        )
    finally:
        analysis.abandon()
        pack.close()


def default_policy_config(stack: str, project_root: Path = PROJECT_ROOT) -> Optional[Path]:
    candidate = project_root / "policies" / "config" / f"{stack}.json"
    return candidate if candidate.exists() else None


def preview(
    stack: str,
    program_dir: Path = PROJECT_ROOT,
    pack_dir: Path = DEFAULT_POLICY_PACK,
    policy_config_path: Optional[Path] = None,
    overrides: Optional[dict[str, Any]] = None,
) -> PreviewResult:
    """The offline `pulumi preview --policy-pack` of `stack`: its config, `program_dir/__main__.py`.

    The stack's config comes from the project `program_dir` belongs to (the nearest Pulumi.yaml at
    or above it, and that project's stackConfigDir), as the CLI finds it.
    Raises InvalidSettings (every problem of the stack file and of the program's settings checks,
    located) and the UserMistakes of unreadable files; a failing program's own exception otherwise."""
    config = stack_config.read(stack, overrides, root=stack_config.find_project_root(program_dir))
    program = mock_engine.project_program(program_dir)
    if config.mistakes:
        raise InvalidSettings(located_problems(config, settings_problems(program, config)))
    try:
        return analyze(program, config.values, stack_context(stack, config.values, config.project), pack_dir,
                       policy_config_path)
    except ConfigError as error:
        raise InvalidSettings(located_problems(config, error.problems), error.program_run) from None


def settings_problems(program: Callable[[], None], config: StackConfig) -> list[Any]:
    """The program's own settings checks on what the stack file gives, run without the pack, so its
    problems are reported with the stack file's (it registers nothing when a setting is wrong)."""
    try:
        mock_engine.run(program, config.values, stack=config.stack, project=config.project.name, preview=True)
    except ConfigError as error:
        return error.problems
    except Exception:  # pylint: disable=broad-except  # the stack file's mistakes already explain a failure
        return []
    return []


def located_problems(config: StackConfig, problems: Sequence[Any]) -> list[Mistake]:
    """The stack file's mistakes and the program's setting problems (`cmek_ml.settings.Problem`), one
    per key (the stack file's first), in file order: the stack file, then `Pulumi.yaml`'s defaults."""
    mistakes = list(config.mistakes)
    reported = {m.key.split(":")[-1] for m in mistakes if m.key}
    for problem in problems:
        if problem.key not in reported:
            mistakes.append(Mistake(config.locate(problem.key), str(problem), problem.key))
    stack_file = config.path.resolve()
    return sorted(mistakes, key=lambda m: (Path(m.location.path).resolve() != stack_file, m.location.order()))


# --- Command line -------------------------------------------------------------------------------


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector frozen and off, for the preview's entry point only.

    Why: a preview is one short run that allocates hundreds of thousands of container objects
    (protobuf messages, Outputs, futures, dicts of inputs) and frees nearly all of them by reference
    counting. Each automatic collection rescans the objects still alive (the SDKs' modules, the
    program's resources) and finds almost nothing: 18-35% of the wall time in paired runs (issue
    #11; `bench/preview_bench.py` measures it). `gc.freeze()` first moves everything imported so
    far out of the collector's generations. The process ends right after the run, so the few
    cycles left (tracebacks, asyncio tasks) are freed with it; the cost is a little more peak
    memory (measured in the bench). Tests call `preview()` directly and keep the collector, so a
    cycle-dependent bug still shows there; the pack pauses its own collector per request.
    """
    was_enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.unfreeze()



class _ArgumentMistake(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument to `main` instead of exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise _ArgumentMistake(message)


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--policy-config", type=Path,
                        help="policy pack config JSON, as for --policy-pack-config "
                             "(default: the project's policies/config/<stack>.json if it exists)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--program", type=Path,
                        help="folder whose __main__.py is the program (default: the Pulumi project of the "
                             "current folder); its stack config is that project's stackConfigDir")
    parser.add_argument("--policy-pack", type=Path, default=DEFAULT_POLICY_PACK,
                        help=f"policy pack folder (default: the cmek-ml pack, {DEFAULT_POLICY_PACK})")
    parser.add_argument("--all-outputs", action="store_true",
                        help="print every stack output (text format; by default a summary)")
    return parser


def _check_folders(args: argparse.Namespace) -> list[Mistake]:
    mistakes = []
    program = args.program
    if not program.is_dir():
        mistakes.append(Mistake(Location(program), "--program: no such folder"))
    elif not (program / "__main__.py").is_file():
        mistakes.append(Mistake(Location(program / "__main__.py"), "--program: the folder has no __main__.py"))
    if not args.policy_pack.is_dir():
        mistakes.append(Mistake(Location(args.policy_pack), "--policy-pack: no such folder"))
    if args.policy_config is not None and not args.policy_config.is_file():
        what = "is a folder, not a JSON file" if args.policy_config.is_dir() else "no such file"
        mistakes.append(Mistake(Location(args.policy_config), f"--policy-config: {what}"))
    return mistakes


def _report(mistakes: Sequence[Mistake], fmt: str, stack: str, program_dir: Path, headline: str = "") -> int:
    """Prints mistakes (stderr) and, for machine formats, a valid document saying so (stdout)."""
    if headline:
        print(f"error: {headline}", file=sys.stderr)
    for mistake in mistakes:
        print(f"{'  ' if headline else 'error: '}{mistake}", file=sys.stderr)
    if fmt == "sarif":
        print(render_mistakes_sarif(mistakes, EXIT_INVALID, f"cmek-ml/{stack}/", program_dir / "__main__.py"))
    elif fmt == "json":
        print(render_mistakes_json(mistakes, EXIT_INVALID))
    return EXIT_INVALID


_LOCATED = re.compile(r"(?P<file>[^:\s][^:]*):(?P<line>\d+)(?::(?P<column>\d+))?: (?P<message>.*)", re.S)


def _pack_mistakes(error: PolicyPackError, config_path: Optional[Path], pack_dir: Path) -> list[Mistake]:
    """A pack or policy config error as mistakes; an item that starts with `file:line:` is located there."""
    head, _, rest = str(error).partition("\n")
    items = [line.strip().removeprefix("- ") for line in rest.splitlines() if line.strip()] or [head]
    fallback = config_path if config_path is not None and "config" in head else pack_dir
    mistakes = []
    for item in items:
        located = _LOCATED.fullmatch(item)
        if located:
            mistakes.append(Mistake(Location(Path(located["file"]), int(located["line"]), int(located["column"] or 0)),
                                    located["message"]))
        else:
            mistakes.append(Mistake(Location(fallback), item))
    return mistakes


def main(argv: Sequence[str] | None = None, prog: str = "python -m tools.preview") -> int:
    parser = _parser(prog)
    try:
        args = parser.parse_args(argv)
    except _ArgumentMistake as error:
        parser.print_usage(sys.stderr)
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    try:
        if args.program is None:
            args.program = stack_config.project_program_dir(stack_config.find_project_root(Path.cwd()))
        program_dir = args.program.resolve()
        folder_mistakes = _check_folders(args)
        if folder_mistakes:
            return _report(folder_mistakes, args.format, args.stack, program_dir)
        policy_config = args.policy_config or default_policy_config(
            args.stack, stack_config.find_project_root(program_dir))
    except UserMistakes as error:
        return _report(error.mistakes, args.format, args.stack, args.program or Path.cwd())

    try:
        with collector_paused():
            result = preview(args.stack, program_dir, args.policy_pack, policy_config)
    except InvalidSettings as error:
        return _report(error.mistakes, args.format, args.stack, program_dir,
                       f"{len(error.mistakes)} problem(s) in the stack's settings; nothing was registered:")
    except UserMistakes as error:
        return _report(error.mistakes, args.format, args.stack, program_dir)
    except PolicyPackError as error:
        return _report(_pack_mistakes(error, policy_config, args.policy_pack), args.format, args.stack, program_dir)
    except Exception as error:  # pylint: disable=broad-except  # a bug, shown with its traceback
        traceback.print_exc()
        if hasattr(error, "program_run"):
            where = f"the program ({display_path(program_dir / '__main__.py')} or the components it uses)"
        else:
            where = "the offline preview itself (tools/); please report it"
        print(f"error: this is a bug in {where}, not a mistake in the stack's settings; nothing was analyzed",
              file=sys.stderr)
        return EXIT_INVALID

    if args.format == "json":
        print(render_json(result))
    elif args.format == "sarif":
        print(render_sarif(result, program_dir / "__main__.py"))
    else:
        print(render_text(result, all_outputs=args.all_outputs))
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
