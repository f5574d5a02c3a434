from django.urls import path

from inspections.rounds import check_views, fill_views

urlpatterns = [
    # Officials and leaders: the rounds, their state and the check queue.
    path("rounds/", check_views.round_index, name="round_index"),
    path("rounds/<int:year>-<int:month>/", check_views.round_detail, name="round_detail"),
    path(
        "rounds/<int:year>-<int:month>/export.xlsx", check_views.round_export, name="round_export"
    ),
    path("rounds/queue/", check_views.check_queue, name="round_check_queue"),
    path("rounds/reports/<int:pk>/", check_views.report_detail, name="round_report"),
    path("rounds/reports/<int:pk>/accept/", check_views.report_accept, name="round_report_accept"),
    path("rounds/reports/<int:pk>/return/", check_views.report_return, name="round_report_return"),
    # Project managers: their reports to fill, the form, a correction of an accepted one.
    path("rounds/mine/", fill_views.my_reports, name="round_my_reports"),
    path("rounds/reports/<int:pk>/fill/", fill_views.report_fill, name="round_report_fill"),
    path(
        "rounds/reports/<int:pk>/correct/", fill_views.report_correct, name="round_report_correct"
    ),
    path(
        "media/report-photos/<int:pk>/<str:size>/",
        fill_views.report_photo_file,
        name="round_report_photo",
    ),
]
