from __future__ import annotations

from django.urls import path

from therapia.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("calendar/", views.calendar, name="calendar"),
    path("book/", views.book, name="book"),
    path("sessions/<uuid:public_id>/", views.session, name="session"),
    path("sessions/<uuid:public_id>/move/", views.session_move, name="session_move"),
    path("sessions/<uuid:public_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<uuid:public_id>/attendance/", views.session_attendance,
         name="session_attendance"),
    path("sessions/<uuid:public_id>/members/<uuid:member_id>/", views.member_attendance,
         name="member_attendance"),
    path("clients/<uuid:public_id>/sessions/", views.client_sessions, name="client_sessions"),
    path("episodes/<uuid:public_id>/follow-up/", views.follow_up, name="follow_up"),
    path("groups/", views.group_list, name="groups"),
    path("groups/<uuid:public_id>/", views.group_detail, name="group"),
    path("availability/", views.availability, name="availability"),
    path("settings/", views.settings_page, name="settings"),
    path("reminders/", views.reminder_log, name="reminders"),
    path("feed/", views.feed_manage, name="feed_manage"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
