"""Learning from the agents: each settled proposal is an example; retraining adopts a new
model only when it scores at least as well as the one in use on held-back examples."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xuala.policy.loader import load_policy
from xuala.policy.schema import Policy
from xuala.triage import model as triage_model
from xuala.triage.corpus import read_jsonl
from xuala.triage.models import ExampleSource, TriageExample, TriageTraining
from xuala.triage.selectors import accuracy, example_row, examples_split

log = logging.getLogger("xuala.triage")

RETRAIN_EVERY = timedelta(days=1)
AGENT_WEIGHT = 5.0  # an agent's correction counts as five corpus examples


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


def model_retrain(*, policy: Policy | None = None, base: list[dict] | None = None,
                  now: datetime | None = None) -> TriageTraining:
    """Train on the corpus plus the agents' examples (weighted); score it and the model in
    use on the held-back examples; adopt it only if it does at least as well."""
    policy = policy or load_policy().policy
    base = read_jsonl(triage_model.TRAIN_FILE) if base is None else base
    learn, held_examples = examples_split(policy)
    held = [example_row(e) for e in held_examples]
    rows = base + [example_row(e) for e in learn]
    weights = [1.0] * len(base) + [AGENT_WEIGHT] * len(learn)
    candidate = triage_model.train(policy, rows, sample_weight=weights)
    old = accuracy(triage_model.load(), held)
    new = accuracy(candidate, held)
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
