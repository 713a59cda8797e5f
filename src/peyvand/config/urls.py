from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from peyvand.config.api import api
from peyvand.core import views as core_views
from peyvand.marketing.campaigns import public as campaign_public

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/language/", core_views.set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("accounts/", include("peyvand.access.urls")),
    path("audit/", include("peyvand.audit.urls")),
    path("customers/", include("peyvand.customers.urls")),
    path("catalog/", include("peyvand.catalog.urls")),
    path("sales/", include("peyvand.sales.urls")),
    path("interactions/", include("peyvand.channels.urls")),
    path("imports/", include("peyvand.imports.urls")),
    path("analytics/", include("peyvand.analytics.urls")),
    path("tracking/", include("peyvand.tracking.urls")),
    path("t/", include("peyvand.tracking.public_urls")),
    path("service/", include("peyvand.service.urls")),
    path("portal/", include("peyvand.portal.urls")),
    path("community/", include("peyvand.portal.community.staff_urls")),
    path("personalization/", include("peyvand.personalization.urls")),
    path("marketing/", include("peyvand.marketing.urls")),
    # Short: it travels in every marketing email's List-Unsubscribe header.
    path("u/<str:token>", campaign_public.unsubscribe, name="unsubscribe"),
    path("", include("peyvand.desk.urls")),
    path("django-admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
