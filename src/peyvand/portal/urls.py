from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

app_name = "portal"

# The portal's own pages (sign-in, tickets, orders, …) and the community's under /portal/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("community/", include("peyvand.portal.community.urls")),
]
