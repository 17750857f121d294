from __future__ import annotations

from django.urls import path

from therapia.accounts import settings_views

app_name = "practice"

urlpatterns = [
    path("", settings_views.people, name="people"),
]
