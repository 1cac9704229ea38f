"""What the agents teach the triage model, and every retraining with both scores."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from xuala.core.models import choices

ExampleSource = choices("ExampleSource", applied="Applied by an agent",
                        dismissed="Dismissed by an agent", changed="Changed by an agent")


class TriageExample(models.Model):
    """One request an agent settled: its text and the scope rule it turned out to be."""

    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    label = models.CharField(max_length=40)  # a scope rule key
    proposed = models.CharField(max_length=40, blank=True)  # what triage had proposed
    source = models.CharField(max_length=10, choices=ExampleSource.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.source}: {self.label} (ticket {self.ticket_id})"


class TriageTraining(models.Model):
    """A retraining: the old and the new model scored on the same held-back examples."""

    trained_at = models.DateTimeField(default=timezone.now)
    examples = models.PositiveIntegerField()  # agents' examples used for training
    held_back = models.PositiveIntegerField()  # agents' examples kept apart for scoring
    old_score = models.FloatField(null=True)  # accuracy of the model in use on the held-back
    new_score = models.FloatField(null=True)
    adopted = models.BooleanField(default=False)
    model_file = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"training {self.trained_at:%Y-%m-%d %H:%M}: {self.old_score} -> {self.new_score}"
