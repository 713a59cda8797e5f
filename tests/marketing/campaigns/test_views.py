"""The campaign screens: marketing may, everyone else gets 404; bad input is answered in
the user's language and changes nothing; names are shown escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from peyvand.marketing.models import Campaign, CampaignVariant
from tests.conftest import speak_persian
from tests.marketing.campaigns.conftest import make_campaign, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(segment: Any, identity: Any, marketing1: Any) -> Campaign:
    return make_campaign(segment, identity, marketing1, name="<b>Spring</b>")


def urls(campaign: Campaign) -> list[str]:
    variant = campaign.variants.get()
    return [
        reverse("marketing:campaign_list"),
        reverse("marketing:campaign_create"),
        reverse("marketing:campaign_detail", args=[campaign.pk]),
        reverse("marketing:campaign_edit", args=[campaign.pk]),
        reverse("marketing:campaign_progress", args=[campaign.pk]),
        reverse("marketing:variant_create", args=[campaign.pk]),
        reverse("marketing:variant_edit", args=[campaign.pk, variant.pk]),
    ]


@pytest.mark.parametrize("persona", ["sales1", "sales2", "service1"])
def test_other_departments_get_404_everywhere(
    persona: str, campaign: Campaign, client_for: Any, request: Any
) -> None:
    client = client_for(request.getfixturevalue(persona))
    for url in urls(campaign):
        assert client.get(url).status_code == 404, url
    for name in ("campaign_schedule", "campaign_pause"):
        assert client.post(reverse(f"marketing:{name}", args=[campaign.pk])).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_marketing_and_manager_are_served_and_names_are_escaped(
    campaign: Campaign, client_for: Any, marketing1: Any, manager: Any
) -> None:
    for user in (marketing1, manager):
        client = client_for(user)
        for url in urls(campaign):
            response = client.get(url)
            assert response.status_code == 200, url
        page = client.get(reverse("marketing:campaign_list")).content.decode()
        assert "&lt;b&gt;Spring&lt;/b&gt;" in page and "<b>Spring</b>" not in page


def test_create_edit_variant_schedule_and_pause_through_the_screens(
    client_for: Any, marketing1: Any, segment: Any, identity: Any
) -> None:
    client = client_for(marketing1)
    response = client.post(
        reverse("marketing:campaign_create"),
        {
            "name": "Autumn",
            "segment": segment.pk,
            "channel": "email",
            "purpose": "marketing",
            "identity": identity.pk,
            "time_zone": "Asia/Tehran",
            "throttle_per_minute": 0,
            "cap_days": 7,
            "test_mode": "none",
            "test_percent": 20,
            "winner_metric": "click",
            "winner_min_sent": 100,
            "winner_wait_hours": 24,
        },
    )
    campaign = Campaign.objects.get(name="Autumn")
    assert response.status_code == 302
    response = client.post(
        reverse("marketing:variant_create", args=[campaign.pk]),
        {"name": "A", "subject_en": "Hi {{ first_name | friend }}", "body_en": "Hello"},
    )
    assert response.status_code == 302
    assert CampaignVariant.objects.filter(campaign=campaign).count() == 1
    client.post(reverse("marketing:campaign_schedule", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    client.post(reverse("marketing:campaign_pause", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "paused"


def test_bad_input_is_refused_in_persian_and_changes_nothing(
    client_for: Any, marketing1: Any, campaign: Campaign
) -> None:
    speak_persian(marketing1)
    client = client_for(marketing1)
    variant = campaign.variants.get()
    response = client.post(
        reverse("marketing:variant_edit", args=[campaign.pk, variant.pk]),
        {"name": "A", "subject_en": "Hi {{ frist_name }}", "body_en": "x"},
    )
    assert response.status_code == 200
    assert "نشانه‌ی شخصی‌سازی ناشناخته" in response.content.decode()
    variant.refresh_from_db()
    assert "frist" not in variant.subject_en
    response = client.post(
        reverse("marketing:campaign_edit", args=[campaign.pk]),
        {
            "name": "Renamed",
            "segment": campaign.segment_id,
            "channel": "email",
            "purpose": "marketing",
            "time_zone": "Nowhere/City",
            "throttle_per_minute": 0,
            "cap_days": 7,
            "test_mode": "split",
            "test_percent": 20,
            "winner_metric": "click",
            "winner_min_sent": 100,
            "winner_wait_hours": 24,
        },
    )
    assert response.status_code == 200
    assert "منطقه زمانی" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "<b>Spring</b>"
    # A test with one variant cannot be scheduled.
    Campaign.objects.filter(pk=campaign.pk).update(test_mode="split")
    client.post(reverse("marketing:campaign_schedule", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_preview_as_a_customer_and_foreign_ids(
    client_for: Any, marketing1: Any, campaign: Campaign, segment: Any, identity: Any
) -> None:
    department = marketing1.departments.get()
    visible = member(
        segment,
        email="v@x.io",
        first_name="<i>Vi</i>",
        preferred_language="en",
        department=department,
    )
    hidden = member(segment, email="h@x.io", first_name="Hidden")
    client = client_for(marketing1)
    variant = campaign.variants.get()
    url = reverse("marketing:variant_preview", args=[campaign.pk, variant.pk])
    page = client.get(url, {"customer": visible.pk}).content.decode()
    assert "Hello &lt;i&gt;Vi&lt;/i&gt; (A)" in page
    page = client.get(url, {"customer": visible.pk, "language": "fa"}).content.decode()
    assert "سلام" in page
    assert "Hidden" not in client.get(url, {"customer": hidden.pk}).content.decode()
    other = make_campaign(segment, identity, marketing1, name="Other")
    foreign = reverse("marketing:variant_preview", args=[other.pk, variant.pk])
    assert client.get(foreign, {"customer": visible.pk}).status_code == 404
