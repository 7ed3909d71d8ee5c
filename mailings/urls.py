from django.urls import path

from mailings import views

app_name = "mailings"

urlpatterns = [
    path("m/<str:token>/", views.open_link, name="open"),
    path("m/<str:token>/opt-out/", views.opt_out, name="opt_out"),
]
