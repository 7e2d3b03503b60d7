"""Policy benchmark: what the cmek-ml pack costs, measured as ratios within one run.

    python -m bench.policy_bench [--repeats 5] [--resources 1000] [--large 5000] [--before-pack DIR]

0. Start-up: spawn to port (the pack printed its port, ready to serve), the pack against the floor pack,
   and, with --before-pack, against another version of the pack (e.g. one checked out before a change).
1. Analyze cost per resource of the pack, with its whole key catalogue loaded, against `bench/floor_pack`
   (one cheap rule), both started exactly as the CLI starts a pack (`tools.analyzer_client`): target at
   most 1.2x, judged on the CPU time the pack's process spends (wall time is shown too; on a shared machine
   it moves with other processes' load).
2. AnalyzeStack time over 5,000 resources against 1,000: target at most 6x (linear).
3. The offline preview of a generated 1,000-resource stack (`bench/generated_stack.py`) against
   the bare mock run of the same program: policy overhead at most 30%.

Each measure is repeated and the median ratio reported; the two sides of a ratio are measured
back to back, alternating their order, so load from other processes hits both alike. This is a
script, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

from bench import generated_stack
from tools import analyzer_requests, mock_engine, preview
from tools.analyzer_client import PolicyAnalyzer
from tools.mistakes import display_path
from tools.policy_config import load_policy_config

FLOOR_PACK = Path(__file__).resolve().parent / "floor_pack"
TARGETS = {"analyze": 1.2, "growth": 6.0, "overhead": 0.30}


def generated_resources(count: int, context):
    """The generated stack's resources as the preview sends them (engine view, providers, aliases)."""
    run = mock_engine.run(generated_stack.program(count), generated_stack.CONFIG, preview=True)
    view = preview.EngineView(context)
    for registration in run.resources:
        view.add(registration)
    return [
        analyzer_requests.analyzer_resource(r, provider, analyzer_requests.alias_urns(r, run.monitor.make_urn))
        for r, provider in view.entries
    ]


def started(pack_dir: Path, context, policy_config: Path | None) -> PolicyAnalyzer:
    pack = PolicyAnalyzer(pack_dir, context).connect()
    pack.configure(load_policy_config(policy_config) if policy_config else {})
    return pack


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def spawn_to_port(pack_dir: Path, context) -> Callable[[], object]:
    """Starts a pack as the CLI does and times it until it prints its port; then stops it (not timed)."""
    def start() -> None:
        started_at = time.perf_counter()
        pack = PolicyAnalyzer(pack_dir, context).launch()
        try:
            pack._read_port()
            start.elapsed = time.perf_counter() - started_at  # type: ignore[attr-defined]
        finally:
            pack.close()
    return start


def startup_pairs(repeats: int, first: Path, second: Path, context) -> list[tuple[float, float]]:
    """(first, second) spawn-to-port seconds, alternating which side starts first."""
    a, b = spawn_to_port(first, context), spawn_to_port(second, context)
    pairs = []
    for index in range(repeats):
        for side in ((b, a) if index % 2 else (a, b)):
            side()
        pairs.append((a.elapsed, b.elapsed))  # type: ignore[attr-defined]
    return pairs


