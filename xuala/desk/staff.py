"""What agents change outside tickets: their canned replies and their second sign-in step.

Each change writes a DeskEvent row with a machine key.
"""

from __future__ import annotations

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from xuala.desk.models import CannedReply, DeskEvent

CONSOLE_DEVICE_NAME = "Xuala Desk console"


def desk_event_record(*, key: str, actor=None, **data) -> DeskEvent:
    return DeskEvent.objects.create(key=key, actor=actor, data=data)


def canned_reply_save(*, reply: CannedReply | None, title: str, language: str, body: str,
                      actor) -> CannedReply:
    """Create (``reply`` None) or change a canned reply."""
    created = reply is None
    reply = reply or CannedReply()
    reply.title, reply.language, reply.body = title, language, body
    with transaction.atomic():
        reply.save()
        desk_event_record(key="canned.created" if created else "canned.changed", actor=actor,
                          canned_reply=reply.pk, title=title, language=language)
    return reply


def canned_reply_delete(*, reply: CannedReply, actor) -> None:
    with transaction.atomic():
        desk_event_record(key="canned.deleted", actor=actor, canned_reply=reply.pk,
                          title=reply.title, language=reply.language)
        reply.delete()


def totp_device_pending(*, user) -> TOTPDevice:
    """The agent's unconfirmed console device (its QR code is shown), made if it has none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        with transaction.atomic():
            device = TOTPDevice.objects.create(user=user, name=CONSOLE_DEVICE_NAME,
                                               confirmed=False)
            desk_event_record(key="otp.device_created", actor=user, device=device.pk)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm the device with a code from it; False (nothing written) when the code is wrong."""
    if not device.verify_token(token):
        return False
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        desk_event_record(key="otp.device_confirmed", actor=device.user, device=device.pk)
    return True
