from django.urls import path, re_path

from openrosa import views

app_name = "openrosa"

# The paths ODK Collect and KoboCollect ask for under the server's address: without a
# trailing slash (a redirect would lose a POST's body).
urlpatterns = [
    re_path(r"^formList/?$", views.form_list, name="form_list"),
    re_path(r"^submission/?$", views.submission, name="submission"),
    path("forms/<slug:slug>/form.xml", views.form, name="form"),
    path("forms/<slug:slug>/manifest", views.manifest, name="manifest"),
]