def process_cpu_seconds(pack: PolicyAnalyzer) -> float:
    """CPU time (user + system) the pack's process has used so far (Linux /proc; fields 14 and 15 of stat)."""
    fields = Path(f"/proc/{pack._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(pack: PolicyAnalyzer, action: Callable[[], object]) -> Callable[[], float]:
    """`action`, measured by the CPU time the pack's process spends on it: unlike wall time, other processes
    on a shared machine do not inflate it."""
    def measured() -> float:
        before = process_cpu_seconds(pack)
        action()
        measured.cpu = process_cpu_seconds(pack) - before  # type: ignore[attr-defined]
        return measured.cpu  # type: ignore[attr-defined]
    return measured


def analyze_each(pack: PolicyAnalyzer, resources) -> None:
    for resource in resources:
        pack.analyze(resource)


def paired(repeats: int, first: Callable[[], object], second: Callable[[], object]) -> list[tuple[float, float]]:
    """`repeats` (first, second) timings, alternating which side runs first."""
    pairs = []
    for index in range(repeats):
        if index % 2:
            b = seconds(second)
            a = seconds(first)
        else:
            a = seconds(first)
            b = seconds(second)
        pairs.append((a, b))
    return pairs


def median_ratio(pairs: list[tuple[float, float]]) -> float:
    return statistics.median(a / b for a, b in pairs)


def median_of(pairs: list[tuple[float, float]], side: int) -> float:
    return statistics.median(p[side] for p in pairs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.policy_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--pack", type=Path, default=preview.DEFAULT_POLICY_PACK)
    parser.add_argument("--before-pack", type=Path, default=None,
                        help="another version of the pack to compare start-up with (e.g. git archive of an older commit)")
    parser.add_argument("--policy-config", type=Path, default=preview.POLICY_CONFIG_DIR / "prod.json",
                        help="the pack's config (default: prod, every policy mandatory)")
    args = parser.parse_args(argv)

    context = preview.stack_context("bench", generated_stack.CONFIG)
    print(f"generating {args.resources} and {args.large} resources ...", file=sys.stderr)
    small = generated_resources(args.resources, context)
    large = generated_resources(args.large, context)

    rows = []
    print("0. Start-up, spawn to port ...", file=sys.stderr)
    startup = startup_pairs(args.repeats, args.pack, FLOOR_PACK, context)
    rows += [
        ("Start-up (spawn to port), cmek-ml pack", f"{median_of(startup, 0):.2f} s", "", ""),
        ("Start-up (spawn to port), one-rule floor pack", f"{median_of(startup, 1):.2f} s", "", ""),
    ]
    if args.before_pack:
        before = startup_pairs(args.repeats, args.pack, args.before_pack, context)
        rows += [
            (f"Start-up (spawn to port), {args.before_pack}", f"{median_of(before, 1):.2f} s", "", ""),
            ("Start-up, this pack / that one", f"{median_ratio(before):.2f}x", "", ""),
        ]
    pack = started(args.pack, context, args.policy_config)
    floor = started(FLOOR_PACK, context, None)
    try:
        policies = len(pack.info().policies)
        # Warm both processes (first-call imports, caches) before measuring.
        analyze_each(pack, small[:50])
        analyze_each(floor, small[:50])
        print("1. Analyze per resource ...", file=sys.stderr)
        pack_cpu = cpu_of(pack, lambda: analyze_each(pack, small))
        floor_cpu = cpu_of(floor, lambda: analyze_each(floor, small))
        analyze, cpu = [], []
        for a, b in paired(args.repeats, pack_cpu, floor_cpu):
            analyze.append((a, b))
            cpu.append((pack_cpu.cpu, floor_cpu.cpu))  # type: ignore[attr-defined]
        rows += [
            (f"Analyze per resource, cmek-ml pack ({policies} policies), wall / pack CPU",
             f"{median_of(analyze, 0) / len(small) * 1000:.2f} ms / {median_of(cpu, 0) / len(small) * 1000:.2f} ms", "", ""),
            ("Analyze per resource, one-rule floor pack, wall / pack CPU",
             f"{median_of(analyze, 1) / len(small) * 1000:.2f} ms / {median_of(cpu, 1) / len(small) * 1000:.2f} ms", "", ""),
            ("Analyze wall time, pack / floor (moves with the machine's load)", f"{median_ratio(analyze):.2f}x", "", ""),
            _verdict("Analyze CPU of the pack's process, pack / floor", median_ratio(cpu), TARGETS["analyze"], "x"),
        ]
        print("2. AnalyzeStack growth ...", file=sys.stderr)
        pack.analyze_stack(small)
        growth = paired(args.repeats, lambda: pack.analyze_stack(large), lambda: pack.analyze_stack(small))
        rows += [
            (f"AnalyzeStack, {len(small):,} resources", f"{median_of(growth, 1):.3f} s", "", ""),
            (f"AnalyzeStack, {len(large):,} resources", f"{median_of(growth, 0):.3f} s", "", ""),
            _verdict(f"AnalyzeStack growth {len(large):,} / {len(small):,}", median_ratio(growth),
                     TARGETS["growth"], "x"),
        ]
    finally:
        pack.close()
        floor.close()

    print("3. Offline preview against the bare mock run ...", file=sys.stderr)
    body = generated_stack.program(args.resources)

    def bare_run() -> None:
        mock_engine.run(body, generated_stack.CONFIG, preview=True)

    overhead = paired(
        args.repeats,
        lambda: preview.analyze(body, generated_stack.CONFIG, context, args.pack, args.policy_config),
        bare_run,
    )
    # The same with the floor pack: what the protocol itself costs, whatever the policies.
    floor_overhead = paired(
        args.repeats, lambda: preview.analyze(body, generated_stack.CONFIG, context, FLOOR_PACK), bare_run)
    rows += [
        (f"Bare mock run, {args.resources:,} resources", f"{median_of(overhead, 1):.2f} s", "", ""),
        (f"Offline preview with the pack, {args.resources:,} resources", f"{median_of(overhead, 0):.2f} s", "", ""),
        _verdict("Policy overhead of the offline preview", median_ratio(overhead) - 1, TARGETS["overhead"], "%"),
        ("Same overhead with the one-rule floor pack (the protocol's share)",
         f"{(median_ratio(floor_overhead) - 1) * 100:.0f}%", "", ""),
    ]

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nMedians of {args.repeats} repeats; pack config {display_path(args.policy_config)}; "
          f"{os.cpu_count()} cores, load average {load} at the end.\n")
    print("| measure | figure | target | met |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


def _verdict(label: str, value: float, target: float, unit: str) -> tuple[str, str, str, str]:
    shown = (f"{value * 100:.0f}%", f"<= {target * 100:.0f}%") if unit == "%" else (f"{value:.2f}x", f"<= {target}x")
    return label, shown[0], shown[1], "yes" if value <= target else "**no**"


if __name__ == "__main__":
    sys.exit(main())
