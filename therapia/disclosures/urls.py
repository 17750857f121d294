from __future__ import annotations

from django.urls import path

from therapia.disclosures import views

app_name = "disclosures"

urlpatterns = [
    path("", views.practice_log, name="practice_log"),
    path("clients/<uuid:public_id>/", views.client_disclosures, name="client_disclosures"),
    path("clients/<uuid:public_id>/new/", views.disclosure_new, name="disclosure_new"),
    path("clients/<uuid:public_id>/accounting/", views.accounting, name="accounting"),
    path("clients/<uuid:public_id>/accounting/print/", views.accounting_print,
         name="accounting_print"),
    path("clients/<uuid:public_id>/authorisations/new/", views.authorisation_new,
         name="authorisation_new"),
    path("<uuid:public_id>/", views.disclosure, name="disclosure"),
    path("<uuid:public_id>/correct/", views.disclosure_correct, name="disclosure_correct"),
    path("documents/<uuid:public_id>/", views.document, name="document"),
    path("authorisations/<uuid:public_id>/", views.authorisation, name="authorisation"),
    path("authorisations/<uuid:public_id>/revoke/", views.authorisation_revoke,
         name="authorisation_revoke"),
]
