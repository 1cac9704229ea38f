"""The policy file is the only source of its numbers: change one in a copy of the file and
the behaviour and the published article follow (Online Sentry's interval, the WSA interval
and maximum suspension, the update weekday; the uptime period is in tests/sentry)."""

from __future__ import annotations

import re

import pytest

from tests.policy.copies import policy_copy
from xuala.sentry import services as sentry
from xuala.sentry.models import Monitor

pytestmark = pytest.mark.django_db

URL_ES = "/kb/politicas-de-asistencia-tecnica/"
URL_EN = "/en/kb/politicas-de-asistencia-tecnica/"


def article(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_default_file_publishes_its_own_numbers(client):
    es = article(client, URL_ES)
    assert "cada 1 minuto" in es
    assert "auditoría de seguridad de su sitio web cada 15 días" in es
    assert "hasta 15 días hasta" in es
    assert "cada martes una actualización completa" in es
    en = article(client, URL_EN)
    assert "every 1 minute" in en and "security audit of your website every 15 days" in en
    assert "up to 15 days until" in en and "every Tuesday a complete update" in en


def test_the_sentry_checks_at_the_interval_the_file_says(client, plan_customer, settings,
                                                          tmp_path):
    sentry.monitors_sync()
    assert set(Monitor.objects.values_list("interval_seconds", flat=True)) == {60}
    policy_copy(tmp_path, settings, ('interval = "1m"', 'interval = "5m"'))
    sentry.monitors_sync()  # the next sync carries the file's interval to every monitor
    assert set(Monitor.objects.values_list("interval_seconds", flat=True)) == {300}
    assert "cada 5 minutos" in article(client, URL_ES)
    assert "every 5 minutes" in article(client, URL_EN)


def test_the_wsa_and_update_values_of_the_file_reach_the_article(client, settings, tmp_path):
    policy_copy(tmp_path, settings,
                ('interval = "15d"', 'interval = "10d"'),
                ('max_suspension = "15d"', 'max_suspension = "20d"'),
                ('weekday = "tuesday"', 'weekday = "wednesday"'))
    es = article(client, URL_ES)
    assert "de su sitio web cada 10 días" in es and "hasta 20 días hasta" in es
    assert "cada miércoles una actualización completa" in es
    assert "15 días" not in es.split('id="s6.3.3"', 1)[1].split('id="s6.3.4"', 1)[0]
    en = article(client, URL_EN)
    assert "of your website every 10 days" in en and "up to 20 days until" in en
    assert "every Wednesday a complete update" in en


def test_a_placeholder_without_its_value_is_refused_by_the_loader(tmp_path, settings):
    from xuala.policy.loader import PolicyError

    with pytest.raises(PolicyError, match="weekday is not set"):
        policy_copy(tmp_path, settings, ('weekday = "tuesday"\n', ''))


def test_the_uptime_period_of_the_file_reaches_the_article(client, settings, tmp_path):
    es = article(client, URL_ES)
    assert "El 0,3 % de un periodo de 30 días son 129,6 minutos" in es
    policy_copy(tmp_path, settings, ("period_days = 30", "period_days = 7"))
    assert "El 0,3 % de un periodo de 7 días son 30,2 minutos" in article(client, URL_ES)
    assert "0.3 % of a period of 7 days is 30.2 minutes" in article(client, URL_EN)
