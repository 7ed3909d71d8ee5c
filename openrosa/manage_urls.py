"""The field manager's pages of the OpenRosa server, under /manage/<survey>/tablets/."""

from django.urls import path

from openrosa import views

app_name = "openrosa_manage"

urlpatterns = [
    path("<slug:slug>/tablets/", views.received, name="received"),
    path("<slug:slug>/tablets/again/", views.process_again, name="process_again"),
]
