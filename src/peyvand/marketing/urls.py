from __future__ import annotations

from django.urls import include, path

from peyvand.marketing import views
from peyvand.marketing.attribution import views as attribution
from peyvand.marketing.campaigns import views as campaigns
from peyvand.marketing.loyalty import views as loyalty

app_name = "marketing"

urlpatterns = [
    path("attribution/", attribution.report, name="attribution"),
    path("attribution/costs/", attribution.add_cost, name="attribution_cost"),
    path("attribution/backfill/", attribution.backfill, name="attribution_backfill"),
    path("", include("peyvand.marketing.consent.urls")),
    path("segments/", views.segment_list_view, name="segment_list"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/builder/", views.builder, name="builder"),
    path("segments/preview/", views.preview, name="preview"),
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/rebuild/", views.segment_rebuild, name="segment_rebuild"),
    path("segments/<int:pk>/members/add/", views.static_add, name="static_add"),
    path(
        "segments/<int:pk>/members/<int:customer_id>/remove/",
        views.static_remove,
        name="static_remove",
    ),
    path("loyalty/", loyalty.programme_settings, name="loyalty"),
    path("loyalty/programme/", loyalty.programme_save, name="loyalty_programme"),
    path("loyalty/tiers/", loyalty.tier_add, name="loyalty_tier_add"),
    path("loyalty/rules/", loyalty.rule_set, name="loyalty_rule_set"),
    path("loyalty/rewards/", loyalty.reward_add, name="loyalty_reward_add"),
    path("loyalty/<str:kind>/<int:pk>/remove/", loyalty.setting_remove, name="loyalty_remove"),
    path(
        "loyalty/customers/<int:customer_id>/",
        loyalty.customer_points,
        name="loyalty_customer",
    ),
    path(
        "loyalty/customers/<int:customer_id>/adjust/",
        loyalty.customer_adjust,
        name="loyalty_adjust",
    ),
    path(
        "loyalty/customers/<int:customer_id>/redeem/",
        loyalty.customer_redeem,
        name="loyalty_redeem",
    ),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/progress/", campaigns.campaign_progress, name="campaign_progress"),
    path("campaigns/<int:pk>/schedule/", campaigns.campaign_schedule, name="campaign_schedule"),
    path("campaigns/<int:pk>/pause/", campaigns.campaign_pause, name="campaign_pause"),
    path("campaigns/<int:pk>/variants/new/", campaigns.variant_form, name="variant_create"),
    path(
        "campaigns/<int:pk>/variants/<int:variant_id>/edit/",
        campaigns.variant_form,
        name="variant_edit",
    ),
    path(
        "campaigns/<int:pk>/variants/<int:variant_id>/preview/",
        campaigns.variant_preview,
        name="variant_preview",
    ),
    path(
        "campaigns/<int:pk>/variants/<int:variant_id>/test/",
        campaigns.variant_test_send,
        name="variant_test_send",
    ),
]
