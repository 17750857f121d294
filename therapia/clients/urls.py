from __future__ import annotations

from django.urls import path

from therapia.clients import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("<uuid:public_id>/", views.client_overview, name="overview"),
    path("<uuid:public_id>/edit/", views.client_edit, name="edit"),
    path("<uuid:public_id>/people/new/", views.related_person_add, name="related_person_add"),
    path("<uuid:public_id>/care-team/", views.care_team, name="care_team"),
    path("<uuid:public_id>/care-team/<uuid:member_id>/end/", views.care_team_end,
         name="care_team_end"),
]
