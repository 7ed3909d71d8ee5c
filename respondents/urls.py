from django.urls import path

from respondents import views

app_name = "respondents"

urlpatterns = [
    path("s/<str:token>/", views.entry, name="entry"),
    path("s/<str:token>/next/", views.resume, name="resume"),
    path("s/<str:token>/language/", views.change_language, name="language"),
    path("s/<str:token>/p/<str:page>/", views.page, name="page"),
    path("o/<slug:slug>/", views.open_link, name="open"),
]
