"""xuala.core.models.choices: the one way the apps declare a field's choices."""

from __future__ import annotations

import pickle

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from xuala.core.models import choices
from xuala.customers.models import Billing
from xuala.desk.models import ClassChoices, Status, TriageState
from xuala.policy.schema import TicketClass
from xuala.quotes import money
from xuala.quotes.models import Recurrence
from xuala.updates.models import OnFailure

Sample = choices("Sample", queued=_("Queued"), rolled_back=_("Rolled back"), plain="Plain")


def test_members_are_named_after_their_values_in_the_order_given():
    assert issubclass(Sample, models.TextChoices)
    assert [(m.name, m.value) for m in Sample] == [
        ("QUEUED", "queued"), ("ROLLED_BACK", "rolled_back"), ("PLAIN", "plain")]
    assert Sample.QUEUED == "queued" and Sample("rolled_back") is Sample.ROLLED_BACK
    assert Sample.values == ["queued", "rolled_back", "plain"]


def test_labels_are_translated_when_shown_and_plain_text_stays():
    with translation.override("es"):
        assert dict(Sample.choices)["rolled_back"] == "Revertido"
        assert Billing.MONTHLY.label == "Mensual"
        assert Sample.PLAIN.label == "Plain"
    with translation.override("en"):
        assert Status.WAITING_CLIENT.label == "Waiting on client"


def test_the_empty_value_is_none_and_keywords_can_be_values():
    assert TriageState.NONE == "" and TriageState.choices[0][0] == ""
    assert OnFailure.CONTINUE == "continue"


def test_members_pickle_to_themselves_as_a_class_would():
    assert Sample.__module__ == __name__
    assert pickle.loads(pickle.dumps(Status.OPEN)) is Status.OPEN  # noqa: S301 (our own bytes)


def test_choices_that_mirror_other_constants_keep_their_values():
    assert set(ClassChoices.values) == {c.value for c in TicketClass}
    assert set(Recurrence.values) == set(money.RECURRENCES)
