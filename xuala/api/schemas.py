"""Request and response bodies of the REST API (pydantic, through django-ninja)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.utils.translation import get_language
from ninja import Field, Schema
from pydantic import AfterValidator

from xuala.api.selectors import customer_coverage_now, plan_summary
from xuala.core.text import one_line
from xuala.desk.models import Status

# A database id: bounded so that a huge number is a 422, not an overflow in the database.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _no_nul(value: str | None) -> str | None:
    # As Django's form fields refuse them (and PostgreSQL cannot store them).
    if value is not None and "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    return value


# Text from a caller: no NUL characters. A line (a subject): line breaks become spaces.
Text = Annotated[str, AfterValidator(_no_nul)]
Line = Annotated[str, AfterValidator(_no_nul), AfterValidator(one_line)]


# ---------------------------------------------------------------- errors

class ErrorOut(Schema):
    code: str = Field(description="Machine-readable error code.")
    detail: str = Field(description="What went wrong, for people, in the request's language.")


class CoverageRefusedOut(ErrorOut):
    clause: str | None = Field(
        None, description="With code coverage_refused: the support-policy clause it rests on.")


class ValidationErrorOut(ErrorOut):
    errors: list[dict[str, Any]]


# ---------------------------------------------------------------- customers

class CustomerOut(Schema):
    id: int
    name: str
    tax_id: str
    language: str
    created_at: datetime


class CoverageOut(Schema):
    has_active_service: bool
    plans: list[str] = Field(description="Keys of the coverage plans in force today.")
    covered_site_ids: list[int] | None = Field(
        description="Sites the plans cover; null means every site of the customer.")


class CustomerDetailOut(CustomerOut):
    coverage: CoverageOut

    @staticmethod
    def resolve_coverage(obj) -> dict:
        coverage = customer_coverage_now(customer=obj)
        return {
            "has_active_service": coverage.has_active_service,
            "plans": list(coverage.plan_keys),
            "covered_site_ids": (None if coverage.covered_site_ids is None
                                 else sorted(coverage.covered_site_ids)),
        }


class ServiceOut(Schema):
    id: int
    customer_id: int
    kind: str
    name: str
    status: str
    starts_on: date
    ends_on: date | None


class SiteOut(Schema):
    id: int
    customer_id: int
    service_id: int | None
    url: str
    cms: str


class PlanServiceOut(Schema):
    key: str
    name: str
    description: str
    clause: str


class PlanOut(Schema):
    key: str
    name: str
    billing: str
    services: list[PlanServiceOut]
    extras: list[str]


class ContractOut(Schema):
    id: int
    customer_id: int
    plan_key: str
    plan: PlanOut | None = Field(
        description="The plan as the active policy describes it; null if it no longer does.")
    billing: str
    status: str
    starts_on: date
    ends_on: date | None
    site_ids: list[int] = Field(description="Covered sites; empty means all of them.")

    @staticmethod
    def resolve_plan(obj) -> dict | None:
        return plan_summary(plan_key=obj.plan_key, language=get_language() or "es")

    @staticmethod
    def resolve_site_ids(obj) -> list[int]:
        return sorted(site.pk for site in obj.sites.all())


# ---------------------------------------------------------------- tickets

class TriageOut(Schema):
    decision: str = Field(description="covered, refused, needs_plan, needs_quote, meeting, "
                                      "emergency; empty if none.")
    clause: str
    state: str = Field(description="applied, proposed (to an agent) or dismissed.")


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    kind: str = Field(description="client, reply, auto, or note (agents only).")
    author: str | None
    body_text: str
    body_html: str = Field(description="Sanitised HTML.")
    channel: str
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_author(obj) -> str | None:
        return obj.author.get_full_name() if obj.author else None

    @staticmethod
    def resolve_attachments(obj) -> list:
        return obj.files


class TicketOut(Schema):
    id: int
    reference: str
    subject: str
    status: str
    ticket_class: str = Field(serialization_alias="class",
                              description="standard, priority or emergency.")
    channel: str
    category: str
    customer_id: int
    site_id: int | None
    service_id: int | None
    received_at: datetime
    target_at: datetime | None
    due_at: datetime | None
    first_response_at: datetime | None
    paused: bool
    triage: TriageOut

    @staticmethod
    def resolve_paused(obj) -> bool:
        return obj.is_paused

    @staticmethod
    def resolve_triage(obj) -> dict:
        return {"decision": obj.triage_decision, "clause": obj.triage_clause,
                "state": obj.triage_state}


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj) -> list:
        # Set by the API's ticket_visible selector: never fall back to every message.
        return obj.visible_messages


class TicketCreatedOut(TicketDetailOut):
    attended_from: datetime | None = Field(
        description="Set when the request arrived outside opening hours: when it will be "
                    "attended.")


class TicketIn(Schema):
    subject: Line = Field(min_length=1, max_length=250)
    body: Text = Field(min_length=1, max_length=100_000, description="Plain text.")
    category: Text | None = Field(None, description="A scope key of the support policy.")
    site_id: Id | None = None
    service_id: Id | None = None
    customer_id: Id | None = Field(None, description="Agents only: the customer it is for.")
    contact_email: Line | None = Field(
        None, max_length=254, description="Agents only: the customer's contact it is from.")


class ReplyIn(Schema):
    body: Text = Field(min_length=1, max_length=100_000, description="Plain text.")


class StatusIn(Schema):
    status: Status


# ---------------------------------------------------------------- anti-spam

class AntispamCheckIn(Schema):
    site_id: Id = Field(description="The plan site the submission was made on.")
    content: str = Field("", max_length=100_000, description="The text (comment, message).")
    author: str = Field("", max_length=500)
    email: str = Field("", max_length=500)
    url: str = Field("", max_length=2000, description="The URL the author gave.")
    type: str = Field("comment", max_length=40,
                      description="comment, contact, registration, order_note…")
    user_ip: str = Field("", max_length=64)
    user_agent: str = Field("", max_length=1000)
    referrer: str = Field("", max_length=2000)
    languages: list[str] = Field(["es"], max_length=5,
                                 description="The site's languages (ISO 639-1).")
    honeypot_field_name: str = Field("", max_length=100)
    fields: dict[str, str] = Field({}, description="Other form fields (the honeypot's value).")
    form_seconds: float | None = Field(
        None, ge=0, description="Seconds between showing the form and sending it.")
    is_test: bool = False


class AntispamReasonOut(Schema):
    code: str
    weight: float
    detail: str


class AntispamCheckOut(Schema):
    check_id: int
    spam: bool
    certain: bool = Field(description="Spam beyond doubt: it may be discarded unseen.")
    score: float = Field(description="Probability of spam, 0 to 1.")
    reasons: list[AntispamReasonOut]
