from __future__ import annotations

from django.urls import path

from therapia.audit import views

app_name = "audit"

urlpatterns = [
    path("clients/<uuid:public_id>/access/", views.client_access_report, name="client_access"),
]
