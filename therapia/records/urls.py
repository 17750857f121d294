from __future__ import annotations

from django.urls import path

from therapia.records import views

app_name = "records"

urlpatterns = [
    path("clients/<uuid:public_id>/psychotherapy-notes/", views.psychotherapy_notes,
         name="psychotherapy_notes"),
    path("psychotherapy-notes/<uuid:public_id>/", views.psychotherapy_note,
         name="psychotherapy_note"),
]
