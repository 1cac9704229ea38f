"""Who may reach a view: the two access decorators every face and feature app uses.

``client_view`` lets through a client contact and calls the view with its customer;
``agent_required`` lets through agents whose session passed the console's TOTP second step
(the sign-in steps themselves live in xuala/console/access.py). Both live here, outside the
portal and the console, so a feature app mounted under /portal/ or /console/ depends on
neither face.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django_htmx.http import HttpResponseClientRedirect

from xuala.customers.selectors import customer_for_user


def language_of(user) -> str:
    """The user's language if the site offers it, else the site's default."""
    codes = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in codes else settings.LANGUAGE_CODE


def console_url(user) -> str:
    """The agent console's front page in the agent's language (it asks for its own sign-in)."""
    with translation.override(language_of(user)):
        return reverse("console:queue")


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


def client_view(view):
    """Only a client contact reaches ``view``, called with its customer; agents go to the
    console, anyone else signs in first."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        customer = customer_for_user(user)
        if customer is None:
            if user.is_agent:
                return redirect(console_url(user))
            return render(request, "portal/no_access.html", status=403)
        return view(request, customer, *args, **kwargs)

    return never_cache(wrapper)
