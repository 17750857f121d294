from __future__ import annotations

from django.urls import path

from therapia.clients import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("<uuid:public_id>/", views.client_overview, name="overview"),
    path("<uuid:public_id>/edit/", views.client_edit, name="edit"),
]
