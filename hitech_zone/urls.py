from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from reports import views as report_views

urlpatterns = [
    path("", report_views.dashboard, name="dashboard"),
    path("lights/", report_views.lights_explained, name="lights"),
    path("projects/<str:code>/", report_views.project_page, name="project_detail"),
    path("projects/", include("projects.urls")),
    path("", include("reports.urls")),
    path("", include("inspections.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language can be switched on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
