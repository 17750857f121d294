from __future__ import annotations

from django.urls import path

from therapia.accounts import settings_views

app_name = "practice"

urlpatterns = [
    path("", settings_views.people, name="people"),
    path("people/<uuid:public_id>/", settings_views.person, name="person"),
    path("people/<uuid:public_id>/role/", settings_views.member_role, name="member_role"),
    path("people/<uuid:public_id>/membership/", settings_views.member_active,
         name="member_active"),
    path("people/<uuid:public_id>/profile/", settings_views.profile_edit, name="profile_edit"),
    path("people/<uuid:public_id>/licences/add/", settings_views.licence_add,
         name="licence_add"),
    path("people/<uuid:public_id>/education/add/", settings_views.ce_add, name="ce_add"),
    path("licences/<uuid:public_id>/", settings_views.licence_edit, name="licence_edit"),
    path("education/<uuid:public_id>/", settings_views.ce_edit, name="ce_edit"),
]
