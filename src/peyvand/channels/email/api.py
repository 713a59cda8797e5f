"""REST endpoints of outbound email, mounted at /api/v1/email: sending identities and
templates (managers change them; everyone who sends may read the active ones) and sending."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.access.models import Department
from peyvand.access.scopes import get_for, is_manager
from peyvand.channels.access import get_customer_for_interaction, may_touch_interactions_of
from peyvand.channels.email.models import EmailTemplate, SendingIdentity
from peyvand.channels.email.services import save_identity, save_template, send_email
from peyvand.channels.inbox.choices import MessagePurpose
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.core.api.access import optionally_referenced, referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.schemas import InputSchema

router = Router(tags=["email"])


class IdentityOut(Schema):
    id: int
    name: str
    department: int | None = Field(None, alias="department_id")
    from_name_en: str
    from_name_fa: str
    address: str
    reply_domain: str
    signature_en: str
    signature_fa: str
    is_active: bool


class IdentityIn(InputSchema):
    name: str = Field(max_length=120)
    department: int | None = Field(None, description="Department id.")
    from_name_en: str = Field(max_length=120)
    from_name_fa: str = Field("", max_length=120)
    address: str = Field(max_length=254)
    reply_domain: str = Field("", max_length=253)
    signature_en: str = Field("", max_length=5000)
    signature_fa: str = Field("", max_length=5000)
    is_active: bool = True


class IdentityPatch(InputSchema):
    name: str | None = Field(None, max_length=120)
    department: int | None = None
    from_name_en: str | None = Field(None, max_length=120)
    from_name_fa: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=254)
    reply_domain: str | None = Field(None, max_length=253)
    signature_en: str | None = Field(None, max_length=5000)
    signature_fa: str | None = Field(None, max_length=5000)
    is_active: bool | None = None


class TemplateOut(Schema):
    id: int
    name: str
    purpose: str
    identity: int | None = Field(None, alias="identity_id")
    subject_en: str
    body_en: str
    subject_fa: str
    body_fa: str
    is_active: bool


class TemplateIn(InputSchema):
    name: str = Field(max_length=120)
    purpose: MessagePurpose = MessagePurpose.SERVICE
    identity: int | None = Field(None, description="Sending identity id.")
    subject_en: str = Field("", max_length=255)
    body_en: str = Field("", max_length=100_000)
    subject_fa: str = Field("", max_length=255)
    body_fa: str = Field("", max_length=100_000)
    is_active: bool = True


class TemplatePatch(InputSchema):
    name: str | None = Field(None, max_length=120)
    purpose: MessagePurpose | None = None
    identity: int | None = None
    subject_en: str | None = Field(None, max_length=255)
    body_en: str | None = Field(None, max_length=100_000)
    subject_fa: str | None = Field(None, max_length=255)
    body_fa: str | None = Field(None, max_length=100_000)
    is_active: bool | None = None


class EmailIn(InputSchema):
    customer: int | None = Field(None, description="Customer id: starts a new conversation.")
    conversation: int | None = Field(None, description="Conversation id: replies on it.")
    template: int | None = Field(None, description="Email template id.")
    identity: int | None = Field(None, description="Sending identity id.")
    subject: str = Field("", max_length=255)
    body: str = Field("", max_length=100_000)
    to: str = Field("", max_length=254, description="Defaults to the customer's email.")
    purpose: MessagePurpose | None = Field(None, description="Defaults to the template's.")


class EmailOut(Schema):
    id: int
    conversation: int = Field(alias="conversation_id")
    message_id: str = Field(description="The RFC 5322 Message-ID, without angle brackets.")
    status: str
    purpose: str
    sender: str
    recipient: str
    subject: str
    body: str
    language: str
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None

    @staticmethod
    def resolve_language(obj: Message) -> str:
        return str(obj.meta.get("email", {}).get("language", ""))


def _manager(request: HttpRequest) -> Any:
    user = api_user(request)
    if not is_manager(user):
        raise HttpError(403, _("Only a manager may change email settings."))
    return user


def _visible(qs: Any, request: HttpRequest) -> Any:
    return qs if is_manager(api_user(request)) else qs.filter(is_active=True)


def _department(pk: int) -> Department:
    try:
        return Department.objects.get(pk=pk)
    except Department.DoesNotExist as exc:
        raise Http404 from exc


def _identity(pk: int) -> SendingIdentity:
    try:
        return SendingIdentity.objects.get(pk=pk)
    except SendingIdentity.DoesNotExist as exc:
        raise Http404 from exc


def _template(pk: int) -> EmailTemplate:
    try:
        return EmailTemplate.objects.get(pk=pk)
    except EmailTemplate.DoesNotExist as exc:
        raise Http404 from exc


def _resolve_refs(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("department") is not None:
        data["department"] = referenced(data["department"], _department, "department")
    if data.get("identity") is not None:
        data["identity"] = referenced(data["identity"], _identity, "identity")
    return data


@router.get("/identities", response=list[IdentityOut], summary="List sending identities")
@require_scope(ApiScope.INTERACTIONS_READ)
def list_identities(request: HttpRequest) -> Any:
    return list(_visible(SendingIdentity.objects.all(), request))


@router.post("/identities", response={201: IdentityOut}, summary="Add a sending identity")
@require_scope(ApiScope.INTERACTIONS_WRITE)
def create_identity(request: HttpRequest, payload: IdentityIn) -> Status[SendingIdentity]:
    user = _manager(request)
    data = _resolve_refs(payload.model_dump())
    return Status(201, save_identity(SendingIdentity(), actor=user, **data))


@router.patch("/identities/{identity_id}", response=IdentityOut, summary="Change an identity")
@require_scope(ApiScope.INTERACTIONS_WRITE)
def update_identity(
    request: HttpRequest, identity_id: int, payload: IdentityPatch
) -> SendingIdentity:
    user = _manager(request)
    identity = _identity(identity_id)
    changes = payload.model_dump(include=payload.model_fields_set)
    # null clears the department; on any other field it means "leave as it is".
    data = {k: v for k, v in changes.items() if v is not None or k == "department"}
    return save_identity(identity, actor=user, **_resolve_refs(data))


@router.get("/templates", response=list[TemplateOut], summary="List email templates")
@require_scope(ApiScope.INTERACTIONS_READ)
def list_templates(request: HttpRequest) -> Any:
    return list(_visible(EmailTemplate.objects.all(), request))


@router.post("/templates", response={201: TemplateOut}, summary="Add an email template")
@require_scope(ApiScope.INTERACTIONS_WRITE)
def create_template(request: HttpRequest, payload: TemplateIn) -> Status[EmailTemplate]:
    user = _manager(request)
    data = _resolve_refs(payload.model_dump())
    return Status(201, save_template(EmailTemplate(), actor=user, **data))


@router.patch("/templates/{template_id}", response=TemplateOut, summary="Change a template")
@require_scope(ApiScope.INTERACTIONS_WRITE)
def update_template(
    request: HttpRequest, template_id: int, payload: TemplatePatch
) -> EmailTemplate:
    user = _manager(request)
    template = _template(template_id)
    changes = payload.model_dump(include=payload.model_fields_set)
    data = {k: v for k, v in changes.items() if v is not None or k == "identity"}
    return save_template(template, actor=user, **_resolve_refs(data))


def _conversation_for(user: Any, pk: int) -> Conversation:
    threads = Conversation.objects.filter(sensitive=False).select_related("customer")
    conversation = get_for(user, threads, pk, "view")
    if conversation.customer is not None and not may_touch_interactions_of(
        user, conversation.customer, Action.ADD
    ):
        raise Http404
    return conversation


@router.post("/messages", response={201: EmailOut}, summary="Send an email")
@require_scope(ApiScope.INTERACTIONS_WRITE)
def send_email_endpoint(request: HttpRequest, payload: EmailIn) -> Status[Message]:
    """Queue an email to a customer (a new conversation) or on a conversation, from a
    template (in the customer's preferred language) or from a subject and body. It is sent
    by the worker; `status` says how far it got (`suppressed` when consent is missing)."""
    user = api_user(request)
    require_action(user, ObjectType.INTERACTION, Action.ADD)
    if (payload.customer is None) == (payload.conversation is None):
        raise HttpError(422, _("Name either a customer or a conversation."))
    target: Any
    if payload.conversation is not None:
        target = referenced(
            payload.conversation, lambda pk: _conversation_for(user, pk), "conversation"
        )
    else:
        target = referenced(
            payload.customer,  # type: ignore[arg-type]
            lambda pk: get_customer_for_interaction(user, pk, Action.ADD),
            "customer",
        )
    template = optionally_referenced(payload.template, _active_template, "template")
    identity = optionally_referenced(payload.identity, _active_identity, "identity")
    try:
        message = send_email(
            target,
            actor=user,
            template=template,
            identity=identity,
            subject=payload.subject,
            body=payload.body,
            to=payload.to,
            purpose=payload.purpose,
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return Status(201, message)


def _active_template(pk: int) -> EmailTemplate:
    template = _template(pk)
    if not template.is_active:
        raise Http404
    return template


def _active_identity(pk: int) -> SendingIdentity:
    identity = _identity(pk)
    if not identity.is_active:
        raise Http404
    return identity
