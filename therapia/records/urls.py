from __future__ import annotations

app_name = "records"

urlpatterns: list[object] = []
