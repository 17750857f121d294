from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("therapia.core.urls")),
    path("accounts/", include("therapia.accounts.urls")),
    path("clients/", include("therapia.clients.urls")),
    path("settings/", include("therapia.accounts.settings_urls")),
    path("agenda/", include("therapia.scheduling.urls")),
    path("records/", include("therapia.records.urls")),
    path("clinical/", include("therapia.clinical.urls")),
    path("disclosures/", include("therapia.disclosures.urls")),
    path("audit/", include("therapia.audit.urls")),
    path("security/", include("therapia.security.urls")),
    path("portal/", include("therapia.portal.urls")),
    path("measures/", include("therapia.measures.urls")),
    path("measures/", include("therapia.measures.trajectory_urls")),
]
