from django.urls import path

from fieldwork.ratelimits import respondent_limited
from integrations import views

app_name = "integrations"

urlpatterns = [
    path("p/<slug:survey>/<slug:provider>/", respondent_limited(views.entry), name="entry"),
]
