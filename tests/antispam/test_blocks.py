"""Confirmed-spam blocks: a report blocks for a while, the block expires, a ham report lifts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xuala.antispam.filter import Item
from xuala.antispam.models import Block
from xuala.antispam.selectors import site_context
from xuala.antispam.services import antispam_report

REPORTED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SPAM = Item(content="Cheap pills at http://pills.example.xyz/buy now", user_ip="203.0.113.9",
            email="x@mailinator.com")


def _knows(site, *, at):
    context = site_context(site=site, languages=("es",), now=at)  # the full lists
    return "203.0.113.9" in context.spam_ips, "example.xyz" in context.spam_domains


def test_a_spam_report_blocks_the_address_and_domain_until_they_expire(plan_site, settings):
    settings.XUALA_ANTISPAM_BLOCK_DAYS = 30
    antispam_report(site=plan_site, item=SPAM, spam=True, now=REPORTED_AT)
    assert _knows(plan_site, at=REPORTED_AT + timedelta(days=29)) == (True, True)
    assert _knows(plan_site, at=REPORTED_AT + timedelta(days=30, seconds=1)) == (False, False)


def test_a_second_report_pushes_the_expiry_back(plan_site, settings):
    settings.XUALA_ANTISPAM_BLOCK_DAYS = 30
    antispam_report(site=plan_site, item=SPAM, spam=True, now=REPORTED_AT)
    antispam_report(site=plan_site, item=SPAM, spam=True, now=REPORTED_AT + timedelta(days=20))
    assert _knows(plan_site, at=REPORTED_AT + timedelta(days=45)) == (True, True)
    assert Block.objects.count() == 2


def test_a_block_of_one_site_does_not_touch_another(plan_site, hosting_customer):
    antispam_report(site=plan_site, item=SPAM, spam=True, now=REPORTED_AT)
    other = hosting_customer.sites.get()
    assert _knows(other, at=REPORTED_AT + timedelta(days=1)) == (False, False)


def test_a_block_for_every_site_reaches_them_all(plan_site, hosting_customer):
    Block.objects.create(kind="ip", value="203.0.113.9", site=None,
                         expires_at=REPORTED_AT + timedelta(days=5))
    other = hosting_customer.sites.get()
    assert _knows(other, at=REPORTED_AT)[0] is True


def test_a_ham_report_lifts_the_sites_blocks(plan_site):
    antispam_report(site=plan_site, item=SPAM, spam=True, now=REPORTED_AT)
    antispam_report(site=plan_site, item=SPAM, spam=False, now=REPORTED_AT + timedelta(hours=1))
    assert _knows(plan_site, at=REPORTED_AT + timedelta(hours=2)) == (False, False)
