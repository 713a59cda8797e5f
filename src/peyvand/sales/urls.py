from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales.views import contracts, orders, pipeline, quotes

app_name = "sales"

urlpatterns: list[URLPattern] = [
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_create, name="order_create"),
    path("orders/new/line/", orders.order_line, name="order_line"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/payments/", orders.order_pay, name="order_pay"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/new/", quotes.quote_create, name="quote_create"),
    path("quotes/new/line/", quotes.quote_line, name="quote_line"),
    path("quotes/<int:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", quotes.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/send/", quotes.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", quotes.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quotes.quote_reject, name="quote_reject"),
    path("quotes/<int:pk>/print/", quotes.quote_print, name="quote_print"),
    path("quotes/<int:pk>/pdf/", quotes.quote_pdf, name="quote_pdf"),
    path("customers/<int:pk>/documents/", quotes.customer_documents, name="customer_documents"),
    path("opportunities/<int:pk>/quotes/", quotes.opportunity_quotes, name="opportunity_quotes"),
    path("contracts/", contracts.contract_list, name="contract_list"),
    path("contracts/renewals/", contracts.renewals, name="renewals"),
    path("contracts/new/", contracts.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", contracts.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/renew/", contracts.contract_renew, name="contract_renew"),
    path("contracts/<int:pk>/cancel/", contracts.contract_cancel, name="contract_cancel"),
    path("leads/", pipeline.lead_list, name="lead_list"),
    path("leads/new/", pipeline.lead_create, name="lead_create"),
    path("leads/<int:pk>/", pipeline.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/status/", pipeline.lead_status, name="lead_status"),
    path("leads/<int:pk>/convert/", pipeline.lead_convert, name="lead_convert"),
    path("pipeline/", pipeline.board, name="board"),
    path("opportunities/<int:pk>/", pipeline.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/move/", pipeline.opportunity_move, name="opportunity_move"),
    path(
        "opportunities/<int:pk>/won/",
        pipeline.opportunity_close,
        {"outcome": "won"},
        name="opportunity_win",
    ),
    path(
        "opportunities/<int:pk>/lost/",
        pipeline.opportunity_close,
        {"outcome": "lost"},
        name="opportunity_lose",
    ),
]
