"""Stored policy versions: every distinct policy text the desk has run under."""

from django.db import models


class PolicyVersion(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    source = models.TextField(help_text="The policy file's text as loaded.")
    source_name = models.CharField(max_length=500)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"policy {self.pk} ({self.sha256[:12]}, {self.loaded_at:%Y-%m-%d %H:%M})"
