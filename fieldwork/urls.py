from django.contrib import admin
from django.urls import include, path

from fieldwork.health import health
from surveys.views import home

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("", include("respondents.urls")),
    path("", include("integrations.urls")),
    path("manage/", include("reports.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
