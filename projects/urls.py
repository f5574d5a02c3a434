from django.urls import path

from projects import views

# The project page itself is composed with site visits and issues, so it is wired in
# hitech_zone/urls.py; these are the register, its exports and imports, and the project's
# own updates. They come before the project page there, so "import/" is not a project code.
app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.xlsx", views.project_export, {"fmt": "xlsx"}, name="export"),
    path("export.csv", views.project_export, {"fmt": "csv"}, name="export_csv"),
    path(
        "milestones/export.xlsx", views.milestone_export, {"fmt": "xlsx"}, name="milestone_export"
    ),
    path(
        "milestones/export.csv", views.milestone_export, {"fmt": "csv"}, name="milestone_export_csv"
    ),
    path(
        "investment/export.xlsx",
        views.investment_export,
        {"fmt": "xlsx"},
        name="investment_export",
    ),
    path(
        "investment/export.csv",
        views.investment_export,
        {"fmt": "csv"},
        name="investment_export_csv",
    ),
    path("import/", views.project_import, name="import"),
    path(
        "import/templates/<str:name>.xlsx",
        views.project_import_template,
        name="import_template",
    ),
    path("import/<int:pk>/", views.project_import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.project_import_confirm, name="import_confirm"),
    path("<str:code>/status/", views.project_status_update, name="status"),
    path(
        "<str:code>/milestones/<int:pk>/dates/",
        views.milestone_dates_update,
        name="milestone_dates",
    ),
    path(
        "<str:code>/milestones/<int:pk>/rebaseline/",
        views.milestone_rebaseline,
        name="milestone_rebaseline",
    ),
    path("<str:code>/investment/<int:month>/", views.monthly_investment_update, name="investment"),
    path("<str:code>/notes/", views.progress_note_create, name="note"),
]
