"""The public web-to-lead endpoint, mounted by peyvand.config.api at /public/forms.

No authentication and no CSRF token: anyone on the internet may post, so the endpoint
trusts nothing. It takes only the form's own fields (plus the honeypot and the UTM /
referrer fields the embed script adds), limits the body size and the posts per client
address, and answers JSON clients with problem+json and browsers with a page.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import override
from ninja import Router, Schema
from ninja.responses import Status

from peyvand.core.api.errors import TITLES
from peyvand.core.problems import PROBLEM_CONTENT_TYPE, problem
from peyvand.sales.models import WebForm
from peyvand.sales.webforms import SubmissionRefused, specs_of, submit, take_rate_slot

router = Router(auth=None, tags=["web-to-lead (public)"])

_BROWSER_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Thanks(Schema):
    message: str


def _is_browser(request: HttpRequest) -> bool:
    return request.content_type in _BROWSER_TYPES


def _refuse(
    request: HttpRequest, form: WebForm | None, status: int, detail: str, **extra: Any
) -> HttpResponse:
    language = form.language if form is not None else settings.LANGUAGE_CODE
    errors = extra.pop("errors", None)
    with override(language):
        if _is_browser(request) and form is not None:
            labels = {spec.name: spec.text_label for spec in specs_of(form)}
            response = render(
                request,
                "sales/webform_result.html",
                {
                    "form": form,
                    "ok": False,
                    "detail": detail,
                    "errors": [
                        {**error, "label": labels.get(error.get("field") or "", error["field"])}
                        for error in errors or []
                    ],
                },
                status=status,
            )
        else:
            response = problem(
                request,
                status,
                str(TITLES.get(status, TITLES[400])),
                detail=detail,
                errors=errors,
            )
    for header, value in extra.items():
        response[header] = value
    return response


def _data(request: HttpRequest) -> dict[str, Any]:
    if _is_browser(request):
        return {name: request.POST.getlist(name) for name in request.POST}
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise SubmissionRefused(400, _("The request body is not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise SubmissionRefused(400, _("Send the fields as a JSON object."))
    return data


@router.post(
    "/{key}",
    response={201: Thanks},
    summary="Submit a web-to-lead form",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            },
        },
        "responses": {
            code: {
                "description": description,
                "content": {
                    PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
            for code, description in (
                (400, "Unknown field, wrong type or missing required field: see `errors`."),
                (413, "The body is larger than the limit."),
                (429, "Too many posts from this address; see Retry-After."),
            )
        },
    },
)
def submit_form(request: HttpRequest, key: str) -> Any:
    """Anyone may post. The body holds the form's own field names (JSON object, or a plain
    HTML form post), optionally `utm_source` … `utm_content` and `referrer`. Any other field
    is refused (400), as are missing required fields; a filled honeypot (`website`) is
    accepted and dropped. Too many posts from one address answer 429 with Retry-After;
    bodies over the limit 413. A browser post is redirected or shown the thank-you page."""
    form = WebForm.objects.filter(key=key, is_active=True).select_related("source").first()
    if form is None:
        return _refuse(request, None, 404, _("There is no such form."))
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.PEYVAND_WEBFORM_MAX_BYTES
    if not length.isdigit() or int(length) > limit:
        with override(form.language):
            detail = _("The form is too large (at most %(limit)s KB).") % {"limit": limit // 1024}
        return _refuse(request, form, 413, detail)
    wait = take_rate_slot(request.META.get("REMOTE_ADDR") or "unknown")
    if wait:
        with override(form.language):
            detail = _("Too many submissions from your address; try again in a minute.")
        return _refuse(request, form, 429, detail, **{"Retry-After": str(wait)})
    try:
        submit(
            form,
            _data(request),
            referrer=request.headers.get("Referer", ""),
            query=QueryDict(request.META.get("QUERY_STRING", "")),
        )
    except SubmissionRefused as refused:
        return _refuse(request, form, refused.status, refused.detail, errors=refused.errors)
    # The same answer with or without a lead (honeypot): a bot learns nothing.
    with override(form.language):
        message = form.thank_you or _("Thank you. We will be in touch soon.")
        if not _is_browser(request):
            return Status(201, {"message": message})
        if form.redirect_url:
            return HttpResponseRedirect(form.redirect_url, status=303)
        return render(
            request, "sales/webform_result.html", {"form": form, "ok": True, "detail": message}
        )
