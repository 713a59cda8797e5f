from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_healthz_reports_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_language_switch_sets_cookie_and_profile(client_for, sales1) -> None:
    client = client_for(sales1)
    response = client.post("/i18n/language/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    sales1.refresh_from_db()
    assert sales1.language == "en"
    page = client.get("/")
    assert b'dir="ltr"' in page.content
    client.post("/i18n/language/", {"language": "fa", "next": "/"})
    page = client.get("/")
    assert b'dir="rtl"' in page.content and b'lang="fa"' in page.content
