from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fieldwork.health import health
from fieldwork.ratelimits import login_limited
from surveys.views import home

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("", include("respondents.urls")),
    path("", include("integrations.urls")),
    path("manage/", include("reports.urls")),
    path("accounts/login/", login_limited(auth_views.LoginView.as_view()), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/login/", login_limited(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
