"""Learning from the agents: each settled proposal is an example; retraining adopts a new
model only when it scores at least as well as the one in use on held-back examples."""

from __future__ import annotations

import logging
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xuala.desk.triage import rules_of
from xuala.policy.loader import load_policy
from xuala.policy.schema import Policy
from xuala.triage import model as triage_model
from xuala.triage.corpus import read_jsonl
from xuala.triage.models import ExampleSource, TriageExample, TriageTraining

log = logging.getLogger("xuala.triage")

RETRAIN_EVERY = timedelta(days=1)
AGENT_WEIGHT = 5.0  # an agent's correction counts as five corpus examples
HOLD_BACK_PERCENT = 25  # of the agents' examples, kept apart to score both models


def adopted_model_file() -> Path:
    """Where an adopted retrained model lives (the data dir); it replaces the packaged one."""
    return Path(settings.DATA_DIR) / "triage" / "model.joblib"


def example_record(*, ticket, label: str, source: ExampleSource | str,
                   proposed: str = "") -> TriageExample:
    return TriageExample.objects.create(
        ticket_id=ticket.pk, subject=(ticket.subject or "")[:300], body=_body_of(ticket),
        label=label, proposed=proposed, source=source)


def _body_of(ticket) -> str:
    first = ticket.messages.order_by("id").first() if hasattr(ticket, "messages") else None
    return getattr(first, "body_text", "") or ""


def _held_back(example: TriageExample) -> bool:
    """A fixed part of the agents' examples is never trained on, only scored."""
    return zlib.crc32(str(example.pk).encode()) % 100 < HOLD_BACK_PERCENT


def _accuracy(model, rows: list[dict]) -> float | None:
    if model is None or not rows:
        return None
    texts = [triage_model.request_text(r["subject"], r["body"]) for r in rows]
    hits = sum(p.rule == r["label"] for p, r in zip(model.predict(texts), rows, strict=True))
    return hits / len(rows)


def model_retrain(*, policy: Policy | None = None, base: list[dict] | None = None,
                  now: datetime | None = None) -> TriageTraining:
    """Train on the corpus plus the agents' examples (weighted); score it and the model in
    use on the held-back examples; adopt it only if it does at least as well."""
    policy = policy or load_policy().policy
    keys = {rule.key for rule in rules_of(policy)}
    base = read_jsonl(triage_model.TRAIN_FILE) if base is None else base
    examples = [e for e in TriageExample.objects.all() if e.label in keys]
    learn = [e for e in examples if not _held_back(e)]
    held = [{"subject": e.subject, "body": e.body, "label": e.label}
            for e in examples if _held_back(e)]
    rows = base + [{"subject": e.subject, "body": e.body, "label": e.label} for e in learn]
    weights = [1.0] * len(base) + [AGENT_WEIGHT] * len(learn)
    candidate = triage_model.train(policy, rows, sample_weight=weights)
    old = _accuracy(triage_model.load(), held)
    new = _accuracy(candidate, held)
    adopted = old is None or (new is not None and new >= old)
    path = ""
    if adopted:
        target = adopted_model_file()
        temporary = triage_model.save(candidate, target.with_suffix(".new"))
        temporary.replace(target)  # atomic: a process never reads half a model
        path = str(target)
    with transaction.atomic():
        training = TriageTraining.objects.create(
            trained_at=now or timezone.now(), examples=len(learn), held_back=len(held),
            old_score=old, new_score=new, adopted=adopted, model_file=path)
    log.info("triage retrained on %d agents' examples: old %s, new %s, %s", len(learn), old,
             new, "adopted" if adopted else "kept the old model")
    return training


def retrain_step(*, now: datetime | None = None) -> int:
    """The schedule: retrain when agents have settled proposals since the last training and
    that training is older than RETRAIN_EVERY. Returns 1 when it trained."""
    now = now or timezone.now()
    last = TriageTraining.objects.first()
    if last and now - last.trained_at < RETRAIN_EVERY:
        return 0
    newer = TriageExample.objects.filter(created_at__gt=last.trained_at) if last else \
        TriageExample.objects.all()
    if not newer.exists():
        return 0
    model_retrain(now=now)
    return 1
