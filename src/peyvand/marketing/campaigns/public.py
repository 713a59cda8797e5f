"""The one page of campaigns a customer sees: the one-click unsubscribe (RFC 8058).

The URL carries a signed token, so it needs no sign-in and no CSRF token: a mail client
POSTs `List-Unsubscribe=One-Click` to it without cookies. GET only shows a confirmation,
because link scanners fetch every URL in a message."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from peyvand.marketing.campaigns.services import one_click_unsubscribe, recipient_for_token


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    row = recipient_for_token(token)
    if row is None:
        raise Http404
    if request.method == "POST":
        one_click_unsubscribe(row)
    with translation.override(row.language):
        request.LANGUAGE_CODE = row.language
        return render(
            request,
            "marketing/campaigns/unsubscribe.html",
            {
                "done": request.method == "POST",
                "campaign_name": row.campaign.name,
                "ui_dir": "rtl" if row.language == "fa" else "ltr",
            },
        )
