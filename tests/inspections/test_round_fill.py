"""The monthly round from the project manager's side (月报填报): the form, drafts, one
submission per key, entries kept on every refusal, photos, returned and corrected reports,
and the project page's investment section, which managers no longer edit directly."""

import io
import os
import re
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections import photos as photo_store
from inspections.models import (
    Issue,
    MonthlyReport,
    MonthlyReportPhoto,
    MonthlyReportStep,
    ReportingRound,
)
from inspections.rounds import services
from projects import progress
from projects.models import MonthlyInvestment
from tests import factories

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

State = MonthlyReport.State
HTMX = {"HX-Request": "true"}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def jpeg(name: str = "site.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "#1a7f37").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def open_report(project, today: date | None = None) -> MonthlyReport:
    """The report of `project` in the round opened this month (for last month)."""
    year, month = services.round_month_for(today or timezone.localdate())
    round_, _created = ReportingRound.objects.get_or_create(
        year=year, month=month, defaults={"deadline": services.round_deadline(year, month)}
    )
    return MonthlyReport.objects.get_or_create(round=round_, project=project)[0]


def fill_url(report) -> str:
    return reverse("round_report_fill", args=[report.pk])


def form_data(report, **overrides) -> dict:
    """What the form posts: the version the user saw and a fresh submission key."""
    report.refresh_from_db()
    return {
        "submission_key": str(uuid.uuid4()),
        "version": str(report.version),
        "completed_amount": "1250.50",
        "cumulative": "",
        "physical_progress": "主体结构封顶，设备进场安装",
        "employees_on_site": "180",
        "in_statistics_on": "",
        **{
            f"problem_{index}_{name}": ""
            for index in range(3)
            for name in ("category", "description")
        },
        "action": "save",
        **overrides,
    }


def first_day(report) -> date:
    return date(report.round.year, report.round.month, 1)


# ---------------------------------------------------------------- filling in


def test_a_manager_fills_and_submits_their_report(manager, own_project):
    report = open_report(own_project)
    milestone = factories.MilestoneFactory(
        project=own_project, sequence=1, baseline_date=first_day(report)
    )
    client = login(manager)
    page = client.get(fill_url(report))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="submission_key"' in body and f'name="milestone_{milestone.pk}"' in body
    # Two buttons: 保存草稿 and 提交审核, both plain submit buttons of one form.
    assert 'value="save"' in body and 'value="submit"' in body

    data = form_data(
        report,
        action="submit",
        in_statistics="on",
        in_statistics_on=first_day(report).isoformat(),
        **{
            f"milestone_{milestone.pk}": first_day(report).isoformat(),
            "problem_0_category": Issue.Category.MATERIAL_SUPPLY,
            "problem_0_description": "部分建材来自湖北，供应不足",
        },
    )
    response = client.post(fill_url(report), data)
    assert response.status_code == 302
    assert response["Location"] == fill_url(report)
    report.refresh_from_db()
    assert report.state == State.SUBMITTED
    assert report.completed_amount == Decimal("1250.50")
    assert report.employees_on_site == 180
    assert report.in_statistics and report.in_statistics_on == first_day(report)
    assert report.milestones_reached == {str(milestone.pk): first_day(report).isoformat()}
    assert report.submitted_by == manager
    # The problem became an issue in 提出.
    issue = Issue.objects.get(pk=report.problems[0]["issue"])
    assert issue.status == Issue.Status.RAISED and issue.project == own_project
    # Shown read-only now, with the link to the report's page.
    page = client.get(fill_url(report)).content.decode()
    assert 'data-testid="report-read-only"' in page
    assert reverse("round_report", args=[report.pk]) in page
    assert 'name="completed_amount"' not in page


def test_a_draft_is_saved_and_comes_back(manager, own_project):
    report = open_report(own_project)
    client = login(manager)
    response = client.post(fill_url(report), form_data(report, completed_amount=""))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == State.DRAFT
    assert report.physical_progress == "主体结构封顶，设备进场安装"
    assert report.completed_amount is None
    assert "主体结构封顶，设备进场安装" in client.get(fill_url(report)).content.decode()


def test_another_managers_report_answers_404_and_a_leader_403(
    client, manager, leader, other_project
):
    report = open_report(other_project)
    client.force_login(manager)
    assert client.get(fill_url(report)).status_code == 404
    assert client.post(fill_url(report), form_data(report)).status_code == 404
    correct = reverse("round_report_correct", args=[report.pk])
    assert client.post(correct, {"version": "1", "reason": "更正"}).status_code == 404
    client.force_login(leader)
    assert client.get(fill_url(report)).status_code == 403
    report.refresh_from_db()
    assert report.version == 1 and report.state == State.DRAFT


def test_a_double_submit_with_the_same_key_submits_once(manager, own_project):
    report = open_report(own_project)
    client = login(manager)
    data = form_data(report, action="submit")
    first = client.post(fill_url(report), data)
    second = client.post(fill_url(report), data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == fill_url(report)
    report.refresh_from_db()
    assert report.state == State.SUBMITTED
    assert report.steps.filter(action=MonthlyReportStep.Action.SUBMITTED).count() == 1
    # Another key is another submission, refused: the report is awaiting check.
    third = client.post(fill_url(report), {**data, "submission_key": str(uuid.uuid4())})
    assert third.status_code == 409
    assert report.steps.count() == 1


def test_invalid_entries_are_kept_with_a_summary_at_the_top(manager, own_project):
    report = open_report(own_project)
    client = login(manager)
    data = form_data(
        report,
        action="submit",
        completed_amount="-5",
        physical_progress="设备安装调试中",
        problem_1_description="招工渠道有限",
    )
    response = client.post(fill_url(report), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="error-summary"' in body
    assert 'href="#id_completed_amount"' in body and 'href="#id_problem_1_category"' in body
    assert body.index("error-summary") < body.index("report-form")
    assert "设备安装调试中" in body and "招工渠道有限" in body and 'value="-5"' in body
    report.refresh_from_db()
    assert report.state == State.DRAFT and report.version == 1


def test_a_submission_without_the_months_figure_is_refused_with_entries_kept(manager, own_project):
    report = open_report(own_project)
    client = login(manager)
    data = form_data(report, action="submit", completed_amount="", in_statistics="on")
    response = client.post(fill_url(report), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'href="#id_completed_amount"' in body and 'href="#id_in_statistics_on"' in body
    assert "主体结构封顶，设备进场安装" in body
    report.refresh_from_db()
    assert report.state == State.DRAFT and report.version == 1
    # Saved as a draft, the same entries are fine.
    data = form_data(report, completed_amount="", in_statistics="on")
    assert client.post(fill_url(report), data).status_code == 302


def test_the_cumulative_figure_is_checked_against_the_months(manager, own_project):
    """100 accepted for January, 50 reported: the cumulative figure must be 150. A January
    round has no month before it in its year: there 50 alone is right."""
    report = open_report(own_project)
    before, wrong_total, right_total = ("100", "160", "150")
    if report.round.month == 1:
        before, wrong_total, right_total = ("0", "60", "50")
    else:
        MonthlyInvestment.objects.create(
            project=own_project, year=report.round.year, month=1, completed_amount=Decimal("100")
        )
    client = login(manager)
    page = client.get(fill_url(report)).content.decode()
    assert f'data-before="{before}"' in page
    wrong = client.post(
        fill_url(report), form_data(report, completed_amount="50", cumulative=wrong_total)
    )
    assert wrong.status_code == 422
    body = wrong.content.decode()
    assert 'href="#id_cumulative"' in body and right_total in body
    assert f'value="{wrong_total}"' in body
    right = client.post(
        fill_url(report), form_data(report, completed_amount="50", cumulative=right_total)
    )
    assert right.status_code == 302
    report.refresh_from_db()
    assert report.completed_amount == Decimal("50")


def test_photos_are_stored_up_to_the_limit(manager, own_project, monkeypatch):
    monkeypatch.setattr(photo_store, "REPORT_PHOTO_MAX", 2)
    report = open_report(own_project)
    client = login(manager)
    data = form_data(report, photos=[jpeg("a.jpg"), jpeg("b.jpg"), jpeg("c.jpg")])
    response = client.post(fill_url(report), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'href="#id_photos"' in body and 'data-testid="photos-again"' in body
    assert "主体结构封顶，设备进场安装" in body
    assert not MonthlyReportPhoto.objects.exists()

    data = form_data(report, photos=[jpeg("a.jpg"), jpeg("b.jpg")])
    assert client.post(fill_url(report), data).status_code == 302
    assert MonthlyReportPhoto.objects.filter(report=report).count() == 2
    page = client.get(fill_url(report)).content.decode()
    # Full: no more file input, and another photo is refused.
    assert 'name="photos"' not in page
    assert reverse("round_report_photo", args=[report.photos.first().pk, "thumb"]) in page
    again = client.post(fill_url(report), form_data(report, photos=[jpeg("d.jpg")]))
    assert again.status_code == 422
    assert MonthlyReportPhoto.objects.filter(report=report).count() == 2


def test_a_photo_is_removed_and_the_entries_typed_meanwhile_kept(
    manager, own_project, django_capture_on_commit_callbacks
):
    """The photo's button posts the whole form: the entries are saved as a draft, the
    photo and its files go, the other photo stays."""
    report = open_report(own_project)
    kept, removed = photo_store.attach_report_photos(
        report, [jpeg("keep.jpg"), jpeg("blurred.jpg")], keep_location=False
    )[0]
    files = [removed.image.path, removed.thumbnail.path]
    client = login(manager)
    page = client.get(fill_url(report)).content.decode()
    assert f'name="remove_photo" value="{removed.pk}"' in page
    # Enter in a field presses the form's first submit button: a draft save, not a removal.
    assert page.index('value="save"') < page.index('name="remove_photo"')

    data = form_data(report, physical_progress="二层楼板浇筑完成", remove_photo=str(removed.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(fill_url(report), data)
    assert response.status_code == 302
    assert list(report.photos.values_list("pk", flat=True)) == [kept.pk]
    assert not any(os.path.exists(path) for path in files)
    report.refresh_from_db()
    assert report.physical_progress == "二层楼板浇筑完成"
    after = client.get(fill_url(report)).content.decode()
    assert "已删除照片，填写的内容已保存为草稿。" in after
    assert "blurred.jpg" not in after


def test_a_photo_stays_on_a_submitted_report_and_off_others_reports(
    manager, other_manager, own_project, other_project
):
    report = open_report(own_project)
    photo = photo_store.attach_report_photos(report, [jpeg()], keep_location=False)[0][0]
    with pytest.raises(Http404):
        services.report_photo_remove(report=report, photo_id=photo.pk, by=other_manager)
    other = open_report(other_project)
    with pytest.raises(services.ReportRefused):
        services.report_photo_remove(report=other, photo_id=photo.pk, by=other_manager)
    submitted(report, manager)
    with pytest.raises(services.ReportRefused):
        services.report_photo_remove(report=report, photo_id=photo.pk, by=manager)
    assert report.photos.count() == 1


def test_a_file_that_is_not_an_image_is_refused(manager, own_project):
    report = open_report(own_project)
    client = login(manager)
    fake = SimpleUploadedFile("site.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(fill_url(report), form_data(report, photos=[fake]))
    assert response.status_code == 422
    assert "site.jpg" in response.content.decode()
    assert not MonthlyReportPhoto.objects.exists()


def test_report_photos_are_served_through_the_permission_layer(
    manager, other_manager, official, own_project
):
    report = open_report(own_project)
    saved, rejected = photo_store.attach_report_photos(report, [jpeg()], keep_location=False)
    assert saved and not rejected
    photo = saved[0]
    for size in ("full", "thumb"):
        url = reverse("round_report_photo", args=[photo.pk, size])
        for user in (manager, official):
            response = login(user).get(url)
            assert response.status_code == 200
            assert response["Cache-Control"] == "private, max-age=3600"
        assert login(other_manager).get(url).status_code == 404
    assert login(manager).get(f"/media/report-photos/{photo.pk}/huge/").status_code == 404


# ---------------------------------------------------------------- returned, stale, corrected


def submitted(report, manager) -> MonthlyReport:
    saved = services.report_save(
        report=report, by=manager, expected_version=None, completed_amount=Decimal("900")
    )
    return services.report_submit(
        report=saved, by=manager, expected_version=saved.version, submission_key=uuid.uuid4()
    )


def test_a_returned_report_shows_its_reason_and_is_submitted_again(manager, official, own_project):
    report = submitted(open_report(own_project), manager)
    services.report_return(
        report=report, by=official, reason="本月投资额与上月差异过大，请核实", expected_version=None
    )
    client = login(manager)
    page = client.get(fill_url(report)).content.decode()
    assert 'data-testid="return-reason"' in page and "本月投资额与上月差异过大，请核实" in page
    assert 'name="completed_amount"' in page
    mine = client.get(reverse("round_my_reports")).content.decode()
    assert "本月投资额与上月差异过大" in mine

    response = client.post(
        fill_url(report), form_data(report, action="submit", completed_amount="90")
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == State.SUBMITTED and report.completed_amount == Decimal("90")


def test_a_stale_copy_keeps_the_entries_and_says_what_happened(manager, official, own_project):
    report = open_report(own_project)
    client = login(manager)
    stale = form_data(report, action="submit", physical_progress="一期设备已安装，正在调试")
    # Meanwhile, from another device: submitted, then returned by an official.
    report = submitted(report, manager)
    services.report_return(report=report, by=official, reason="请补充照片", expected_version=None)

    response = client.post(fill_url(report), stale)
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-testid="refusal"' in body and "请补充照片" in body
    assert "一期设备已安装，正在调试" in body
    report.refresh_from_db()
    assert report.state == State.RETURNED
    assert f'name="version" value="{report.version}"' in body
    # Sent again as shown, it goes through.
    again = {**stale, "version": str(report.version), "submission_key": str(uuid.uuid4())}
    assert client.post(fill_url(report), again).status_code == 302
    report.refresh_from_db()
    assert report.state == State.SUBMITTED
    assert report.physical_progress == "一期设备已安装，正在调试"


def test_an_accepted_report_is_corrected_with_a_reason(manager, official, own_project):
    report = submitted(open_report(own_project), manager)
    report = services.report_accept(report=report, by=official, expected_version=None)
    client = login(manager)
    page = client.get(fill_url(report)).content.decode()
    correct = reverse("round_report_correct", args=[report.pk])
    assert f'action="{correct}"' in page

    empty = client.post(correct, {"version": str(report.version), "reason": " "})
    assert empty.status_code == 422
    report.refresh_from_db()
    assert report.state == State.ACCEPTED

    response = client.post(correct, {"version": str(report.version), "reason": "统计口径更正"})
    assert response.status_code == 302 and response["Location"] == fill_url(report)
    report.refresh_from_db()
    assert report.state == State.DRAFT and report.corrections == 1
    assert report.steps.filter(
        action=MonthlyReportStep.Action.REOPENED, comment="统计口径更正"
    ).exists()


# ---------------------------------------------------------------- htmx


def test_htmx_gets_the_panel_and_saves_the_draft_as_one_types(manager, own_project):
    report = open_report(own_project)
    client = login(manager)
    panel = client.get(fill_url(report), headers=HTMX)
    assert panel.status_code == 200
    assert "<html" not in panel.content.decode() and 'id="report-panel"' in panel.content.decode()

    data = form_data(report, autosave="1", physical_progress="基础施工")
    data.pop("action")
    saved = client.post(fill_url(report), data, headers=HTMX)
    assert saved.status_code == 200
    report.refresh_from_db()
    assert report.physical_progress == "基础施工" and report.state == State.DRAFT
    body = saved.content.decode()
    assert f'value="{report.version}"' in body and 'hx-swap-oob="true"' in body
    # Unfinished input is not saved, and not an error.
    half = client.post(fill_url(report), {**data, "completed_amount": "12,3,4"}, headers=HTMX)
    assert half.status_code == 200
    assert "hx-swap-oob" not in half.content.decode()


def test_the_form_has_no_inline_script_or_style(manager, own_project):
    report = open_report(own_project)
    body = login(manager).get(fill_url(report)).content.decode()
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", body)
    assert "js/report_form" in body


# ---------------------------------------------------------------- my reports, navigation


def test_my_reports_lists_what_to_fill_and_what_was_reported(manager, own_project, other_project):
    mine = open_report(own_project)
    theirs = open_report(other_project)
    client = login(manager)
    page = client.get(reverse("round_my_reports")).content.decode()
    assert fill_url(mine) in page and fill_url(theirs) not in page
    assert 'data-testid="nav-my-reports"' in page
    submitted(mine, manager)
    page = client.get(reverse("round_my_reports")).content.decode()
    assert fill_url(mine) not in page
    assert reverse("round_report", args=[mine.pk]) in page


def test_officials_see_every_report_to_fill_but_no_manager_link(
    official, own_project, other_project
):
    reports = [open_report(own_project), open_report(other_project)]
    page = login(official).get(reverse("round_my_reports")).content.decode()
    assert all(fill_url(report) in page for report in reports)
    assert 'data-testid="nav-my-reports"' not in page


# ---------------------------------------------------------------- the project page


def investment_url(project, month: int) -> str:
    return reverse("projects:investment", args=[project.code, month])


def test_managers_no_longer_enter_monthly_figures_directly(manager, official, own_project):
    today = timezone.localdate()
    year, month = progress.entry_year(today), 1
    data = {"month-1-month": "1", "month-1-completed_amount": "10", "month-1-version": "0"}
    assert login(manager).post(investment_url(own_project, month), data).status_code == 403
    assert not MonthlyInvestment.objects.exists()
    assert login(official).post(investment_url(own_project, month), data).status_code == 302
    assert (
        MonthlyInvestment.objects.get(project=own_project, year=year, month=1).completed_amount
        == 10
    )


def test_the_project_page_shows_figures_awaiting_check(manager, official, own_project):
    report = open_report(own_project)
    page = login(manager).get(reverse("project_detail", args=[own_project.code])).content.decode()
    # The manager: no form to enter figures, a link to the report to fill.
    assert investment_url(own_project, 1) not in page
    assert f'href="{fill_url(report)}"' in page
    submitted(report, manager)
    for user in (manager, official):
        page = login(user).get(reverse("project_detail", args=[own_project.code])).content.decode()
        assert 'data-testid="awaiting-check"' in page and "900" in page
        assert f'href="{fill_url(report)}"' not in page
    # The official still enters figures directly.
    page = login(official).get(reverse("project_detail", args=[own_project.code])).content.decode()
    today = timezone.localdate()
    if progress.entry_year(today) == today.year:
        assert investment_url(own_project, 1) in page


def test_an_unused_round_leaves_the_project_page_quiet(manager, own_project):
    page = login(manager).get(reverse("project_detail", args=[own_project.code])).content.decode()
    assert 'data-testid="project-round-reports"' not in page
