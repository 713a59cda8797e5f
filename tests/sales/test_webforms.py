"""Web-form set-up: field mapping rules, the redirect URL check, auditing; the rate slot."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.core.netguard import validate_public_url
from peyvand.sales.models import WebForm
from peyvand.sales.webforms import FieldSpec, save_web_form, take_rate_slot

GOOD = [FieldSpec("name", "name", required=True), FieldSpec("email", "email")]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://example.com/x",
        "http://localhost/thanks",
        "http://127.0.0.1/",
        "http://[::1]/",
        "https://10.0.0.5/",
        "https://192.168.1.1/",
        "http://169.254.169.254/latest",
        "http://intranet/thanks",
        "http://printer.local/",
        "http://0.0.0.0/",
    ],
)
def test_private_or_non_http_redirects_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        validate_public_url(url)


def test_public_redirects_are_accepted() -> None:
    validate_public_url("https://www.example.com/thanks?x=1")
    validate_public_url("http://93.184.216.34/")


def _form(**fields: Any) -> WebForm:
    return WebForm(name="F", department=Department.objects.get(code="sales"), **fields)


def test_saving_checks_mapping_and_redirect_and_writes_nothing_on_error(manager: Any) -> None:
    cases = [
        [],
        [FieldSpec("email", "email")],  # no name/company
        [FieldSpec("name", "name")],  # no way to reach the lead
        [FieldSpec("Bad Name", "name"), FieldSpec("email", "email")],
        [FieldSpec("website", "name"), FieldSpec("email", "email")],  # the honeypot
        [FieldSpec("utm_source", "name"), FieldSpec("email", "email")],
        [FieldSpec("a", "name"), FieldSpec("a", "email")],
        [FieldSpec("a", "name"), FieldSpec("b", "name"), FieldSpec("c", "email")],
        [FieldSpec("a", "owner"), FieldSpec("email", "email"), FieldSpec("n", "name")],
    ]
    for specs in cases:
        with pytest.raises(ValidationError) as caught:
            save_web_form(_form(), specs, actor=manager)
        assert "fields" in caught.value.message_dict, specs
    with pytest.raises(ValidationError) as caught:
        save_web_form(_form(redirect_url="http://127.0.0.1/x"), GOOD, actor=manager)
    assert "redirect_url" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        save_web_form(WebForm(name="Nobody"), GOOD, actor=manager)
    assert "department" in caught.value.message_dict
    assert not WebForm.objects.exists() and not ChangeLog.objects.exists()


def test_a_saved_form_has_an_unguessable_key_and_is_audited(manager: Any) -> None:
    first = save_web_form(_form(), GOOD, actor=manager)
    second = save_web_form(_form(), GOOD, actor=manager)
    assert first.key != second.key and len(first.key) >= 16
    assert first.fields[0] == {
        "name": "name",
        "lead_field": "name",
        "required": True,
        "label": "",
        "label_fa": "",
    }
    assert ChangeLog.objects.filter(object_id=str(first.pk), actor=manager).count() == 1


def test_rate_slots_count_per_client_and_window(settings: Any) -> None:
    settings.PEYVAND_WEBFORM_RATE = "3/60"
    assert [take_rate_slot("a", now=120.0) for _ in range(4)] == [0, 0, 0, 60]
    assert take_rate_slot("a", now=150.0) == 30
    assert take_rate_slot("b", now=150.0) == 0
    assert take_rate_slot("a", now=180.0) == 0  # the next window
