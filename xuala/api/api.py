"""The REST API, version 1: thin views over the desk's services and the scoped selectors.

Every route needs a bearer token (xuala.api.auth). Errors are JSON bodies with a machine
``code`` and a human ``detail`` in the request's language; another customer's object is
a 404, the same answer as for one that does not exist.
"""

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import paginate
from ninja.responses import Status as Answer

from xuala.antispam import services as antispam
from xuala.antispam.filter import Item as AntispamItem
from xuala.antispam.filter import form_type
from xuala.api import schemas, selectors
from xuala.api.auth import BearerToken, Principal
from xuala.api.docs import LocalSwagger
from xuala.api.errors import ApiError, Unauthenticated
from xuala.api.pagination import PagePagination
from xuala.desk import services as desk
from xuala.desk.errors import ChannelRefused, CoverageRefused, DeskError, InvalidTransition
from xuala.desk.models import Channel, Status
from xuala.policy.schema import TicketClass

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Xuala Desk API",
    version="1",
    description=(
        "Tickets, customers, services, sites and coverage contracts of Xuala Desk. "
        "Authenticate with `Authorization: Bearer <token>` (`xuala api token create`). "
        "A client contact's token acts for its own customer only; an agent's sees everything."
    ),
    urls_namespace="api-v1",
    auth=BearerToken(),
    docs=LocalSwagger(),
    docs_url=None,  # served at /api/docs by xuala.api.urls
    # Ticket bodies name their class "class", a Python keyword: fields carry an alias.
    default_router=Router(by_alias=True),
)
router = api.default_router

ERRORS = {401: schemas.ErrorOut, 403: schemas.ErrorOut, 404: schemas.ErrorOut,
          422: schemas.ValidationErrorOut}


def _principal(request: HttpRequest) -> Principal:
    return request.auth  # type: ignore[attr-defined]


def _agents_only(principal: Principal, detail: str) -> None:
    if not principal.is_agent:
        raise ApiError(403, "agents_only", detail)


# ---------------------------------------------------------------- errors as JSON

def _error(request: HttpRequest, http_status: int, code: str, detail: str,
           **extra) -> HttpResponse:
    return api.create_response(request, {"code": code, "detail": detail, **extra},
                               status=http_status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.detail, **exc.extra)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    code = exc.code if isinstance(exc, Unauthenticated) else "token_invalid"
    detail = {
        "token_missing": _("Send an API token in the header “Authorization: Bearer <token>”."),
        "token_revoked": _("This API token has been revoked."),
    }.get(code, _("This API token is not valid."))
    response = _error(request, 401, code, detail)
    error = "invalid_request" if code == "token_missing" else "invalid_token"
    response["WWW-Authenticate"] = f'Bearer realm="xuala", error="{error}"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, "invalid", _("The request is not valid; see “errors”."),
                  errors=exc.errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja raises these itself, e.g. 400 for a body that does not parse.
    code = {400: "bad_request", 429: "throttled"}.get(exc.status_code, "error")
    return _error(request, exc.status_code, code, str(exc))


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The last resort: a bug is logged with its traceback, and the caller still gets JSON
    # (never Django's HTML error page).
    log.error("API %s %s failed", request.method, request.path, exc_info=exc)
    return _error(request, 500, "server_error",
                  _("Something went wrong on our side; it has been logged."))


@api.exception_handler(DeskError)
def _desk_error(request: HttpRequest, exc: DeskError) -> HttpResponse:
    # Views translate the errors they expect; this is the safety net for the rest.
    return _error(request, 400, exc.code, str(exc))


# ---------------------------------------------------------------- tickets

@router.get("/tickets", response={200: list[schemas.TicketOut], **ERRORS}, tags=["tickets"],
            summary="List tickets")
@paginate(PagePagination)
def list_tickets(request: HttpRequest, status: Status | None = None,
                 ticket_class: TicketClass | None = Query(None, alias="class"),  # noqa: B008
                 customer_id: schemas.Id | None = None):
    """Clients: their company's tickets, newest first. Agents: every ticket in queue order
    (emergencies, then by due time), done ones included; filter by status, class, customer."""
    return selectors.tickets_visible(principal=_principal(request), status=status,
                                     ticket_class=ticket_class, customer_id=customer_id)


def _channels_answer() -> str:
    """§3 in the request's language: the ways the policy accepts, named by the article."""
    from xuala.kb.policy_article import describe_channels
    from xuala.policy.selectors import policy_active

    return _("Requests are attended only through the channels of our support policy (§3): "
             "%(channels)s.") % {"channels": describe_channels(policy_active().policy)}


