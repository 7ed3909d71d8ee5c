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
    path("manage/", include("openrosa.manage_urls")),
    path("", include("mailings.urls")),
    path("manage/", include("reports.urls")),
    path("accounts/login/", login_limited(auth_views.LoginView.as_view()), name="login"),
    # Only logging out and changing one's password: no password reset by mail, which
    # needs a mail backend and a rate limit of its own (see docs/decisions/0019).
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/login/", login_limited(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("openrosa/", include("openrosa.urls")),
]
