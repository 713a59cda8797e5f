from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from peyvand.marketing.consent import views as consent_views
from peyvand.marketing.loyalty.views import portal_points
from peyvand.portal.views import pages, signin, staff

app_name = "portal"

# The portal's own pages (sign-in, tickets, orders, …) and the community's under /portal/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("community/", include("peyvand.portal.community.urls")),
    path("", pages.home, name="home"),
    path("sign-in/", signin.sign_in, name="sign_in"),
    path("sign-in/code/", signin.sign_in_code, name="sign_in_code"),
    path("sign-in/link/<str:token>/", signin.sign_in_link, name="sign_in_link"),
    path("sign-out/", signin.sign_out, name="sign_out"),
    path("tickets/", pages.ticket_list, name="tickets"),
    path("tickets/new/", pages.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", pages.ticket_detail, name="ticket_detail"),
    path(
        "tickets/<int:pk>/attachments/<int:attachment_id>/",
        pages.ticket_attachment,
        name="ticket_attachment",
    ),
    path("help/<int:article_id>/solved/", pages.ticket_deflected, name="ticket_deflected"),
    path("orders/", pages.order_list, name="orders"),
    path("orders/<int:pk>/", pages.order_detail, name="order_detail"),
    path("points/", portal_points, name="points"),
    path("quotes/", pages.quote_list, name="quotes"),
    path("quotes/<int:pk>/", pages.quote_detail, name="quote_detail"),
    path("agreements/", pages.agreement_list, name="agreements"),
    path("profile/", pages.profile, name="profile"),
    path("profile/my-data.json", pages.my_data, name="my_data"),
    path("preferences/", consent_views.portal_preferences, name="preferences"),
    path("updates/", pages.subscriptions, name="subscriptions"),
    path("staff/release-notes/", staff.release_notes, name="release_notes"),
]
