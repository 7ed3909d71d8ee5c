from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from api import views
from api.exceptions import not_found

app_name = "api"

urlpatterns = [
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "v1/schema/swagger/",
        # Swagger UI sets a few styles from its script; the pages hold no user data.
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="swagger",
    ),
    path(
        "v1/schema/redoc/",
        # Redoc writes its styles as <style> elements and renders in a blob: worker.
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
    path("v1/surveys/", views.SurveyList.as_view(), name="surveys"),
    path("v1/surveys/<slug:slug>/", views.SurveyDetail.as_view(), name="survey"),
    path("v1/surveys/<slug:slug>/quotas/", views.QuotaList.as_view(), name="quotas"),
    path("v1/surveys/<slug:slug>/submissions/", views.SubmissionList.as_view(), name="submissions"),
    path(
        "v1/surveys/<slug:slug>/submissions/<int:pk>/",
        views.SubmissionDetail.as_view(),
        name="submission",
    ),
    path(
        "v1/surveys/<slug:slug>/submissions/<int:pk>/verdict/",
        views.SubmissionVerdict.as_view(),
        name="verdict",
    ),
    path("v1/surveys/<slug:slug>/exports/", views.ExportList.as_view(), name="exports"),
    path(
        "v1/surveys/<slug:slug>/exports/<slug:token>/", views.ExportDetail.as_view(), name="export"
    ),
    path(
        "v1/surveys/<slug:slug>/exports/<slug:token>/file/",
        views.ExportFile.as_view(),
        name="export-file",
    ),
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    # ([\s\S], not '.', which stops at a newline: '/api/v1/surveys/a%0A/' is a 404 too.)
    re_path(r"^(?P<path>[\s\S]*)$", not_found, name="not-found"),
]
