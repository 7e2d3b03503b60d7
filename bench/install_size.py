"""Install size and time of `cmek-ml[gcp]` against `cmek-ml[all]` (a script, not a test).

    venv/bin/python -m bench.install_size [--cache]

Builds the wheel from this checkout, then for each extra creates a fresh virtualenv and installs
the wheel with that extra at the project's pinned versions. Without `--cache` pip downloads every
package (`--no-cache-dir`), as on a first install; the figures move with the network and the load.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.distribution import wheel_env

EXTRAS = ("gcp", "all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", action="store_true", help="let pip use its cache (a repeat install)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cmek-ml-install-") as work:
        work_dir = Path(work)
        wheel = wheel_env.build_wheel(work_dir)
        constraints = wheel_env.constraints_file(work_dir)
        results = {extra: wheel_env.install(wheel, extra, work_dir / f"venv-{extra}", constraints, cache=args.cache)
                   for extra in EXTRAS}
    print(f"| extra | virtualenv size | venv + pip install time ({'warm' if args.cache else 'cold'} pip cache) |")
    print("| --- | --- | --- |")
    for extra, result in results.items():
        print(f"| `cmek-ml[{extra}]` | {result.size_bytes / 2**20:,.0f} MiB | {result.seconds:.0f} s |")
    gcp, everything = results["gcp"], results["all"]
    print(f"\n[gcp] is {gcp.size_bytes / everything.size_bytes:.0%} of [all]'s size "
          f"and takes {gcp.seconds / everything.seconds:.0%} of its time")


if __name__ == "__main__":
    main()
