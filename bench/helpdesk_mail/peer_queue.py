"""Runs inside django-helpdesk's venv, in the mail benchmark's django-helpdesk project.

    python peer_queue.py setup DIR   one queue reading e-mail from the local directory DIR
    python peer_queue.py count       what get_email left behind, as one JSON line

The environment names the project (DJANGO_SETTINGS_MODULE=helpdesk_bench.settings,
HELPDESK_BENCH_DIR, HELPDESK_BENCH_DATABASE_URL), as for bench/helpdesk_peer/.
"""

import json
import os
import sys

import django

django.setup()

from django.conf import settings  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402


def setup(directory: str) -> None:
    # The fields get_email's local mode reads (helpdesk/email.py, process_email and
    # process_queue): a box type, its directory, e-mail submission allowed, and an interval
    # that has passed. logging_type "none" drops the per-message log lines.
    Queue.objects.create(
        title="Asistencia", slug="asistencia", email_address="asistencia@modo3.net",
        allow_email_submission=True, email_box_type="local", email_box_local_dir=directory,
        email_box_interval=0, logging_type="none")
    print(json.dumps({"queues": Queue.objects.count()}))


def count() -> None:
    sent = settings.EMAIL_FILE_PATH
    queue = Queue.objects.get(slug="asistencia")
    left = os.listdir(queue.email_box_local_dir)
    print(json.dumps({
        "tickets": Ticket.objects.count(),
        "followups": FollowUp.objects.count(),
        "files_left": len(left),
        "sent_mail_files": len(os.listdir(sent)) if os.path.isdir(sent) else 0,
    }))


if __name__ == "__main__":
    if sys.argv[1:2] == ["setup"] and len(sys.argv) == 3:
        setup(sys.argv[2])
    elif sys.argv[1:] == ["count"]:
        count()
    else:
        raise SystemExit(__doc__)
