"""Dates keep to 2000-01-01..2100-12-31 wherever they come in (`hitech_zone.dates`): a web
form, the admin and an API input each refuse the day after the range and the day before
it with the same message, and take the range's last day."""

from datetime import date

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.utils import translation
from ninja import Router, Schema
from ninja.testing import TestClient

from hitech_zone import dates
from hitech_zone.api_types import ApiDate
from projects.forms import RebaselineForm
from projects.models import Milestone
from tests import factories

pytestmark = pytest.mark.django_db

MESSAGE = "Enter a date between 2000-01-01 and 2100-12-31."
OUTSIDE = ["2101-01-01", "1999-12-31"]
LAST_DAY = "2100-12-31"


@pytest.mark.parametrize("day", OUTSIDE)
def test_a_web_form_refuses_a_date_outside_the_range(day):
    form = RebaselineForm({"version": 1, "baseline_date": day, "reason": "计划调整"})

    with translation.override("en"):
        assert form.errors == {"baseline_date": [MESSAGE]}


def test_a_web_form_takes_the_range_s_last_day():
    form = RebaselineForm({"version": 1, "baseline_date": LAST_DAY, "reason": "计划调整"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["baseline_date"] == date(2100, 12, 31)


def post_milestone(client, admin_user, project, day: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(admin_user)
    return client.post(
        "/admin/projects/milestone/add/",
        {
            "project": project.pk,
            "phase": "",
            "sequence": 1,
            "name": "竣工验收",
            "baseline_date": day,
            "forecast_date": "",
            "actual_date": "",
            "_save": "Save",
        },
    )


@pytest.mark.parametrize("day", OUTSIDE)
def test_the_admin_refuses_a_date_outside_the_range(client, admin_user, day):
    project = factories.ProjectFactory()
    response = post_milestone(client, admin_user, project, day)

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors == {"baseline_date": [MESSAGE]}
    assert not Milestone.objects.exists()


def test_the_admin_takes_the_range_s_last_day(client, admin_user):
    project = factories.ProjectFactory()
    response = post_milestone(client, admin_user, project, LAST_DAY)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Milestone.objects.get().baseline_date == date(2100, 12, 31)


def test_every_date_field_in_the_admin_keeps_to_the_range(admin_user):
    """Every admin page (and inline) of a model of the three apps: a date field without the
    rule fails here, so an admin added later cannot let 9999-12-31 in."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    missing = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"projects", "inspections", "reports"}:
            continue
        forms = [(model, model_admin.get_form(request))]
        forms += [
            (inline.model, inline.get_formset(request).form)
            for inline in model_admin.get_inline_instances(request)
        ]
        for form_model, form in forms:
            for name, field in form.base_fields.items():
                model_field = form_model._meta.get_field(name)
                is_date = isinstance(model_field, models.DateField) and not isinstance(
                    model_field, models.DateTimeField
                )
                if is_date and dates.refuse_out_of_range not in field.validators:
                    missing.append(f"{form_model.__name__}.{name}")
    assert missing == []


class DateIn(Schema):
    day: ApiDate


router = Router()


@router.post("/probe")
def probe(request, body: DateIn) -> dict:
    return {"day": body.day.isoformat()}


@pytest.mark.parametrize("day", OUTSIDE)
def test_an_api_input_refuses_a_date_outside_the_range(day):
    """No API operation takes a date yet (the API reads); this one, made for the test,
    takes one as every future input will, through `ApiDate`."""
    with translation.override("en"):
        response = TestClient(router).post("/probe", json={"day": day})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["type"], error["msg"]) == ("date_range", MESSAGE)


def test_an_api_input_takes_the_range_s_last_day():
    response = TestClient(router).post("/probe", json={"day": LAST_DAY})

    assert response.status_code == 200
    assert response.json() == {"day": LAST_DAY}
