"""Web-to-lead forms: their set-up (audited), the rules a public submission must meet, and
the submission itself, which captures a lead through `capture_lead`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _

from peyvand.audit.services import record
from peyvand.core.netguard import validate_public_url
from peyvand.core.problems import ServiceError
from peyvand.sales.capture import capture_lead
from peyvand.sales.choices import LeadChannel
from peyvand.sales.leads import UTM_FIELDS
from peyvand.sales.models import Lead, WebForm

# The lead fields a public form may fill, and nothing else: owner, status, score… are set
# by capture, never by the visitor.
MAPPABLE_FIELDS: dict[str, Any] = {
    "name": gettext_lazy("Name"),
    "company": gettext_lazy("Company"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "city": gettext_lazy("City"),
    "notes": gettext_lazy("Message"),
}
# Filled by the embed script (or by hand in the form's action URL), never by the visitor.
TRACKING_FIELDS = (*UTM_FIELDS, "referrer")
# Invisible to people, irresistible to bots: a submission with it filled is dropped.
HONEYPOT = "website"
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = len(MAPPABLE_FIELDS)
MAX_VALUE_CHARS = 5000


@dataclass
class FieldSpec:
    name: str
    lead_field: str
    required: bool = False
    label: str = ""
    label_fa: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lead_field": self.lead_field,
            "required": self.required,
            "label": self.label,
            "label_fa": self.label_fa,
        }

    @property
    def text_label(self) -> str:
        if (get_language() or "").startswith("fa") and self.label_fa:
            return self.label_fa
        return self.label or str(MAPPABLE_FIELDS.get(self.lead_field, self.name))


def specs_of(form: WebForm) -> list[FieldSpec]:
    return [FieldSpec(**spec) for spec in form.fields or []]


def _check_specs(specs: list[FieldSpec], errors: dict[str, list[str]]) -> None:
    problems: list[str] = []
    if not specs:
        problems.append(_("Add at least one field."))
    reserved = {HONEYPOT, *TRACKING_FIELDS}
    names: set[str] = set()
    targets: set[str] = set()
    for spec in specs:
        if not FIELD_NAME.match(spec.name):
            problems.append(
                _("“%(name)s”: use lowercase Latin letters, digits and _ (at most 40).")
                % {"name": spec.name}
            )
        elif spec.name in reserved:
            problems.append(_("“%(name)s” is reserved.") % {"name": spec.name})
        elif spec.name in names:
            problems.append(_("“%(name)s” is used twice.") % {"name": spec.name})
        if spec.lead_field not in MAPPABLE_FIELDS:
            problems.append(_("“%(name)s”: choose a lead field.") % {"name": spec.name})
        elif spec.lead_field in targets:
            problems.append(
                _("Two fields fill the lead's %(field)s.")
                % {"field": MAPPABLE_FIELDS[spec.lead_field]}
            )
        names.add(spec.name)
        targets.add(spec.lead_field)
    if not targets & {"name", "company"}:
        problems.append(_("A form needs a name or a company field."))
    if not targets & {"email", "phone"}:
        problems.append(_("A form needs an email or a phone field, or leads cannot be reached."))
    if problems:
        errors["fields"] = problems


@transaction.atomic
def save_web_form(form: WebForm, specs: list[FieldSpec], *, actor: Any) -> WebForm:
    """Create or change a form (audited). ValidationError per field; nothing written then."""
    errors: dict[str, list[str]] = {}
    _check_specs(specs, errors)
    if form.redirect_url:
        try:
            validate_public_url(form.redirect_url)
        except ValidationError as exc:
            errors["redirect_url"] = list(exc.messages)
    if form.owner is None and form.department is None:
        errors["department"] = [_("Choose the department or the person who gets the leads.")]
    form.fields = [spec.as_json() for spec in specs]
    try:
        form.full_clean(exclude=["key", "fields"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    # The form has already put the new values on `form`: the before comes from the row.
    with record(form, actor=actor, stored=True):
        form.save()
    return form


# --- the public side ---------------------------------------------------------------------


class SubmissionRefused(Exception):
    """A public submission that must be answered with `status` and these field errors."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []


