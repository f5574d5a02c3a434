from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from reports import views as report_views

urlpatterns = [
    path("", report_views.dashboard, name="dashboard"),
    path("projects/", include("projects.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
