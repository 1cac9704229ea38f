"""Evaluation of triage over a JSONL file of requests: the learned model and the keyword
matcher of xuala/desk/triage.py, scored on the same lines.

A line is ``{"is_client": bool, "has_plan": bool, "subject": ..., "body": ...}`` and may
carry ``"expect"``: a scope rule key (scored against the rule) or a decision
(``covered``, ``refused``, ...; scored against the decision).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from xuala.desk.triage import Facts, match_rule
from xuala.policy.schema import Decision, Policy
from xuala.triage import model as triage_model
from xuala.triage.learned import Learned, decide

DECISIONS = {d.value for d in Decision}


def facts_of(row: dict) -> Facts:
    text = triage_model.request_text(row.get("subject", ""), row.get("body", ""))
    return Facts(is_client=bool(row.get("is_client", True)), has_plan=bool(row.get("has_plan")),
                 category=None, text=text, language=row.get("lang", "es"))


def learned_results(policy: Policy, rows: list[dict],
                    model: triage_model.TriageModel) -> list[Learned]:
    texts = [triage_model.request_text(r.get("subject", ""), r.get("body", "")) for r in rows]
    predictions = model.predict(texts)
    return [decide(policy, facts_of(row), p.rule, p.probability, p.reasons)
            for row, p in zip(rows, predictions, strict=True)]


def keyword_rules(policy: Policy, rows: list[dict]) -> list[str]:
    """Today's matcher: the rule with most keyword hits ("other" when none matches)."""
    out = []
    for row in rows:
        rule = match_rule(policy, facts_of(row).text)
        out.append(rule.key if rule else "other")
    return out


@dataclass
class Score:
    accuracy: float
    count: int
    recall: dict[str, float]
    labels: list[str]
    matrix: list[list[int]]  # rows: expected, columns: got, in ``labels`` order

    def as_json(self) -> dict:
        return {"accuracy": round(self.accuracy, 4), "count": self.count,
                "recall": {k: round(v, 4) for k, v in self.recall.items()},
                "confusion": {"labels": self.labels, "matrix": self.matrix}}

    def table(self) -> str:
        """The confusion matrix as text (rows expected, columns got)."""
        short = [label[:6] for label in self.labels]
        width = max(len(label) for label in self.labels)
        lines = [" " * width + " " + " ".join(f"{s:>6}" for s in short)]
        for label, row in zip(self.labels, self.matrix, strict=True):
            lines.append(f"{label:>{width}} " + " ".join(f"{n:>6}" for n in row))
        return "\n".join(lines)


def score(expected: list[str], got: list[str]) -> Score:
    labels = sorted(set(expected) | set(got))
    pairs = Counter(zip(expected, got, strict=True))
    per = Counter(expected)
    matrix = [[pairs[(e, g)] for g in labels] for e in labels]
    recall = {e: pairs[(e, e)] / per[e] for e in sorted(per)}
    hits = sum(pairs[(e, e)] for e in per)
    return Score(hits / len(expected) if expected else 0.0, len(expected), recall, labels, matrix)


def observed(result: Learned, expect: str) -> str:
    """What ``expect`` is compared with: the decision when it names one, else the rule."""
    if expect in DECISIONS and expect != "meeting":
        return str(result.triage.decision)
    return result.triage.rule
