"""Bearer-token authentication: who a request acts for (an agent, or one customer)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from xuala.api.errors import ApiError, TokenRejected, Unauthenticated
from xuala.api.models import ApiToken
from xuala.api.services import api_token_authenticate
from xuala.customers.models import Customer
from xuala.customers.selectors import customer_for_user


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an agent (``customer`` is None) or a customer's contact."""

    user: object
    token: ApiToken
    customer: Customer | None

    @property
    def is_agent(self) -> bool:
        return self.customer is None


class StrictBearer(HttpBearer):
    """``Authorization: Bearer <token>``; anything else is a 401 with a machine code.

    Subclasses say what a token is in ``authenticate`` (a user's API token, a node's token).
    """

    def __call__(self, request: HttpRequest):
        header = request.headers.get(self.header, "")
        scheme, _sep, value = header.partition(" ")
        if not header:
            raise Unauthenticated("token_missing")
        if scheme.lower() != self.openapi_scheme or not value.strip():
            raise Unauthenticated("token_invalid")
        return self.authenticate(request, value)


class BearerToken(StrictBearer):
    """A user's API token: the caller is an agent or one customer's contact."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        try:
            api_token = api_token_authenticate(secret=token)
        except TokenRejected as exc:
            raise Unauthenticated(exc.code) from None
        user = api_token.user
        customer = None
        if not user.is_agent:
            customer = customer_for_user(user)
            if customer is None:
                raise ApiError(403, "no_customer",
                               _("This token's user does not speak for any customer."))
        request.user = user
        return Principal(user=user, token=api_token, customer=customer)
