from __future__ import annotations

from django.urls import path

from therapia.clients import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("referrals/new/", views.referral_create, name="referral_create"),
    path("waiting-list/", views.waiting_list, name="waiting_list"),
    path("waiting-times/", views.waiting_times, name="waiting_times"),
    path("episodes/<uuid:episode_id>/", views.episode_detail, name="episode"),
    path("episodes/<uuid:episode_id>/move/", views.episode_move, name="episode_move"),
    path("<uuid:public_id>/", views.client_overview, name="overview"),
    path("<uuid:public_id>/edit/", views.client_edit, name="edit"),
    path("<uuid:public_id>/people/new/", views.related_person_add, name="related_person_add"),
    path("<uuid:public_id>/care-team/", views.care_team, name="care_team"),
    path("<uuid:public_id>/referrals/new/", views.referral_add, name="referral_add"),
    path("<uuid:public_id>/timeline/", views.timeline, name="timeline"),
    path("<uuid:public_id>/care-team/<uuid:member_id>/end/", views.care_team_end,
         name="care_team_end"),
]
