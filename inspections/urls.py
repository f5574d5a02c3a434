from django.urls import path

from inspections import views

urlpatterns = [
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/export.xlsx", views.issue_export, {"fmt": "xlsx"}, name="issue_export"),
    path("issues/export.csv", views.issue_export, {"fmt": "csv"}, name="issue_export_csv"),
    path("issues/board/", views.department_board, name="department_board"),
    path("issues/<int:pk>/", views.issue_detail, name="issue_detail"),
    path("issues/<int:pk>/<str:name>/", views.issue_transition, name="issue_transition"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/export.xlsx", views.visit_export, name="visit_export"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/draft/", views.visit_draft, name="visit_draft"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("media/photos/<int:pk>/<str:size>/", views.photo_file, name="photo_file"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notifications_read"),
]
