"""The ninja root: every app mounts its router under /api/v1."""

from __future__ import annotations

from ninja import Router

from peyvand.access.api import router as access_router
from peyvand.analytics.api import router as analytics_router
from peyvand.audit.api import router as audit_router
from peyvand.catalog.api import router as catalog_router
from peyvand.channels.api import router as interactions_router
from peyvand.channels.email.api import router as email_router
from peyvand.channels.email.inbound.api import router as inbound_email_router
from peyvand.core.api.errors import not_found
from peyvand.core.api.openapi import PeyvandAPI
from peyvand.customers.api import router as customers_router
from peyvand.desk.api import router as tasks_router
from peyvand.imports.api import router as imports_router
from peyvand.marketing.api import router as segments_router
from peyvand.marketing.attribution.api import router as attribution_router
from peyvand.marketing.campaigns.api import router as campaigns_router
from peyvand.marketing.consent.api import public_router as public_subscriptions_router
from peyvand.marketing.consent.api import router as suppressions_router
from peyvand.marketing.loyalty.api import router as loyalty_router
from peyvand.personalization.api import customers_router as offer_customers_router
from peyvand.personalization.api import router as offers_router
from peyvand.portal.api import router as portal_router
from peyvand.portal.community.api import router as community_router
from peyvand.sales.api.contracts import router as contracts_router
from peyvand.sales.api.forecast import router as forecast_router
from peyvand.sales.api.leads import router as leads_router
from peyvand.sales.api.opportunities import pipelines_router
from peyvand.sales.api.opportunities import router as opportunities_router
from peyvand.sales.api.orders import router as orders_router
from peyvand.sales.api.public_forms import router as public_forms_router
from peyvand.sales.api.quotes import router as quotes_router
from peyvand.service.api import public_router as public_kb_router
from peyvand.service.api import router as kb_router
from peyvand.service.api import tickets_router
from peyvand.service.orders.api import router as service_orders_router
from peyvand.tracking.api import public_router as public_tracking_router
from peyvand.tracking.api import router as tracking_router

api = PeyvandAPI(
    title="Peyvand API",
    version="1",
    description=(
        "REST API of the Peyvand e-CRM. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `peyvand token create USERNAME --scope customers:read`), or call it "
        "from a signed-in browser session with the `X-CSRFToken` header. Errors are RFC 9457 "
        "`application/problem+json`; lists are cursor-paginated (`?limit=&cursor=`); every "
        "POST honours `Idempotency-Key`."
    ),
    urls_namespace="api",
)
api.add_router("/customers", customers_router)
api.add_router("/customers", offer_customers_router)
api.add_router("/interactions", interactions_router)
api.add_router("/email", email_router)
api.add_router("/orders", orders_router)
api.add_router("/opportunities", opportunities_router)
api.add_router("/pipelines", pipelines_router)
api.add_router("/quotes", quotes_router)
api.add_router("/contracts", contracts_router)
api.add_router("/products", catalog_router)
api.add_router("/tasks", tasks_router)
api.add_router("/audit", audit_router)
api.add_router("/imports", imports_router)
api.add_router("/me", access_router)
api.add_router("/leads", leads_router)
api.add_router("/public/forms", public_forms_router)
api.add_router("/forecast", forecast_router)
api.add_router("/analytics", analytics_router)
api.add_router("/tracking", tracking_router)
api.add_router("/public/tracking", public_tracking_router)
api.add_router("/offers", offers_router)
api.add_router("/segments", segments_router)
api.add_router("/attribution", attribution_router)
api.add_router("/suppressions", suppressions_router)
api.add_router("/public/subscriptions", public_subscriptions_router)
api.add_router("/loyalty", loyalty_router)
api.add_router("/campaigns", campaigns_router)
api.add_router("/kb", kb_router)
api.add_router("/tickets", tickets_router)
api.add_router("/community", community_router)
api.add_router("/service-orders", service_orders_router)
api.add_router("/public/kb", public_kb_router)
api.add_router("/public/email", inbound_email_router)
api.add_router("/portal", portal_router)

# Last, so it only catches paths no endpoint answers: those get a 404 problem, not HTML.
_unmatched = Router(auth=None)
_unmatched.add_api_operation(
    "/{path:unmatched}",
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    not_found,
    include_in_schema=False,
)
api.add_router("", _unmatched)
