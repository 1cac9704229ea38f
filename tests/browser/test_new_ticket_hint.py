"""In real Chromium: choosing a kind of problem the policy refuses at once shows why, with a
link to the policy's clause, before the client sends anything; another kind hides it again."""

import pytest

from tests import factories
from tests.browser.test_pages_fit import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_kind_of_problem_is_explained_on_the_form(new_page, live_server, tmp_path):
    customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es")
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 900})
    page.context.add_cookies([session_cookie(factories.contact_user(customer), live_server)])
    page.goto("/portal/tickets/new/")
    hint = page.locator("#category-hint-personal_computing")
    assert not hint.is_visible()
    page.select_option("#new-ticket-form [name=category]", "personal_computing")
    hint.wait_for(state="visible")
    assert "informática personal" in hint.inner_text()
    assert hint.locator("a").get_attribute("href") == "/kb/politicas-de-asistencia-tecnica/#s6"
    page.screenshot(path=str(tmp_path / "new-ticket-refused-hint.png"), full_page=True)
    page.select_option("#new-ticket-form [name=category]", "hosting")
    hint.wait_for(state="hidden")
    assert page.locator(".category-hint:visible").count() == 0
