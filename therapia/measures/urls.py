"""Mounted by the project at /measures/ (app_name "measures")."""

from __future__ import annotations

from django.urls import path

from therapia.measures import views

app_name = "measures"

urlpatterns = [
    path("clients/<uuid:public_id>/", views.questionnaires, name="questionnaires"),
    path("clients/<uuid:public_id>/paper/", views.paper_entry, name="paper_entry"),
    path("questionnaires/<uuid:public_id>/", views.administration, name="administration"),
    path("questionnaires/<uuid:public_id>/link/", views.administration_link,
         name="administration_link"),
    path("questionnaires/<uuid:public_id>/cancel/", views.administration_cancel,
         name="administration_cancel"),
    path("episodes/<uuid:episode_id>/plan/", views.plan, name="plan"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<uuid:public_id>/", views.alert, name="alert"),
]
