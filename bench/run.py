"""`make bench`: runs every benchmark in bench/ and prints its figures beside its peer's.

Usage: python bench/run.py [--only NAME[,NAME]] [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# name -> (script, arguments for a full run, arguments for --quick)
BENCHES = {
    "clocks": ("bench_clocks.py", [], ["--seconds", "0.5"]),
    "probe": ("bench_probe.py", [], ["--checks", "500", "--rounds", "1"]),
    "desk": ("bench_desk.py", [], ["--tickets", "5000", "--seconds", "5"]),
    "sentry": ("bench_sentry.py", [], ["--quick"]),
    "mail": ("bench_mail.py", [], ["--messages", "200"]),
    "wsa": ("bench_wsa.py", [], ["--files", "2000", "--rounds", "1"]),
    "antispam": ("bench_antispam.py", ["--sa-bayes"], ["--limit", "200", "--seconds", "3"]),
    "triage": ("bench_triage.py", [], []),
    "updates": ("bench_updates.py", [], ["--size-mb", "64", "--db-mb", "8", "--plugins", "3"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated names: " + ", ".join(BENCHES))
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHES)
    failed = []
    for name in names:
        if name not in BENCHES:
            parser.error(f"unknown benchmark {name!r}")
        script, full, quick = BENCHES[name]
        path = HERE / script
        if not path.exists():
            print(f"== {name}: {script} not present, skipped")
            continue
        argv = [sys.executable, str(path), *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(argv[1:])}", flush=True)
        started = time.monotonic()
        code = subprocess.call(argv)
        print(f"== {name}: exit {code} in {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print("benchmarks that failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
