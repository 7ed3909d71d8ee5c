from django.urls import path

from reports import (
    assignments,
    panel_views,
    scheduling,
    targets,
    testmode,
    views,
    views_preview,
    views_questionnaire,
)

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("surveys/new/", views_questionnaire.survey_new, name="survey_new"),
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
    # The questionnaire: upload, download, publish, copy (views_questionnaire); preview.
    path("<slug:slug>/questionnaire/", views_questionnaire.questionnaire, name="questionnaire"),
    path(
        "<slug:slug>/questionnaire/upload/",
        views_questionnaire.questionnaire_upload,
        name="questionnaire_upload",
    ),
    path(
        "<slug:slug>/questionnaire/download/",
        views_questionnaire.questionnaire_download,
        name="questionnaire_download",
    ),
    path("<slug:slug>/publish/", views_questionnaire.publish, name="publish"),
    path("<slug:slug>/copy/", views_questionnaire.copy, name="copy"),
    path("<slug:slug>/preview/", views_preview.preview, name="preview"),
    path("<slug:slug>/preview/welcome/", views_preview.preview_welcome, name="preview_welcome"),
    path("<slug:slug>/preview/next/", views_preview.preview_resume, name="preview_resume"),
    path("<slug:slug>/preview/end/", views_preview.preview_end_page, name="preview_end"),
    path("<slug:slug>/preview/restart/", views_preview.preview_restart, name="preview_restart"),
    path("<slug:slug>/preview/language/", views_preview.preview_language, name="preview_language"),
    path("<slug:slug>/preview/p/<str:page>/", views_preview.preview_page, name="preview_page"),
]
