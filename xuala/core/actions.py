"""The one shape of a form action in the interface layers: make one change through a service,
tell the user how it went, and go back to a page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpResponseBase
from django.views.decorators.http import require_POST


def perform(request, action: Callable[[], object], *, errors: type[Exception] | tuple,
            error_text: Callable[[Exception], str], success: str) -> bool:
    """Run ``action``; on one of ``errors`` show its text, else ``success``. True if it ran."""
    try:
        action()
    except errors as exc:
        messages.error(request, error_text(exc))
        return False
    messages.success(request, success)
    return True


class Actions:
    """The form actions on one kind of object in one face (the console's on a quote, on a
    meeting…): ``access`` is the decorator that says who may take them (``agent_required``),
    ``load(**url arguments)`` finds the object, ``back(obj, anchor)`` is the page the user
    returns to, and ``error_text(exc)`` tells one of the services' ``errors``.

    ``@actions.post()`` turns ``view(request, obj)`` into such an action, for POST only. The
    view makes one change through a service and returns the text that tells it was made; the
    user is shown that text, or the error's, and goes back. With ``form`` (a form class, or
    ``form(request, obj)`` for one that needs more), the view is called only when the posted
    form is valid, as ``view(request, obj, data)`` with its cleaned data; an invalid form goes
    to ``invalid(request, obj, form)``. A view may also return a response of its own."""

    def __init__(self, *, access: Callable, load: Callable, back: Callable,
                 errors: type[Exception] | tuple, error_text: Callable[[Exception], str]):
        self.access, self.load, self.back = access, load, back
        self.errors, self.error_text = errors, error_text

    def post(self, *, form: Callable | None = None, invalid: Callable | None = None,
             anchor: str = "") -> Callable:
        def decorate(view: Callable) -> Callable:
            @self.access
            @wraps(view)
            @require_POST
            def action(request, **arguments):
                obj = self.load(**arguments)
                data = ()
                if form is not None:
                    bound = (form(request.POST) if isinstance(form, type)
                             else form(request, obj))
                    if not bound.is_valid():
                        return invalid(request, obj, bound)
                    data = (bound.cleaned_data,)
                try:
                    done = view(request, obj, *data)
                except self.errors as exc:
                    messages.error(request, self.error_text(exc))
                else:
                    if isinstance(done, HttpResponseBase):
                        return done
                    messages.success(request, done)
                return self.back(obj, anchor)
            return action
        return decorate
