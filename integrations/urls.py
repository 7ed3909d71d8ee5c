from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("p/<slug:survey>/<slug:provider>/", views.entry, name="entry"),
]
