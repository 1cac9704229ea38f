"""Reads of the learned triage: the agents' examples (and the part held back for scoring), a
model's score on them, and what the console's "Triage model" page shows."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db.models import Count

from xuala.desk.triage import rules_of
from xuala.policy.schema import Policy
from xuala.triage import model as triage_model
from xuala.triage.models import TriageExample, TriageTraining

HOLD_BACK_PERCENT = 25  # of the agents' examples, kept apart to score the models
SCORED_AT_MOST = 1000  # the page scores the model in use on the latest held-back examples


def held_back(example: TriageExample) -> bool:
    """A fixed part of the agents' examples is never trained on, only scored."""
    return zlib.crc32(str(example.pk).encode()) % 100 < HOLD_BACK_PERCENT


def example_row(example: TriageExample) -> dict:
    return {"subject": example.subject, "body": example.body, "label": example.label}


def examples_split(policy: Policy) -> tuple[list[TriageExample], list[TriageExample]]:
    """The agents' examples labelled with a rule of ``policy``: (to train on, held back)."""
    keys = {rule.key for rule in rules_of(policy)}
    examples = [e for e in TriageExample.objects.all() if e.label in keys]
    return ([e for e in examples if not held_back(e)], [e for e in examples if held_back(e)])


def accuracy(model, rows: list[dict]) -> float | None:
    """The share of ``rows`` whose label ``model`` predicts (None: no model or no rows)."""
    if model is None or not rows:
        return None
    texts = [triage_model.request_text(r["subject"], r["body"]) for r in rows]
    hits = sum(p.rule == r["label"] for p, r in zip(model.predict(texts), rows, strict=True))
    return hits / len(rows)


@dataclass(frozen=True)
class ModelStatus:
    source: str  # "env" ($XUALA_TRIAGE_MODEL), "adopted" (a retraining's) or "packaged"
    path: Path
    modified_at: datetime | None  # the model file's time; None when there is no file
    rules: int  # the rules it was trained for
    in_use: bool  # the policy says [triage] model = true
    threshold: float
    score: float | None  # the model in use on the held-back agents' examples, now
    scored_on: int
    examples: int  # the agents' examples, all of them
    by_source: dict[str, int]  # applied / dismissed / changed
    since_training: int  # examples newer than the last retraining
    trainings: list[TriageTraining]  # the latest first


def model_status(policy: Policy, *, trainings: int = 10) -> ModelStatus:
    path = triage_model.model_path()
    source = triage_model.model_source(path)
    model = triage_model.load(path)
    try:
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError:
        modified = None
    _train, held = examples_split(policy)
    scored = [example_row(e) for e in held[-SCORED_AT_MOST:]]
    history = list(TriageTraining.objects.all()[:trainings])
    counts = dict(TriageExample.objects.values_list("source").annotate(n=Count("id"))
                  .values_list("source", "n"))
    newer = TriageExample.objects.all()
    if history:
        newer = newer.filter(created_at__gt=history[0].trained_at)
    return ModelStatus(
        source=source, path=path, modified_at=modified,
        rules=len(model.labels) if model else 0, in_use=policy.triage.model,
        threshold=policy.triage.threshold, score=accuracy(model, scored), scored_on=len(scored),
        examples=sum(counts.values()), by_source=counts, since_training=newer.count(),
        trainings=history)
