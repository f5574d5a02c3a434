from django.http import HttpResponse
from django.urls import include, path


def floor(request):
    """The bare view: a fixed response through the same middleware, for the same user."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("hitech_zone.urls")),
]
