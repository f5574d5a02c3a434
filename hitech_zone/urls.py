from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.i18n import set_language

from hitech_zone import api, logins
from hitech_zone import views as account_views
from reports import views as report_views

urlpatterns = [
    path("", report_views.dashboard, name="dashboard"),
    path("lights/", report_views.lights_explained, name="lights"),
    # The register's own paths first: "projects/import/" is the import page, not a project.
    path("projects/", include("projects.urls")),
    path("projects/<str:code>/", report_views.project_page, name="project_detail"),
    path("", include("reports.urls")),
    path("", include("inspections.urls")),
    path("", include("inspections.rounds.urls")),
    path(
        "accounts/login/",
        logins.SignInView.as_view(),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language can be switched on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("account/tokens/", account_views.api_token_list, name="api_token_list"),
    path("account/tokens/new/", account_views.api_token_create, name="api_token_create"),
    path(
        "account/tokens/<int:pk>/revoke/", account_views.api_token_revoke, name="api_token_revoke"
    ),
    # Health checks for the load balancer and the orchestrator (public), and the
    # operations metrics (officials and admins; Prometheus may send an API key).
    path("healthz/live", account_views.healthz_live, name="healthz_live"),
    path("healthz/ready", account_views.healthz_ready, name="healthz_ready"),
    path("healthz/beat", account_views.healthz_beat, name="healthz_beat"),
    path("healthz/worker", account_views.healthz_worker, name="healthz_worker"),
    path("metrics/", account_views.metrics_page, name="metrics"),
    path("metrics/prometheus", account_views.metrics_prometheus, name="metrics_prometheus"),
    # The audit log (leaders and admins): read-only, no edit views.
    path("audit/", account_views.audit_log, name="audit_log"),
    path("audit/export.csv", account_views.audit_log_export, name="audit_log_export"),
    # The JSON API for the city's platform: token auth, never the sign-in redirect.
    path("api/v1/", api.urls()),
    re_path(r"^api/", api.not_found),
    path("admin/", admin.site.urls),
]

# Error pages in the app's layout and the user's language. A database outage answers
# 503 with Retry-After; any other fault the 500 page, with the request id.
handler400 = "hitech_zone.views.bad_request"
handler403 = "hitech_zone.views.permission_denied"
handler404 = "hitech_zone.views.page_not_found"
handler500 = "hitech_zone.views.server_error"
