from django.urls import path

from reports import assignments, panel_views, scheduling, targets, testmode, views

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
    # Issue 17, test mode, schedule, targets and assignments (branch h17b).
    path("<slug:slug>/test/", testmode.test_mode, name="test_mode"),
    path("<slug:slug>/test/links/", testmode.test_links_make, name="test_links"),
    path("<slug:slug>/test/mine/", testmode.test_link_mine, name="test_mine"),
    path("<slug:slug>/test/discard/", testmode.test_data_discard, name="test_discard"),
    path("<slug:slug>/schedule/", scheduling.schedule_page, name="schedule"),
    path("<slug:slug>/schedule/pause/", scheduling.fieldwork_pause, name="pause"),
    path("<slug:slug>/schedule/resume/", scheduling.fieldwork_resume, name="resume"),
    path("<slug:slug>/schedule/extend/", scheduling.fieldwork_extend, name="extend"),
    path("<slug:slug>/targets/", targets.targets, name="targets"),
    path("<slug:slug>/assignments/", assignments.assignments, name="assignments"),
    path("<slug:slug>/assignments/remove/", assignments.assignment_delete, name="unassign"),
]
