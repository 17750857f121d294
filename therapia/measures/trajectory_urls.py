"""Outcome pages, charts and the FHIR export of completed questionnaires. To be mounted by
the project beside the measures app's own URLs:

    path("measures/", include("therapia.measures.trajectory_urls")),
"""

from __future__ import annotations

from django.urls import path

from therapia.measures import fhir_views, trajectory_views

app_name = "measures_outcomes"

urlpatterns = [
    path("clients/<uuid:public_id>/outcomes/", trajectory_views.outcomes, name="outcomes"),
    path("clients/<uuid:public_id>/outcomes/client-version/",
         trajectory_views.outcomes_client_version, name="client_version"),
    path("clients/<uuid:public_id>/fhir/", fhir_views.client_fhir, name="client_fhir"),
    path("questionnaires/<uuid:public_id>/fhir/", fhir_views.administration_fhir,
         name="administration_fhir"),
]
