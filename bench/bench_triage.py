#!/usr/bin/env python
"""Benchmark: the learned coverage triage beside today's keyword matcher, on the same set.

    python bench/bench_triage.py [--set bench/data/triage_test.jsonl] [--model PATH]

The set is the held-apart test set (bench/data/generate_test.py: its own templates, pools
and seed; never trained on). Each line's "expect" is the scope rule it belongs to. Printed:
accuracy and per-rule recall of both, side by side, then both confusion matrices (rows:
expected, columns: got) and the model's prediction rate. Goals (issue 17): accuracy at
least 95 % and every rule at least 90 % recall for the learned triage; exit 1 when missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from xuala.policy.loader import load_policy  # noqa: E402
from xuala.triage import model as triage_model  # noqa: E402
from xuala.triage.corpus import read_jsonl  # noqa: E402
from xuala.triage.evaluate import keyword_rules, learned_results, score  # noqa: E402

GOAL_ACCURACY, GOAL_RECALL = 0.95, 0.90


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", default=str(ROOT / "bench" / "data" / "triage_test.jsonl"))
    parser.add_argument("--model", default=None, help="default: the model in use")
    args = parser.parse_args()
    policy = load_policy().policy
    rows = read_jsonl(args.set)
    model = triage_model.load(args.model)
    if model is None:
        print("no triage model: run `xuala triage train`")
        return 1
    expected = [row["expect"] for row in rows]
    started = time.perf_counter()
    results = learned_results(policy, rows, model)
    elapsed = time.perf_counter() - started
    learned = score(expected, [r.triage.rule for r in results])
    keywords = score(expected, keyword_rules(policy, rows))
    print(f"set: {args.set} ({len(rows)} requests)")
    print(f"{'':28} {'learned':>9} {'keywords':>9}")
    print(f"{'accuracy':28} {learned.accuracy:9.1%} {keywords.accuracy:9.1%}")
    for rule in sorted(learned.recall):
        print(f"{'recall ' + rule:28} {learned.recall[rule]:9.1%} "
              f"{keywords.recall.get(rule, 0.0):9.1%}")
    below = sum(r.probability < policy.triage.threshold for r in results)
    waiting = sum(r.probability >= policy.triage.threshold and not r.triage.certain
                  for r in results)
    print(f"below the threshold (an agent decides): {below} of {len(rows)}; emergencies "
          f"waiting for the live check: {waiting}; {len(rows) / elapsed:,.0f} requests/s")
    print("\nlearned, confusion (rows expected, columns got):\n" + learned.table())
    print("\nkeywords, confusion (rows expected, columns got):\n" + keywords.table())
    missed = [rule for rule, r in learned.recall.items() if r < GOAL_RECALL]
    if learned.accuracy < GOAL_ACCURACY or missed:
        print(f"GOAL MISSED: accuracy {learned.accuracy:.1%}, rules under 90 %: {missed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
