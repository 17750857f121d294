from __future__ import annotations

from django.urls import path

from therapia.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.agenda, name="agenda"),
]
