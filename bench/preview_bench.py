"""Preview benchmark: the offline preview against the bare mock run, and what pausing the collector buys.

    python -m bench.preview_bench [--runs 5] [--repeats 3] [--resources 1000]

Each run is a fresh Python process (`--one-run`), so imports, caches and the collector's state
start alike. In it, on the generated stack (`bench/generated_stack.py`), four things are timed
back to back, their order rotating between repeats so that load from other processes hits all
alike, after one warm-up of each:

- bare: the program under the mock engine in preview mode, no pack, collector as usual;
- bare, collector paused: the same inside `preview.collector_paused()`;
- preview: `preview.analyze` with the cmek-ml pack (`policies/config/prod.json`, every policy),
  inside `preview.collector_paused()`, exactly as `python -m tools.preview` runs it;
- preview, collector on: the same without the pause.

Reported: per run the median ratio to bare, then the median and the spread (min-max) across runs;
and the peak memory (max RSS) of `python -m tools.preview --stack dev` with and without the pause.
A script, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
# Children import this checkout's components and tools, as the tests do.
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "components"), str(ROOT)])}


def _seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def one_run(resources: int, repeats: int) -> dict[str, float]:
    """In this process: medians of `repeats` rotations of (bare, bare paused, preview, preview collector on)."""
    from bench import generated_stack
    from tools import mock_engine, preview

    body = generated_stack.program(resources)
    context = preview.stack_context("bench", generated_stack.CONFIG)
    config = preview.POLICY_CONFIG_DIR / "prod.json"

    def bare() -> None:
        mock_engine.run(body, generated_stack.CONFIG, preview=True)

    def analyzed() -> None:
        preview.analyze(body, generated_stack.CONFIG, context, preview.DEFAULT_POLICY_PACK, config)

    def paused() -> None:
        with preview.collector_paused():
            analyzed()

    def bare_paused() -> None:
        with preview.collector_paused():
            bare()

    sides = {"bare": bare, "bare_paused": bare_paused, "paused": paused, "collector_on": analyzed}
    for action in sides.values():  # warm-up: first-call imports and caches
        action()
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for repeat in range(repeats):
        order = names[repeat % len(names):] + names[:repeat % len(names)]
        for name in order:
            times[name].append(_seconds(sides[name]))
    bare_median = statistics.median(times["bare"])
    return {
        "bare_s": bare_median,
        "paused_s": statistics.median(times["paused"]),
        "collector_on_s": statistics.median(times["collector_on"]),
        "bare_paused_s": statistics.median(times["bare_paused"]),
        "paused_ratio": statistics.median(p / b for p, b in zip(times["paused"], times["bare"])),
        "pack_ratio": statistics.median(p / b for p, b in zip(times["paused"], times["bare_paused"])),
        "collector_on_ratio": statistics.median(p / b for p, b in zip(times["collector_on"], times["bare"])),
    }


_NO_PAUSE = "import contextlib, sys; from tools import preview; preview.collector_paused = contextlib.nullcontext; "
_PAUSE = "import sys; from tools import preview; "


def peak_memory_mb(code: str) -> float:
    """Max RSS of a child running the dev preview (Linux: ru_maxrss in KiB)."""
    child = subprocess.Popen([sys.executable, "-c", code + "sys.exit(preview.main(['--stack', 'dev']))"],
                             cwd=ROOT, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("the dev preview failed")
    return usage.ru_maxrss / 1024


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x (runs {min(values):.2f}x-{max(values):.2f}x)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.preview_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes")
    parser.add_argument("--repeats", type=int, default=3, help="rotations within each process")
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_run:
        print(json.dumps(one_run(args.resources, args.repeats)))
        return 0

    runs = []
    for index in range(args.runs):
        print(f"run {index + 1}/{args.runs} ...", file=sys.stderr)
        out = subprocess.run([sys.executable, "-m", "bench.preview_bench", "--one-run", "--resources",
                              str(args.resources), "--repeats", str(args.repeats)],
                             cwd=ROOT, env=CHILD_ENV, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    memory = {"paused": [], "on": []}
    for _ in range(3):
        memory["paused"].append(peak_memory_mb(_PAUSE))
        memory["on"].append(peak_memory_mb(_NO_PAUSE))

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\n{args.runs} processes x {args.repeats} rotations, {args.resources:,} generated resources, "
          f"pack config policies/config/prod.json; {os.cpu_count()} cores, load average {load} at the end.\n")
    print("| measure | figure |")
    print("| --- | --- |")
    print(f"| Bare mock run, {args.resources:,} resources (median of runs) | "
          f"{statistics.median(r['bare_s'] for r in runs):.2f} s |")
    print(f"| Offline preview as `python -m tools.preview` runs it (collector paused) | "
          f"{statistics.median(r['paused_s'] for r in runs):.2f} s |")
    print(f"| Preview / bare mock run, collector paused | {_spread([r['paused_ratio'] for r in runs])} |")
    print(f"| Preview / bare mock run, collector on (before) | {_spread([r['collector_on_ratio'] for r in runs])} |")
    print(f"| Bare mock run with the collector paused (median of runs) | "
          f"{statistics.median(r['bare_paused_s'] for r in runs):.2f} s |")
    print(f"| Preview / bare mock run, both paused (the pack's own share) | {_spread([r['pack_ratio'] for r in runs])} |")
    print(f"| Peak memory of the dev preview, paused / on | {statistics.median(memory['paused']):.0f} MB / "
          f"{statistics.median(memory['on']):.0f} MB |")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
