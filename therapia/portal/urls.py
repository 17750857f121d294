from __future__ import annotations

from django.urls import path

from therapia.portal import views

app_name = "portal"
urlpatterns = [
    path("q/<str:token>/", views.questionnaire, name="questionnaire"),
    path("q/<str:token>/done/", views.done, name="done"),
]
