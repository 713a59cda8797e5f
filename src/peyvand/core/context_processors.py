from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language_bidi


def ui(request: HttpRequest) -> dict[str, Any]:
    return {"ui_dir": "rtl" if get_language_bidi() else "ltr"}
