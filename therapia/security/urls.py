from __future__ import annotations

from django.urls import path

from therapia.security import views

app_name = "security"

urlpatterns = [
    path("emergency-access/", views.emergency_access_page, name="emergency_access"),
    path("clients/<uuid:public_id>/emergency-access/", views.emergency_access_page,
         name="client_emergency_access"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<uuid:public_id>/", views.review, name="review"),
    path("clients/<uuid:public_id>/directives/", views.directives, name="directives"),
    path("clients/<uuid:public_id>/guardians/", views.guardians, name="guardians"),
    path("clients/<uuid:public_id>/directives/<uuid:directive_id>/withdraw/",
         views.directive_revoke, name="directive_revoke"),
]
