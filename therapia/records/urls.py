from __future__ import annotations

from django.urls import path

from therapia.records import note_views, plan_views, views

app_name = "records"

urlpatterns = [
    path("clients/<uuid:public_id>/psychotherapy-notes/", views.psychotherapy_notes,
         name="psychotherapy_notes"),
    path("psychotherapy-notes/<uuid:public_id>/", views.psychotherapy_note,
         name="psychotherapy_note"),
    # Progress notes
    path("clients/<uuid:public_id>/notes/", note_views.notes, name="notes"),
    path("clients/<uuid:public_id>/notes/new/", note_views.note_new, name="note_new"),
    path("notes/<uuid:public_id>/", note_views.note, name="note"),
    path("notes/<uuid:public_id>/edit/", note_views.note_edit, name="note_edit"),
    path("notes/<uuid:public_id>/co-signature/", note_views.note_cosign, name="note_cosign"),
    path("notes/<uuid:public_id>/addenda/", note_views.note_addendum, name="note_addendum"),
    path("notes/<uuid:public_id>/versions/", note_views.note_history, name="note_history"),
    path("co-signature/", note_views.cosign_queue, name="cosign_queue"),
    path("sessions/<uuid:public_id>/group-note/", note_views.group_note, name="group_note"),
    # Treatment plans
    path("clients/<uuid:public_id>/plan/", plan_views.plan, name="plan"),
    path("clients/<uuid:public_id>/plan/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<uuid:public_id>/versions/<int:number>/", plan_views.plan_version,
         name="plan_version"),
    path("plans/<uuid:public_id>/sign-off/", plan_views.plan_sign_off, name="plan_sign_off"),
    path("plans/due/", plan_views.plans_due, name="plans_due"),
]