@router.post("/tickets", response={201: schemas.TicketCreatedOut, 400: schemas.ErrorOut,
                                   **ERRORS, 403: schemas.CoverageRefusedOut},
             tags=["tickets"], summary="Open a ticket")
def create_ticket(request: HttpRequest, payload: schemas.TicketIn):
    """Open a ticket (channel "api"), triaged by the support policy like any other request.

    A customer without an active service is refused with 403 ``coverage_refused``, the
    policy clause and the courteous answer; no ticket is written. Agents name the customer
    (``customer_id``) and optionally its contact (``contact_email``).
    """
    principal = _principal(request)
    if principal.is_agent:
        if payload.customer_id is None:
            raise ApiError(400, "customer_required",
                           _("Say which customer the ticket is for (customer_id)."))
        customer = selectors.customer_visible(principal=principal, pk=payload.customer_id)
        contact = (selectors.contact_of_customer(customer=customer,
                                                 email=payload.contact_email).user
                   if payload.contact_email else None)
    else:
        if payload.contact_email:
            raise ApiError(400, "agents_only", _("Only agents may open a ticket for a contact."))
        try:
            desk.client_channel_check(channel=Channel.API)
        except ChannelRefused:
            raise ApiError(403, "channel_not_accepted", _channels_answer(),
                           clause="3") from None
        customer = (selectors.customer_visible(principal=principal, pk=payload.customer_id)
                    if payload.customer_id is not None else principal.customer)
        contact = principal.user
    categories = selectors.ticket_categories()
    if payload.category is not None and payload.category not in categories:
        raise ApiError(400, "unknown_category", _("Unknown category; use one of “categories”."),
                       categories=categories)
    site = (selectors.site_of_customer(customer=customer, pk=payload.site_id)
            if payload.site_id is not None else None)
    service = (selectors.service_of_customer(customer=customer, pk=payload.service_id)
               if payload.service_id is not None else None)
    try:
        opened = desk.ticket_open(customer=customer, contact=contact, channel=Channel.API,
                                  subject=payload.subject, body_text=payload.body,
                                  category=payload.category, site=site, service=service)
    except CoverageRefused as exc:
        raise ApiError(403, "coverage_refused", str(exc), clause=exc.clause or "") from None
    except InvalidTransition as exc:
        if exc.code == "empty":
            raise ApiError(400, "empty",
                           _("A request needs a subject and a description.")) from None
        raise
    ticket = selectors.ticket_visible(principal=principal, pk=opened.ticket.pk)
    ticket.attended_from = opened.out_of_hours_from
    return Answer(201, ticket)


@router.get("/tickets/{ticket_id}", response={200: schemas.TicketDetailOut, **ERRORS},
            tags=["tickets"], summary="One ticket with its messages")
def get_ticket(request: HttpRequest, ticket_id: schemas.Id):
    """Clients see the public conversation; agents see internal notes too."""
    return selectors.ticket_visible(principal=_principal(request), pk=ticket_id)


@router.post("/tickets/{ticket_id}/replies",
             response={201: schemas.MessageOut, **ERRORS, 409: schemas.ErrorOut},
             tags=["tickets"], summary="Write on a ticket")
def reply_ticket(request: HttpRequest, ticket_id: schemas.Id, payload: schemas.ReplyIn):
    """A client's message reopens a ticket that was waiting on it or done; an agent's reply
    answers the client (the first one stops the response clock) and waits on the client."""
    principal = _principal(request)
    ticket = selectors.ticket_visible(principal=principal, pk=ticket_id)
    try:
        if principal.is_agent:
            message = desk.ticket_reply(ticket=ticket, author=principal.user,
                                        body_text=payload.body)
        else:
            message = desk.ticket_client_message(ticket=ticket, author=principal.user,
                                                 body_text=payload.body, channel=Channel.API)
    except InvalidTransition as exc:
        raise ApiError(409, "invalid_transition",
                       _("This ticket cannot take that message now.")) from exc
    return Answer(201, message)


@router.post("/tickets/{ticket_id}/status",
             response={200: schemas.TicketDetailOut, **ERRORS, 409: schemas.ErrorOut},
             tags=["tickets"], summary="Change a ticket's status (agents)")