@dataclass
class Submission:
    lead: Lead | None  # None: the honeypot was filled; the bot is thanked, nothing is kept
    form: WebForm
    errors: list[dict[str, Any]] = field(default_factory=list)


def rate(spec: str | None = None) -> tuple[int, int]:
    count, _sep, seconds = (spec or settings.PEYVAND_WEBFORM_RATE).partition("/")
    return int(count), int(seconds or 60)


def take_rate_slot(client: str, *, now: float | None = None) -> int:
    """Count one post from `client` in the current window; 0 when allowed, else the
    seconds until the window ends (the Retry-After). Fixed windows in Django's cache, so
    every web process (with Redis) shares the count."""
    limit, window = rate()
    now = timezone.now().timestamp() if now is None else now
    slot = int(now // window)
    key = f"webform-rate:{client}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this post as the first
        cache.set(key, 1, timeout=window + 1)
        used = 1
    if used <= limit:
        return 0
    return max(1, int((slot + 1) * window - now))


def _value(raw: Any) -> str:
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    if raw is None:
        return ""
    if isinstance(raw, (dict, bool)):
        raise TypeError
    return str(raw).strip()


def submit(
    form: WebForm, data: Mapping[str, Any], *, referrer: str = "", query: Mapping[str, str]
) -> Submission:
    """Check a public submission against the form and capture the lead. Field errors are
    in the form's own language. Raises SubmissionRefused for unknown fields or wrong types;
    ValidationError from capture becomes field errors under the form's field names."""
    specs = specs_of(form)
    allowed = {spec.name for spec in specs} | {HONEYPOT, *TRACKING_FIELDS}
    with override(form.language):
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise SubmissionRefused(
                400,
                _("This form has no such field; nothing was stored."),
                [
                    {"field": name, "message": _("Unknown field."), "code": "extra_forbidden"}
                    for name in unknown[:20]
                ],
            )
        values: dict[str, str] = {}
        wrong: list[dict[str, Any]] = []
        for name in data:
            try:
                values[name] = _value(data[name])
            except TypeError:
                wrong.append({"field": name, "message": _("Enter text."), "code": "string_type"})
            else:
                if len(values[name]) > MAX_VALUE_CHARS:
                    wrong.append(
                        {
                            "field": name,
                            "message": _("Enter at most %(max_length)s characters.")
                            % {"max_length": MAX_VALUE_CHARS},
                            "code": "string_too_long",
                        }
                    )
        if wrong:
            raise SubmissionRefused(400, _("Some fields are not valid."), wrong)
        if values.get(HONEYPOT):
            return Submission(lead=None, form=form)
        missing = [
            {"field": spec.name, "message": _("This field is required."), "code": "missing"}
            for spec in specs
            if spec.required and not values.get(spec.name)
        ]
        if missing:
            raise SubmissionRefused(400, _("Some required fields are empty."), missing)
        lead_values = {spec.lead_field: values.get(spec.name, "") for spec in specs}
        tracking = {name: values.get(name) or query.get(name, "") for name in UTM_FIELDS}
        captured: dict[str, Any] = {
            "actor": None,
            "channel": LeadChannel.WEB_FORM,
            "source": form.source,
            "owner": form.owner,
            "department": form.department,
            "language": form.language,
            "web_form": form,
            "referrer": (values.get("referrer") or referrer)[:500],
            **lead_values,
            **{name: value[:100] for name, value in tracking.items()},
        }
        try:
            try:
                lead, _duplicates = capture_lead(assign=form.owner is None, **captured)
            except ServiceError:
                # Nobody can take it right now: keep the lead in the department's queue
                # rather than lose it; the SLA job escalates it if nobody picks it up.
                lead, _duplicates = capture_lead(assign=False, **captured)
        except ValidationError as exc:
            by_lead_field = {spec.lead_field: spec.name for spec in specs}
            errors = [
                {
                    "field": by_lead_field.get(name, None if name == "__all__" else name),
                    "message": str(message),
                    "code": "invalid",
                }
                for name, messages in exc.message_dict.items()
                for message in messages
            ]
            raise SubmissionRefused(400, _("Some fields are not valid."), errors) from exc
    return Submission(lead=lead, form=form)
