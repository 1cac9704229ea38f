"""Every URL of the root URLconf, as a client and as an agent, POSTed hostile values in every
form field its view reads (the same values as the query walk: huge numbers, superscript
digits, NUL, 10 kB strings, bad dates, path tricks). A bad value is refused or ignored — a
4xx, a redirect or the form again with its error — never a server error.

The fields a view reads are found by asking it, as for query parameters: a first POST
records every key the view looks up in ``request.POST`` (it carries one unknown field, so
that a view binding its form to ``request.POST or None`` binds it); each key is then sent
alone with one value of each kind, and every hostile value in all of them at once. POSTs
change things (a reply sent, a canned reply deleted): later requests on what is gone answer
404, which is fine here. Sign-in steps are walked last (they may end the session), sign-out
not at all.
"""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from tests.core.test_hostile_params import (  # noqa: F401 (a fixture)
    HOSTILE,
    _admin_route,
    _client,
    _fill,
    _patterns,
    _world,
    recorded,
    server_errors,
)

# The API reads JSON, not form fields: schemathesis walks it (tests/api/test_openapi_fuzz.py).
# Signing out would end the walk's session.
SKIPPED = ("api/", "admin/", "i18n/")
# Sent in each field alone (every value goes in all the fields at once as well): one of each
# kind, so that the walk stays about a minute.
ALONE = ["99999999999999999999", "-1", "²", "a\x00b", "x" * 10240, "9999-99-99", "1e309",
         "//evil.example/", "\u202e"]
SIGN_IN = ("console/login", "console/2fa", "portal/login", "portal/password")


@pytest.mark.django_db
def test_no_url_answers_a_server_error_to_hostile_form_fields(recorded):  # noqa: F811
    world = _world(None)
    failures: list[str] = []
    walked: set[str] = set()
    routes = [(r, n) for r, n in _patterns(get_resolver().url_patterns)
              if not _admin_route(r) and not r.startswith(SKIPPED) and "logout" not in r]
    routes.sort(key=lambda route: route[0].startswith(SIGN_IN))  # they may end the session
    with server_errors() as errors:
        for role in ("client", "agent"):
            client, headers = _client(role, world)
            for route, name in routes:
                url = _fill(route, name, world)
                recorded.keys = set()
                first = client.post(url, {"probe": "1"}, **headers)  # not empty: a form binds
                read = set(recorded.keys)
                recorded.keys = None
                if first.status_code >= 500:
                    failures.append(f"{role} POST {url}: {first.status_code}")
                if read:
                    walked.add(route)
                for key in sorted(read):
                    for value in ALONE:
                        response = client.post(url, {key: value}, **headers)
                        if response.status_code >= 500:
                            failures.append(f"{role} POST {url} {key}={value[:20]!r}: "
                                            f"{response.status_code}")
                for value in HOSTILE if read else ():
                    response = client.post(url, dict.fromkeys(read, value), **headers)
                    if response.status_code >= 500:
                        failures.append(f"{role} POST {url} all={value[:20]!r}: "
                                        f"{response.status_code}")
    assert not failures, "\n".join([*failures[:30], "--- distinct errors:",
                                     *sorted(set(errors))[:60]])
    # The walk reached the forms that matter (a guard against one that silently skips them).
    for route in ("portal/tickets/new/", "console/tickets/<int:pk>/reply/",
                  "console/canned/new/", "portal/tickets/<int:pk>/"):
        assert route in walked, route
