from __future__ import annotations

app_name = "interactions"

urlpatterns: list = []
