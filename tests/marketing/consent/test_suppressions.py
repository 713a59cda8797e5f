"""The suppression list for staff: list, search, add, remove and CSV import, on the pages
and at /api/v1/suppressions; marketing may, other personas get 404; every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from peyvand.audit.models import ChangeLog
from peyvand.marketing.models import Suppression
from tests.api.conftest import fields_of, problem_of

pytestmark = pytest.mark.django_db

LIST = "/marketing/suppressions/"


@pytest.mark.parametrize("persona", ["sales1", "sales2", "service1"])
def test_other_personas_get_404_everywhere(
    persona: str, personas: dict[str, Any], client_for: Any, api_client: Any
) -> None:
    row = Suppression.objects.create(channel="email", address="a@example.com", reason="manual")
    client, api = client_for(personas[persona]), api_client(personas[persona])
    assert client.get(LIST).status_code == 404
    assert client.post(f"{LIST}add/", {"channel": "email", "address": "b@x.io"}).status_code == 404
    assert client.post(f"{LIST}{row.pk}/remove/").status_code == 404
    assert api.get("/api/v1/suppressions").status_code == 404
    assert api.delete(f"/api/v1/suppressions/{row.pk}").status_code == 404
    assert Suppression.objects.count() == 1


def test_marketing_adds_searches_and_removes_with_audit(marketing1: Any, client_for: Any) -> None:
    client = client_for(marketing1)
    response = client.post(
        f"{LIST}add/",
        {
            "channel": "email",
            "address": " Ana@Example.COM ",
            "reason": "manual",
            "source": "<i>asked by phone</i>",
        },
    )
    assert response.status_code == 302
    row = Suppression.objects.get()
    assert (row.address, row.created_by) == ("ana@example.com", marketing1)
    client.post(f"{LIST}add/", {"channel": "sms", "address": "0912 123 4567", "reason": "manual"})
    assert Suppression.objects.filter(channel="sms", address="+989121234567").exists()
    page = client.get(LIST, {"q": "ANA@example"}).content.decode()
    assert '<bdi dir="ltr">ana@example.com' in page
    assert '<bdi dir="ltr">+989121234567' not in page
    assert "&lt;i&gt;asked by phone&lt;/i&gt;" in page
    assert client.post(f"{LIST}{row.pk}/remove/").status_code == 302
    assert not Suppression.objects.filter(pk=row.pk).exists()
    actions = list(
        ChangeLog.objects.filter(content_type__model="suppression", object_id=str(row.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "delete"]


def test_bad_address_is_refused_and_changes_nothing(marketing1: Any, client_for: Any) -> None:
    client = client_for(marketing1)
    response = client.post(
        f"{LIST}add/", {"channel": "email", "address": "not an email", "reason": "manual"}
    )
    assert response.status_code == 400 and "not a valid email address" in response.content.decode()
    response = client.post(f"{LIST}add/", {"channel": "sms", "address": "12", "reason": "manual"})
    assert response.status_code == 400 and "not a valid phone number" in response.content.decode()
    assert client.post(f"{LIST}999999/remove/").status_code == 404
    assert not Suppression.objects.exists()


def test_csv_import_reports_every_bad_row_and_imports_nothing_then(
    marketing1: Any, client_for: Any
) -> None:
    client = client_for(marketing1)
    bad = b"address,channel,reason\nok@example.com,email,\nbroken,email,\nx@example.com,fax,\nz@example.com,email,spam\n"
    response = client.post(f"{LIST}import/", {"file": SimpleUploadedFile("s.csv", bad)})
    body = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported" in body
    for line in ("<td>3</td>", "<td>4</td>", "<td>5</td>"):
        assert line in body
    assert not Suppression.objects.exists()
    good = "\ufeffAddress,Channel\nOk@Example.com,email\n09121234567,sms\nok@example.com,email\n".encode()
    response = client.post(f"{LIST}import/", {"file": SimpleUploadedFile("s.csv", good)})
    assert response.status_code == 302
    assert set(Suppression.objects.values_list("address", flat=True)) == {
        "ok@example.com",
        "+989121234567",
    }
    assert ChangeLog.objects.filter(content_type__model="suppression").count() == 2


def test_the_api_lists_adds_imports_and_deletes(marketing1: Any, api_client: Any) -> None:
    api = api_client(marketing1)
    created = api.post(
        "/api/v1/suppressions", {"address": "B@X.io"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["address"] == "b@x.io"
    again = api.post("/api/v1/suppressions", {"address": "b@x.io"}, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    bad = api.post("/api/v1/suppressions", {"address": "nope"}, content_type="application/json")
    assert "address" in fields_of(problem_of(bad, 422))
    listed = api.get("/api/v1/suppressions", {"q": "b@x"}).json()
    assert [item["address"] for item in listed["items"]] == ["b@x.io"]
    upload = api.post(
        "/api/v1/suppressions/import", {"csv": "address\nbad\n"}, content_type="application/json"
    )
    assert problem_of(upload, 400)["errors"][0]["field"].startswith("line 2")
    upload = api.post(
        "/api/v1/suppressions/import", {"csv": "address\nc@x.io\n"}, content_type="application/json"
    )
    assert upload.json() == {"added": 1, "already": 0}
    assert api.delete(f"/api/v1/suppressions/{created.json()['id']}").status_code == 204
    assert api.get(f"/api/v1/suppressions/{created.json()['id']}").status_code == 404
    assert list(Suppression.objects.values_list("address", flat=True)) == ["c@x.io"]
