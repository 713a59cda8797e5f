"""`peyvand token create|list|revoke`."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from peyvand.access.models import ApiToken, hash_token
from tests.access.helpers import audit_rows


def _run(*args: str) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_create_prints_a_working_token(sales1: Any) -> None:
    raw = _run(
        "create", "sales1", "--scope", "customers:read", "--scope", "orders:write", "--name", "ERP"
    ).strip()
    token = ApiToken.objects.get(user=sales1)
    assert token.key_hash == hash_token(raw)
    assert token.scopes == ["customers:read", "orders:write"]
    assert token.name == "ERP"
    row = audit_rows(token)[0]
    assert row.action == "create" and row.actor_name == "system"


def test_create_without_scope_grants_everything_the_user_may_do(sales1: Any) -> None:
    _run("create", "sales1")
    assert ApiToken.objects.get(user=sales1).scopes == ["*"]


def test_unknown_scope_is_rejected_with_the_valid_list(sales1: Any) -> None:
    with pytest.raises(CommandError) as excinfo:
        _run("create", "sales1", "--scope", "customers:read", "--scope", "customers:delete")
    message = str(excinfo.value)
    assert "customers:delete" in message
    assert "interactions:write" in message
    assert not ApiToken.objects.exists()


def test_unknown_user_is_an_error(db: Any) -> None:
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        _run("create", "ghost")


def test_list_and_revoke(sales1: Any) -> None:
    raw = _run("create", "sales1", "--name", "cli").strip()
    prefix = raw[:12]
    listing = _run("list", "sales1")
    assert prefix in listing and "active" in listing and raw not in listing
    assert _run("revoke", prefix).strip() == f"revoked {prefix}"
    assert "revoked" in _run("list", "sales1").split("\t")[-1]
    assert not ApiToken.objects.usable().exists()
    with pytest.raises(CommandError, match="no token with prefix"):
        _run("revoke", "pvk_nothing")
