"""Who may use the console: signed-in agents whose session passed the TOTP second step.

The password step does not sign the user in: it leaves a short-lived "pending" mark in
the session, and only a valid code (or a confirmed enrolment) completes the sign-in. An
agent who is already signed in elsewhere (the admin, the portal) but not verified is
taken to the code step as well.
"""

from __future__ import annotations

import time
from functools import wraps

from django.contrib import auth
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_otp import devices_for_user
from django_otp import login as otp_login

from xuala.accounts.models import User

PENDING_USER = "console_pending_user"
PENDING_BACKEND = "console_pending_backend"
PENDING_AT = "console_pending_at"
PENDING_SECONDS = 10 * 60


def forbidden(request):
    return render(request, "console/forbidden.html", status=403)


def agent_required(view):
    """Let through verified agents; send others to sign in, or answer 403 to non-agents."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return _to_step(request, "console:login")
        if not getattr(user, "is_agent", False):
            return forbidden(request)
        if not user.is_verified():
            return _to_step(request, "console:otp")
        return view(request, *args, **kwargs)

    return wrapped


def _to_step(request, step: str):
    response = redirect_to_login(request.get_full_path(), reverse(step))
    if getattr(request, "htmx", False):
        # A partial swap must not land the sign-in page inside the queue: reload instead.
        return HttpResponseClientRedirect(response["Location"])
    return response


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
