from __future__ import annotations

app_name = "sales"

urlpatterns: list = []
