from django.urls import path

from fieldwork.ratelimits import respondent_limited
from respondents import views

app_name = "respondents"

urlpatterns = [
    path("s/<str:token>/", respondent_limited(views.entry), name="entry"),
    path("s/<str:token>/next/", respondent_limited(views.resume), name="resume"),
    path("s/<str:token>/language/", respondent_limited(views.change_language), name="language"),
    path("s/<str:token>/p/<str:page>/", respondent_limited(views.page), name="page"),
    path("o/<slug:slug>/", respondent_limited(views.open_link), name="open"),
]
