"""The project's URLs with a stand-in for the portal's sign-in page (built as its own
feature): `portal_login_required` sends anonymous visitors there, so a test of that
redirect needs the name to exist."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from peyvand.config import urls as project
from peyvand.portal import urls as portal_urls


def sign_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sign in")


urlpatterns = [
    path(
        "portal/",
        include(([path("sign-in/", sign_in, name="sign_in"), *portal_urls.urlpatterns], "portal")),
    ),
    *project.urlpatterns,
]
