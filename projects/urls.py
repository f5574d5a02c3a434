from django.urls import path

from projects import views

# The project page itself is composed with site visits and issues, so it is wired in
# hitech_zone/urls.py; these are the register and the project's own updates.
app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.xlsx", views.project_export, name="export"),
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
