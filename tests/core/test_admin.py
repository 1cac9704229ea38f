"""The Django admin lists what operators manage, for staff only."""

import pytest

from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/customers/customer/", "/admin/customers/contract/",
                                 "/admin/customers/site/", "/admin/desk/ticket/",
                                 "/admin/notify/outboundemail/", "/admin/policy/policyversion/"])
def test_staff_see_the_admin_lists_and_clients_do_not(client, plan_customer, url):
    admin_user = factories.agent("admin@modo3.net", admin=True)
    client.force_login(factories.contact_user(plan_customer))
    assert client.get(url).status_code == 302  # to the admin sign-in
    client.force_login(admin_user)
    assert client.get(url).status_code == 302  # a password alone is not enough: TOTP too
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = client.get(url)
    assert response.status_code == 200


def test_production_settings_hash_passwords_with_argon2():
    import xuala.settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
