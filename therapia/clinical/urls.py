from __future__ import annotations

from django.urls import path

from therapia.clinical import views

app_name = "clinical"

urlpatterns = [
    path("clients/<uuid:public_id>/assessments/", views.assessments, name="assessments"),
    path("assessments/<uuid:public_id>/", views.assessment, name="assessment"),
    path("assessments/<uuid:public_id>/addenda/", views.assessment_addendum,
         name="assessment_addendum"),
    path("clients/<uuid:public_id>/diagnoses/", views.diagnoses, name="diagnoses"),
    path("diagnoses/<uuid:public_id>/", views.diagnosis, name="diagnosis"),
    path("codes/search/", views.icd_search, name="icd_search"),
    path("clients/<uuid:public_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("safety-plans/<uuid:public_id>/", views.safety_plan_version,
         name="safety_plan_version"),
    path("safety-plans/<uuid:public_id>/print/", views.safety_plan_print,
         name="safety_plan_print"),
    path("safety-plans/<uuid:public_id>/share/", views.safety_plan_share,
         name="safety_plan_share"),
    path("clients/<uuid:public_id>/medications/", views.medications, name="medications"),
    path("medications/<uuid:public_id>/", views.medication, name="medication"),
]
