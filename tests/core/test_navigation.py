"""The main menu offers each person exactly the pages they may open: every link in it
answers 200 for them, and a section with nothing for them is left out."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="mainnav".*?</nav>', re.S)


def _menu(client: Any) -> tuple[list[str], list[str]]:
    html = NAV.search(client.get("/").content.decode()).group(0)
    return re.findall(r'href="([^"]+)"', html), re.findall(r"<summary>([^<]+)</summary>", html)


@pytest.mark.parametrize("who", ["manager", "sales1", "service1", "marketing1"])
def test_every_menu_link_opens(personas: dict[str, Any], client_for: Any, who: str) -> None:
    client = client_for(personas[who])
    links, sections = _menu(client)
    assert links and sections
    for href in links:
        assert client.get(href).status_code == 200, href


def test_sections_follow_rights(personas: dict[str, Any], client_for: Any) -> None:
    _links, manager_sections = _menu(client_for(personas["manager"]))
    _links, sales_sections = _menu(client_for(personas["sales1"]))
    assert manager_sections == ["Sales", "Service", "Marketing", "Analytics", "Administration"]
    assert "Marketing" not in sales_sections
