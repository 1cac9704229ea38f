"""API tokens in the Django admin: listed by prefix, never the secret; revoked by an action."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from xuala.api.models import ApiToken
from xuala.api.services import api_token_create

CHANGELIST = "/admin/api/apitoken/"


def _verified_admin(client):
    admin_user = factories.agent("admin@modo3.net", admin=True)
    client.force_login(admin_user)
    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return admin_user


def test_it_lists_tokens_by_prefix_and_revokes_the_selected_ones(client, plan_customer):
    issued = api_token_create(user=factories.contact_user(plan_customer), name="ERP")
    _verified_admin(client)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert issued.token.prefix in html and issued.secret not in html
    assert client.get(CHANGELIST + "add/").status_code == 403
    response = client.post(CHANGELIST, {"action": "revoke",
                                        "_selected_action": [issued.token.pk]})
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
