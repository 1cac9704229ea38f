"""A site's figures and an agent's correction of a stored verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xuala.antispam.filter import Item
from xuala.antispam.models import AntispamEvent
from xuala.antispam.selectors import site_figures, site_recent_checks
from xuala.antispam.services import antispam_check, antispam_correct

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
VISITOR = Item(content="Hola, ¿tenéis mesa para seis el sábado por la noche?",
               author="Marta", email="marta.r@gmail.com", user_ip="198.51.100.7")
SPAM = Item(content="Best casino bonus http://a.example.top http://b.example.top "
                    "http://c.example.top free spins", email="z@mailinator.com",
            user_ip="203.0.113.4")


def test_figures_count_checks_spam_and_reported_mistakes(plan_site, agent_user):
    antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)
    spam_check, decided = antispam_check(site=plan_site, item=SPAM, languages=("es",), now=AT)
    assert decided.spam
    antispam_check(site=plan_site, item=VISITOR, languages=("es",), is_test=True, now=AT)
    antispam_correct(check=spam_check, spam=False, actor=agent_user, now=AT + timedelta(hours=1))
    figures = site_figures(site=plan_site)
    assert (figures.checked, figures.spam, figures.false_positives,
            figures.false_negatives) == (2, 1, 1, 0)
    assert site_figures(site=plan_site, since=AT + timedelta(days=1)).checked == 0


def test_an_agents_correction_is_feedback_with_its_actor(plan_site, agent_user):
    spam_check, _ = antispam_check(site=plan_site, item=SPAM, languages=("es",), now=AT)
    antispam_correct(check=spam_check, spam=False, actor=agent_user, now=AT)
    spam_check.refresh_from_db()
    assert spam_check.corrected_to == "ham" and spam_check.corrected_by == agent_user
    event = AntispamEvent.objects.get(key="antispam.reported_ham")
    assert event.actor == agent_user and event.data["via"] == "console"
    _, again = antispam_check(site=plan_site, item=SPAM, languages=("es",), now=AT)
    assert not again.spam


def test_recent_checks_are_newest_first_without_tests(plan_site):
    antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)
    antispam_check(site=plan_site, item=SPAM, languages=("es",), now=AT + timedelta(minutes=1))
    antispam_check(site=plan_site, item=SPAM, languages=("es",), is_test=True,
                   now=AT + timedelta(minutes=2))
    assert [c.user_ip for c in site_recent_checks(site=plan_site)] == ["203.0.113.4",
                                                                       "198.51.100.7"]
