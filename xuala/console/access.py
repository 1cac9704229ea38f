"""The console's sign-in steps: the password, then the TOTP second step.

Who may use a console view is decided by ``agent_required`` in xuala/web/access.py.

The password step does not sign the user in: it leaves a short-lived "pending" mark in
the session, and only a valid code (or a confirmed enrolment) completes the sign-in. An
agent who is already signed in elsewhere (the admin, the portal) but not verified is
taken to the code step as well.
"""

from __future__ import annotations

import time

from django.contrib import auth
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import devices_for_user
from django_otp import login as otp_login

from xuala.accounts.models import User

PENDING_USER = "console_pending_user"
PENDING_BACKEND = "console_pending_backend"
PENDING_AT = "console_pending_at"
PENDING_SECONDS = 10 * 60


def safe_next(request, fallback: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: "foo" is no address (redirect() would take it for a view name).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback or reverse("console:queue")


def pending_set(request, user) -> None:
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_BACKEND] = user.backend
    request.session[PENDING_AT] = time.time()


def pending_clear(request) -> None:
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_AT):
        request.session.pop(key, None)


def second_step_user(request) -> User | None:
    """The agent the code step is for: the signed-in agent, or the one who just gave a
    right password within the last few minutes."""
    if request.user.is_authenticated:
        return request.user if getattr(request.user, "is_agent", False) else None
    pk = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT, 0)
    if pk is None or time.time() - started > PENDING_SECONDS:
        pending_clear(request)
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    return user if user is not None and user.is_agent else None


def has_confirmed_device(user) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def complete_sign_in(request, user, device) -> None:
    """Sign ``user`` in (if the password step left them pending) and mark the session
    verified by ``device``."""
    if not request.user.is_authenticated or request.user.pk != user.pk:
        backend = (request.session.get(PENDING_BACKEND)
                   or "django.contrib.auth.backends.ModelBackend")
        pending_clear(request)
        auth.login(request, user, backend=backend)
    else:
        # Raising the session's privilege: a new session key, as sign-in does.
        request.session.cycle_key()
    otp_login(request, device)