def set_ticket_status(request: HttpRequest, ticket_id: schemas.Id, payload: schemas.StatusIn):
    """Waiting statuses pause the response clock; leaving them resumes it. A move the
    ticket cannot make is a 409 ``invalid_transition``."""
    principal = _principal(request)
    _agents_only(principal, _("Only agents may change a ticket's status."))
    ticket = selectors.ticket_visible(principal=principal, pk=ticket_id)
    old = Status(ticket.status)
    try:
        desk.ticket_set_status(ticket=ticket, status=payload.status, actor=principal.user)
    except InvalidTransition as exc:
        if exc.code == "quote_pending":
            raise ApiError(409, "quote_pending",
                           _("This ticket waits on a quote (§5): it moves on only when the "
                             "client accepts or rejects the quote, or when the quote is "
                             "withdrawn."), current_status=old.value) from None
        raise ApiError(409, "invalid_transition",
                       _("A ticket cannot go from “%(old)s” to “%(new)s”.")
                       % {"old": old.label, "new": payload.status.label},
                       current_status=old.value) from None
    return selectors.ticket_visible(principal=principal, pk=ticket_id)


# ---------------------------------------------------------------- customers

@router.get("/customers", response={200: list[schemas.CustomerOut], **ERRORS},
            tags=["customers"], summary="List customers")
@paginate(PagePagination)
def list_customers(request: HttpRequest):
    """Agents: every customer. Clients: their own company only."""
    return selectors.customers_visible(principal=_principal(request))


@router.get("/customers/{customer_id}", response={200: schemas.CustomerDetailOut, **ERRORS},
            tags=["customers"], summary="One customer and its coverage today")
def get_customer(request: HttpRequest, customer_id: schemas.Id):
    return selectors.customer_visible(principal=_principal(request), pk=customer_id)


def _customers_records(path: str, schema, summary: str, visible, description: str = ""):
    """GET ``path``: a page of the records ``visible(principal=…, customer_id=…)`` reads,
    optionally of one customer (clients see their own, agents any customer's)."""
    def records(request: HttpRequest, customer_id: schemas.Id | None = None):
        return visible(principal=_principal(request), customer_id=customer_id)
    records.__name__, records.__doc__ = f"list_{path.strip('/')}", description
    return router.get(path, response={200: list[schema], **ERRORS}, tags=["customers"],
                      summary=summary)(paginate(PagePagination)(records))


list_services = _customers_records(
    "/services", schemas.ServiceOut, "List services", selectors.services_visible,
    "Hosting, mail and domain services; clients see their own, agents any customer's.")
list_sites = _customers_records("/sites", schemas.SiteOut, "List sites", selectors.sites_visible)
list_contracts = _customers_records(
    "/contracts", schemas.ContractOut, "List coverage-plan contracts",
    selectors.contracts_visible,
    "Each contract with its plan as the support policy describes it, services included.")


# ---------------------------------------------------------------- anti-spam

@router.post("/antispam/check", response={200: schemas.AntispamCheckOut, 403: schemas.ErrorOut,
                                          401: schemas.ErrorOut, 404: schemas.ErrorOut,
                                          422: schemas.ValidationErrorOut},
             tags=["anti-spam"], summary="Judge a submission on a plan site")
def antispam_check(request: HttpRequest, payload: schemas.AntispamCheckIn):
    """The verdict on one comment or form for a plan site, with its score and every reason.

    The check is stored with the site's other verdicts (`is_test` ones are kept out of
    the site's figures). A site without an active coverage plan answers 403.
    """
    principal = _principal(request)
    site = selectors.sites_visible(principal=principal).filter(pk=payload.site_id).first()
    if site is None:
        raise Http404("no such site")
    if not selectors.customer_coverage_now(customer=site.customer).covers_site(site.pk):
        raise ApiError(403, "site_without_plan",
                       _("Anti-spam is a service of the coverage plans; this site has none."))
    extra = dict(payload.fields)
    if payload.honeypot_field_name:
        extra["honeypot_field_name"] = payload.honeypot_field_name
    if payload.form_seconds is not None:
        extra["form_seconds"] = payload.form_seconds
    item = AntispamItem(content=payload.content, author=payload.author, email=payload.email,
                url=payload.url, type=form_type(payload.type), user_ip=payload.user_ip,
                user_agent=payload.user_agent, referrer=payload.referrer, extra=extra)
    languages = tuple(code.strip()[:2].lower() for code in payload.languages if code.strip())
    check, decided = antispam.antispam_check(site=site, item=item, languages=languages or ("es",),
                                             is_test=payload.is_test, at_once=True)
    return {"check_id": check.pk, **decided.as_dict()}


# ---------------------------------------------------------------- nodes (their own tokens)

def _nodes_router() -> Router:
    from xuala.nodes.api import router as nodes

    return nodes


api.add_router("/nodes", _nodes_router())
