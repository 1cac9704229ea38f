"""Claiming due rows: the one way an engine takes work that has come due.

Due work is a row with a column that holds the instant it must be acted on (``next_at``,
``sla_next_at``, ``next_attempt_at``…). Any number of engines, on any number of hosts, may
claim from the same table; each due row is claimed by one of them. ``claim_due``:

1. selects up to ``batch`` rows whose due column is at or before ``now``, oldest first;
   on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, in one transaction that is held until the
   claims are written, so parallel engines take different rows instead of queueing on the
   same ones (the locks end with the claims, not before them);
2. claims each row with a conditional update: the row changes only if its due column and
   the ``guard`` columns still hold the values that were read. Zero rows changed means
   another engine claimed it first, and it is left out. This alone makes the claim safe
   where ``SKIP LOCKED`` does not exist (SQLite, whose writers are serialised);
3. returns the claimed rows with the claimed values set on them.

What a claim writes is the caller's choice, through ``update(row) -> {column: value}``:
usually a lease (the due column moved to ``now + lease``, so that a row whose engine died
comes due again), or the next stage of a row that goes through stages. The update must
change the due column or a guard column, or a second engine could claim the row again.
``update`` may work on the row it is given (the values compared are read before it runs)
and may return ``None`` to leave a row alone.

Acting in the claim's transaction: an engine whose action must commit with its claim (an
event row with the stage it records) calls ``claim_due`` inside its own
``transaction.atomic()`` and acts there; the locks are then held until the actions are
written too, and a failure rolls back claims and actions together (the rows come due
again). An engine whose action is slow or leaves the database (sending mail) acts after
``claim_due`` returns, under the lease its claim wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import connections, router, transaction
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


class ClaimUpdateError(ValueError):
    """The claim would not change what other engines look at, so it would not exclude them."""


def claim_due(queryset: QuerySet[M], *, field: str, now: datetime | date, batch: int,
              update: Callable[[M], Mapping[str, Any] | None] | Mapping[str, Any],
              guard: Iterable[str] = ()) -> list[M]:
    """Claim up to ``batch`` rows of ``queryset`` whose ``field`` is at or before ``now``.

    ``queryset`` narrows the candidates (``status="pending"`` …); ``guard`` names further
    columns that must be unchanged for a claim to hold (a stage number, an attempt count).
    Returns the rows this call claimed, oldest due first, with the update applied. ``now``
    is a date when ``field`` is a date column (a quote's last valid day).
    """
    model = queryset.model
    guard = tuple(guard)
    alias = router.db_for_write(model)
    due = (queryset.using(alias).filter(**{f"{field}__lte": now})
           .order_by(field, model._meta.pk.attname))
    claimed: list[M] = []
    with transaction.atomic(using=alias):
        if connections[alias].vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        for row in due[:batch]:
            seen = {name: getattr(row, name) for name in (field, *guard)}
            wanted = update(row) if callable(update) else update
            if wanted is None:
                continue
            values = dict(wanted)
            if field not in values and not set(guard) & set(values):
                raise ClaimUpdateError(
                    f"a claim of {model.__name__} must change {field!r} or a guard column")
            if model._base_manager.using(alias).filter(pk=row.pk, **seen).update(**values):
                for name, value in values.items():
                    setattr(row, name, value)
                claimed.append(row)
    return claimed
