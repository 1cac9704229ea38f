"""Bulk-load N tickets into the benchmark's django-helpdesk project (run in the peer venv).

    HELPDESK_BENCH_DIR=... DJANGO_SETTINGS_MODULE=helpdesk_bench.settings \
        python load.py --tickets N [--seed S]

Through helpdesk's own models (Queue, Ticket, FollowUp) with bulk_create, in the same shape
as the desk benchmark's data: a few hundred submitters, ~2 % emergency (priority 1), ~30 %
priority (2), the rest standard (3); ~60 % resolved or closed, the others open, reopened or
on hold; two follow-ups per ticket. Creates a staff user (with a REST framework token) for
the measurements. Prints one JSON line with what the benchmark needs.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from datetime import timedelta

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket, UserSettings  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

SAMPLE = 2000  # open tickets whose pages the benchmark picks from
PASSWORD = "bench-password-for-loopback-only"
SUBJECTS = [
    "La web no carga", "Error 500 en la tienda", "No recibo correo", "Certificado caducado",
    "Cambiar DNS del dominio", "WordPress muy lento", "Copia de seguridad", "Spam en el buzón",
    "No puedo entrar en el panel", "Actualizar PHP", "Formulario de contacto roto",
    "Migrar a otro servidor", "Cuota de disco llena", "Redirección incorrecta",
]
BODIES = [
    ("Hola,\n\nDesde esta mañana la página {n} muestra un error al abrirla. "
     "Hemos probado desde varios ordenadores y redes y pasa lo mismo. "
     "¿Podéis revisarlo?\n\nGracias,\nUn cliente"),
    ("Buenas tardes,\n\nLos correos que enviamos a clientes vuelven con un aviso de entrega "
     "fallida desde ayer (caso {n}). Adjuntamos el mensaje devuelto.\n\nSaludos"),
    ("Hola equipo,\n\nNecesitamos ayuda con la configuración del dominio {n}: "
     "el registro MX no parece correcto y el panel no deja cambiarlo.\n\nUn saludo"),
]
REPLY = ("Hola,\n\nGracias por avisarnos. Lo hemos revisado y ya está corregido; "
         "si vuelve a pasar, respondednos a este mensaje.\n\nUn saludo,\nSoporte")


def load(n: int, seed: int, batch: int) -> dict:
    rng = random.Random(seed)
    now = timezone.now()
    user_model = get_user_model()
    staff = user_model.objects.create_user("agent", "agent@example.com", PASSWORD,
                                           is_staff=True, first_name="Bench", last_name="Agent")
    token = Token.objects.create(user=staff).key
    hashed = make_password(PASSWORD)
    agents = user_model.objects.bulk_create([
        user_model(username=f"agent{i}", email=f"agent{i}@example.com", password=hashed,
                   is_staff=True, first_name=f"Agent {i}") for i in range(5)])
    # bulk_create sends no post_save: make the settings row helpdesk's signal would have made.
    UserSettings.objects.bulk_create([UserSettings(user=agent) for agent in agents])
    agent_ids = [staff.pk] + [a.pk for a in agents]
    queues = [Queue.objects.create(title=title, slug=slug, allow_public_submission=True)
              for title, slug in (("Hosting", "hosting"), ("Correo", "correo"),
                                  ("Emergencias", "emergencias"))]
    submitters = [f"cliente{i}@empresa{i % 300}.example" for i in range(600)]

    # Historical instants: switch off auto_now/auto_now_add while loading.
    for name in ("created", "modified"):
        field = Ticket._meta.get_field(name)
        field.auto_now = field.auto_now_add = False

    t0 = time.perf_counter()
    open_ids: list[int] = []
    seen_open = 0
    made = 0
    while made < n:
        size = min(batch, n - made)
        tickets, plans = [], []
        for i in range(made, made + size):
            draw = rng.random()
            priority = 1 if draw < 0.02 else 2 if draw < 0.32 else 3
            done = rng.random() < (0.97 if priority == 1 else 0.5924)
            if done:
                created = now - timedelta(seconds=rng.uniform(3 * 86400, 730 * 86400))
                status = Ticket.RESOLVED_STATUS if rng.random() < 0.45 else Ticket.CLOSED_STATUS
            else:
                created = now - timedelta(seconds=21 * 86400 * rng.random() ** 2)
                status = Ticket.OPEN_STATUS if rng.random() < 0.9 else Ticket.REOPENED_STATUS
            replied = created + timedelta(seconds=rng.uniform(600, 20 * 3600))
            if replied > now:
                replied = now
            queue = queues[2] if priority == 1 else queues[rng.random() < 0.3]
            tickets.append(Ticket(
                title=f"{rng.choice(SUBJECTS)} ({i + 1})", queue=queue, created=created,
                modified=replied, submitter_email=rng.choice(submitters),
                assigned_to_id=rng.choice(agent_ids) if rng.random() < 0.8 else None,
                status=status, on_hold=not done and rng.random() < 0.4,
                description=rng.choice(BODIES).format(n=i + 1),
                resolution=REPLY if done else None, priority=priority,
                due_date=created + timedelta(days=(1, 2, 3)[priority - 1]),
                secret_key=str(uuid.uuid4()),
            ))
            plans.append((created, replied, status))
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets, batch_size=batch)
            followups = []
            for ticket, (created, replied, status) in zip(tickets, plans, strict=True):
                followups.append(FollowUp(ticket_id=ticket.pk, date=created, title="Ticket Opened",
                                          comment=ticket.description, public=True, user=None,
                                          new_status=None))
                followups.append(FollowUp(ticket_id=ticket.pk, date=replied,
                                          title="Comment" if status < 3 else "Resolved",
                                          comment=REPLY, public=True,
                                          user_id=ticket.assigned_to_id or staff.pk,
                                          new_status=None if status < 3 else status))
                if status in Ticket.OPEN_STATUSES:
                    seen_open += 1  # reservoir sample of the open tickets
                    if len(open_ids) < SAMPLE:
                        open_ids.append(ticket.pk)
                    elif (j := rng.randrange(seen_open)) < SAMPLE:
                        open_ids[j] = ticket.pk
            FollowUp.objects.bulk_create(followups, batch_size=batch)
        made += size
    seconds = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"username": staff.username, "password": PASSWORD, "token": token,
            "queue_id": queues[0].pk, "open_ids": open_ids, "tickets": Ticket.objects.count(),
            "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(load(args.tickets, args.seed, args.batch)))


if __name__ == "__main__":
    main()
