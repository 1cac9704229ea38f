"""Dates read in one form per language: every template names the language's format instead of
spelling its own, and the queue's fast cells match the pages' format."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import formats, translation

from xuala.console.display import queue_rows

TEMPLATES = Path(__file__).resolve().parents[2] / "xuala"
# Named formats, the machine form and bare times of day are the only arguments allowed.
ALLOWED = {"DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT",
           "c", "H:i", "H:i:s", "Y-m-d", "Y-m-d\\TH:i", "j M Y, H:i:s"}


def test_no_template_spells_its_own_date_format():
    spelled = []
    for path in TEMPLATES.rglob("*.html"):
        for fmt in re.findall(r'\|date:["\']([^"\']*)["\']', path.read_text()):
            if fmt not in ALLOWED:
                spelled.append(f"{path.relative_to(TEMPLATES)}: {fmt}")
    assert spelled == []


def test_each_language_has_its_date_and_time_format():
    moment = datetime(2026, 12, 5, 9, 30, tzinfo=ZoneInfo("Europe/Madrid"))
    with translation.override("es"):
        assert formats.date_format(moment, "DATETIME_FORMAT") == "5 Dic 2026, 09:30"
        assert formats.date_format(moment.date()) == "5 Dic 2026"
    with translation.override("en"):
        assert formats.date_format(moment, "DATETIME_FORMAT") == "5 Dec 2026, 09:30"


def test_the_queue_cells_use_the_same_format_as_the_pages():
    madrid = ZoneInfo("Europe/Madrid")
    due = datetime(2026, 12, 5, 9, 30, tzinfo=madrid)
    values = {"pk": 1, "ticket_class": "standard", "subject": "x", "status": "new",
              "customer__name": "C", "assignee_id": None, "assignee__name": "",
              "assignee__email": "", "due_at": due, "target_at": due, "paused_since": None,
              "first_response_at": None}
    for language in ("es", "en"):
        with translation.override(language):
            row = queue_rows([values], now=due, tz=madrid, ticket_url="/t/{pk}/")[0]
            assert row.due_text == formats.date_format(due, "DATETIME_FORMAT")
