from django.urls import path

from reports import panel_views, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.survey, name="survey"),
    path("<slug:slug>/live/", views.survey_live, name="live"),
    path("<slug:slug>/review/", views.review_queue, name="review"),
    path("<slug:slug>/review/decide/", views.review_decide, name="decide"),
    path("<slug:slug>/export/", views.export, name="export"),
    path("<slug:slug>/export/<str:token>/", views.export_job, name="export_job"),
    path("<slug:slug>/export/<str:token>/status/", views.export_status, name="export_status"),
    path("<slug:slug>/export/<str:token>/download/", views.export_download, name="export_download"),
    path("<slug:slug>/toplines/", views.toplines, name="toplines"),
    path("<slug:slug>/toplines/download/", views.toplines_download, name="toplines_download"),
    path("<slug:slug>/crosstab/", views.crosstab, name="crosstab"),
    path("<slug:slug>/published/", views.published, name="published"),
    # The panel and its messages (reports/panel_views.py, over the mailings app).
    path("<slug:slug>/panel/", panel_views.panel, name="panel"),
    path("<slug:slug>/panel/upload/", panel_views.panel_upload_view, name="panel_upload"),
    path("<slug:slug>/panel/download/", panel_views.panel_download, name="panel_download"),
    path("<slug:slug>/panel/send/", panel_views.panel_send, name="panel_send"),
    path("<slug:slug>/panel/schedule/", panel_views.panel_schedule, name="panel_schedule"),
    path("<slug:slug>/panel/remind/", panel_views.panel_remind, name="panel_remind"),
    path("<slug:slug>/panel/messages/", panel_views.panel_messages, name="panel_messages"),
]
