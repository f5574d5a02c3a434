from django.urls import path

from reports import brief_views, views

urlpatterns = [
    path("briefings/", views.briefing_list, name="briefing_list"),
    path("briefings/generate/", views.briefing_generate, name="briefing_generate"),
    path("briefings/subscriptions/", views.subscription_set, name="briefing_subscription"),
    path(
        "briefings/preview/<str:kind>/<str:period>/",
        views.briefing_preview_live,
        name="briefing_preview_live",
    ),
    path("briefings/<int:pk>/", views.briefing_detail, name="briefing_detail"),
    path("briefings/<int:pk>/preview/", views.briefing_preview, name="briefing_preview"),
    path("briefings/<int:pk>/pdf/", views.briefing_download, name="briefing_download"),
    path(
        "briefings/<int:pk>/register.xlsx",
        views.briefing_register_download,
        name="briefing_register_download",
    ),
    path("briefings/<int:pk>/retry/", views.briefing_retry, name="briefing_retry"),
    # Beside the project page (hitech_zone/urls.py), which links to it.
    path("projects/<str:code>/brief.pdf", brief_views.project_brief, name="project_brief"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/export.xlsx", views.alert_export, {"fmt": "xlsx"}, name="alert_export"),
    path("alerts/export.csv", views.alert_export, {"fmt": "csv"}, name="alert_export_csv"),
    path("alerts/detect/", views.slip_detect_now, name="slip_detect_now"),
]
