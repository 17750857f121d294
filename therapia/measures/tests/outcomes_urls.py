"""The project's URLs with the outcome pages mounted as the lead will mount them
(trajectory_urls.py), for tests that run before that include lands."""

from __future__ import annotations

from django.urls import URLResolver, include, path

from therapia.urls import urlpatterns as project

_mounted = any(isinstance(p, URLResolver) and p.namespace == "measures_outcomes"
               for p in project)
urlpatterns = [*project] if _mounted else [
    *project, path("measures/", include("therapia.measures.trajectory_urls"))]
