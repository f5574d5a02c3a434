"""Every form and every filter of the web application, fed hostile input by Hypothesis.

The answer is a page with the form and its errors (422, or 409 for a stale version, 403
for a step the role may not take), a 404 for a record that does not exist or is not the
user's, or a success (302, or 200 for an htmx update) only when the input was valid;
never a 5xx. When the input is refused, no stored row changes (every table of the
application, history included, is compared before and after). After a success, the pages
that show what was stored still answer.

Inventory (`WEB_INVENTORY` below is the list the tests and the coverage checks use):

| URL name | input | fuzzed by |
|---|---|---|
| projects:status | StatusForm (POST) | test_status_update |
| projects:milestone_dates | MilestoneDatesForm (POST) | test_milestone_dates |
| projects:milestone_rebaseline | RebaselineForm (POST) | test_milestone_rebaseline |
| projects:investment | MonthlyInvestmentForm (POST), month in the path | test_monthly_investment |
| projects:note | ProgressNoteForm (POST) | test_progress_note |
| projects:import | ProjectImportForm (POST, a file) | test_project_import |
| projects:import_confirm | import id (path) | test_ids_in_posted_paths |
| issue_transition | TransitionForm (POST), step name and issue id | test_issue_transition |
| visit_create | SiteVisitForm + 3 IssueRowForm (POST); ?project (GET) | test_visit_create, test_get_filters |
| round_report_accept, round_report_return | AcceptForm / ReturnForm (POST): version, comment or reason | test_report_check |
| round_index, round_detail, round_export, round_check_queue, round_report | ?page (GET), year-month and ids in the path | NO_INPUT, test_ids_in_paths |
| visit_draft | any fields (POST) | test_visit_draft |
| round_report_fill | ReportForm (POST): figures, progress, 入库, problems, action | test_report_fill |
| round_report_correct | CorrectForm (POST): version, reason | test_report_correct |
| briefing_generate | BriefingRequestForm (POST) | test_briefing_generate |
| briefing_subscription | kind, subscribed (POST) | test_briefing_subscription |
| api_token_create | ApiTokenForm (POST) | test_api_token_create |
| api_token_revoke | token id (path) | test_ids_in_posted_paths |
| login | SignInForm (POST) | test_login |
| set_language | language, next (POST) | test_set_language |
| projects:list and its 6 exports | ProjectFilterSet (GET) | test_get_filters |
| issue_list, issue_export(_csv) | IssueFilterSet (GET) | test_get_filters |
| visit_list, visit_export | VisitFilterSet (GET) | test_get_filters |
| audit_log, audit_log_export | AuditEntryFilterSet (GET) | test_get_filters |
| department_board | ?department (GET) | test_get_filters |
| project_detail, issue_detail, visit_detail, photo_file, round_report_photo, briefing_*, import_* | ids and codes in the path | test_ids_in_paths |

`NO_INPUT` lists the URLs that read nothing from the request but who asks. The coverage
tests fail when a named URL, a view accepting POST or a FilterSet is added without being
listed. Besides the random examples, `test_each_field_of_every_form_with_nul_or_an_edge`
and `test_nul_and_the_last_day_in_every_*` try NUL and the last day there is in every field,
path and filter, every run.

Run on both databases (they differ on NUL, decimal range and text length):

    DEBUG=1 TEST_SQLITE_PATH=/tmp/fuzz.sqlite3 .venv/bin/pytest tests/fuzz
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/fuzz .venv/bin/pytest tests/fuzz

`--hypothesis-show-statistics` shows how the answers were spread (the success path must be
among them); HYPOTHESIS_FUZZ_PROFILE=fuzz-explore tries new random inputs (tests/fuzz/conftest.py).
"""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

import django_filters
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from hitech_zone.forms import EARLIEST_DATE, LATEST_DATE
from inspections.models import Issue, MonthlyReport, ReportingRound, SiteVisit, VisitDraft
from inspections.rounds import selectors as round_selectors
from inspections.rounds import services as round_services
from projects.models import Milestone, MonthlyInvestment, Project, ProjectImport
from reports import periods
from reports.models import Briefing, BriefingSubscription
from tests.fuzz.conftest import changed_tables, count_answer, fuzz_settings, rolled_back, snapshot
from tests.fuzz.strategies import (
    HOSTILE_NUMBERS,
    SCRIPT,
    all_of,
    date_verdict,
    decimal_verdict,
    has_control_characters,
    hostile_dates,
    hostile_ids,
    hostile_numbers,
    hostile_text,
    integer_verdict,
    mutated,
    normalised,
    parse_iso,
    path_ids,
    text_verdict,
)

pytestmark = pytest.mark.django_db

# ---------------------------------------------------------------- inventory

WEB_INVENTORY = {
    "projects:status": "test_status_update",
    "projects:milestone_dates": "test_milestone_dates",
    "projects:milestone_rebaseline": "test_milestone_rebaseline",
    "projects:investment": "test_monthly_investment",
    "projects:note": "test_progress_note",
    "projects:import": "test_project_import",
    "projects:import_confirm": "test_ids_in_posted_paths",
    "issue_transition": "test_issue_transition",
    "visit_create": "test_visit_create",
    "visit_draft": "test_visit_draft",
    "round_report_accept": "test_report_check",
    "round_report_return": "test_report_check",
    "round_report_fill": "test_report_fill",
    "round_report_correct": "test_report_correct",
    "briefing_generate": "test_briefing_generate",
    "briefing_subscription": "test_briefing_subscription",
    "api_token_create": "test_api_token_create",
    "api_token_revoke": "test_ids_in_posted_paths",
    "login": "test_login",
    "set_language": "test_set_language",
    # GET filters.
    "projects:list": "test_get_filters",
    "projects:export": "test_get_filters",
    "projects:export_csv": "test_get_filters",
    "projects:milestone_export": "test_get_filters",
    "projects:milestone_export_csv": "test_get_filters",
    "projects:investment_export": "test_get_filters",
    "projects:investment_export_csv": "test_get_filters",
    "issue_list": "test_get_filters",
    "issue_export": "test_get_filters",
    "issue_export_csv": "test_get_filters",
    "visit_list": "test_get_filters",
    "visit_export": "test_get_filters",
    "audit_log": "test_get_filters",
    "audit_log_export": "test_get_filters",
    "department_board": "test_get_filters",
    # Ids and codes in the path.
    "project_detail": "test_ids_in_paths",
    "projects:import_template": "test_ids_in_paths",
    "projects:import_preview": "test_ids_in_paths",
    "issue_detail": "test_ids_in_paths",
    "visit_detail": "test_ids_in_paths",
    "photo_file": "test_ids_in_paths",
    "round_report_photo": "test_ids_in_paths",
    "briefing_detail": "test_ids_in_paths",
    "briefing_preview": "test_ids_in_paths",
    "briefing_download": "test_ids_in_paths",
    "briefing_preview_live": "test_ids_in_paths",
    "round_report": "test_ids_in_paths",
    "round_detail": "test_ids_in_paths",
}

# URLs that take no input but who asks (query strings are ignored). A POST among them must
# say why it needs no fuzzing.
NO_INPUT = {
    "dashboard": "GET",
    "lights": "GET",
    "alert_list": "GET",
    "alert_export": "GET",
    "alert_export_csv": "GET",
    "briefing_list": "GET",
    "notifications": "GET",
    "api_token_list": "GET",
    "metrics": "GET",
    "metrics_prometheus": "GET",
    "healthz_live": "GET",
    "healthz_ready": "GET",
    "healthz_beat": "GET",
    "healthz_worker": "GET",
    # POSTs with no fields: the request itself is the whole input.
    "logout": "POST, no fields: signs the session out",
    "slip_detect_now": "POST, no fields: queues the nightly detection",
    "notifications_read": "POST, no fields: marks the user's notifications read",
    "briefing_retry": "POST, no fields: queues a stuck briefing again",
    "briefing_register_download": "GET",
    "project_brief": "GET",
    # The rounds (?page only, read by a Paginator), the check queue, a round's export.
    "round_index": "GET",
    "round_check_queue": "GET",
    "round_export": "GET",
    # A manager's reports to fill and lately reported: who asks is the whole input.
    "round_my_reports": "GET",
}

# Every FilterSet of the application and the URL names whose GET it reads.
FILTERSETS = {
    "ProjectFilterSet": {"projects:list", "projects:export", "projects:investment_export"},
    "IssueFilterSet": {"issue_list", "issue_export", "issue_export_csv"},
    "VisitFilterSet": {"visit_list", "visit_export"},
    "AuditEntryFilterSet": {"audit_log", "audit_log_export"},
}


def named_urls(resolver=None, namespace: str = "") -> dict[str, object]:
    """Every named URL of the site but the admin's and the JSON API's, with its view."""
    names = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin" or pattern.namespace == "api":
                continue  # Django's own admin; the API: tests/fuzz/test_api_fuzz.py
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= named_urls(pattern, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names[f"{namespace}{pattern.name}"] = pattern.callback
    return names


def accepts_post(view) -> bool:
    """Whether a view answers POST: class-based views with a post method, functions not
    restricted by require_http_methods (or restricted to a list with POST in it)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    while view is not None:
        cells = dict(zip(view.__code__.co_freevars, view.__closure__ or (), strict=True))
        if "request_method_list" in cells:
            return "POST" in cells["request_method_list"].cell_contents
        view = getattr(view, "__wrapped__", None)
    return True


def test_every_named_url_is_fuzzed_or_takes_no_input():
    names = set(named_urls())
    assert not set(WEB_INVENTORY) & set(NO_INPUT)
    assert names - set(WEB_INVENTORY) - set(NO_INPUT) == set(), "not fuzzed, not excluded"
    assert set(WEB_INVENTORY) | set(NO_INPUT) <= names, "listed but gone"


def test_every_url_accepting_post_is_fuzzed():
    posts = {name for name, view in named_urls().items() if accepts_post(view)}
    # The detector knows both kinds of view: a GET-only page and a POST-only form.
    assert "projects:status" in posts and "projects:list" not in posts
    unfuzzed = {name for name in posts - set(WEB_INVENTORY) if "POST" not in NO_INPUT[name]}
    assert unfuzzed == set()


def _filtersets(cls=django_filters.FilterSet):
    for sub in cls.__subclasses__():
        if sub.__module__.split(".")[0] in {"hitech_zone", "projects", "inspections", "reports"}:
            yield sub
        yield from _filtersets(sub)


def test_every_filterset_is_fuzzed():
    named_urls()  # imports every view, and with them every filterset
    assert {filterset.__name__ for filterset in _filtersets()} == set(FILTERSETS)
    for names in FILTERSETS.values():
        assert names <= {name for name, test in WEB_INVENTORY.items() if test == "test_get_filters"}


def test_every_inventory_entry_names_a_test_here():
    assert set(WEB_INVENTORY.values()) <= {
        name for name, value in globals().items() if callable(value) and name.startswith("test_")
    }


# ---------------------------------------------------------------- helpers

HTMX = {"HX-Request": "true"}
REFUSALS = {400, 403, 404, 409, 422}
FORM_ERROR = re.compile(r'class="form-error"[^>]*>(.*?)</', re.S)
USUAL_TEXT = st.sampled_from(
    ["进展顺利", "建材已到场，已复工", "Materials arrived.", "计划调整获批"]
)


def errors_shown(response) -> list[str]:
    return FORM_ERROR.findall(response.content.decode(errors="replace"))


def submit(client, url, data, *, verdict, success=(302,), refusals=REFUSALS, form=True, **kwargs):
    """POST and check the answer against the verdict; on a refusal, that nothing changed."""
    before = snapshot()
    response = client.post(url, data, **kwargs)
    status = response.status_code
    # --hypothesis-show-statistics counts the answers: the success path must be among them.
    count_answer(f"answered {status}")
    assert status < 500, f"{status} for {data!r}"
    if status in success:
        assert verdict is not False, f"accepted ({status}) what must be refused: {data!r}"
    else:
        assert status in refusals, f"unexpected {status} for {data!r}"
        assert verdict is not True, (
            f"refused ({status}) what must be accepted: {data!r}: {errors_shown(response)}"
        )
        if form and status in {409, 422}:
            assert errors_shown(response), f"{status} without an error shown"
        changes = changed_tables(before, snapshot())
        assert not changes, f"refused ({status}) but stored data changed: {changes}"
    return response


# Stands for "the version the user saw", replaced by the record's current version.
CURRENT = "<current version>"
versions = st.one_of(st.just(CURRENT), st.just(CURRENT), hostile_numbers)


def version_verdict(value: str, current: int | None) -> bool | None:
    """A version that parses is accepted only if it is the current one (else 409)."""
    if value == CURRENT:
        return True
    verdict = integer_verdict(value, min_value=0)
    if verdict is True and current is not None:
        return int(value.strip()) == current
    return verdict


def version_value(value: str, current: int | None) -> str:
    return str(current or 0) if value == CURRENT else value


def still_shows(client, *urls: str) -> None:
    """The pages that show what was just stored still answer."""
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, f"GET {url} after a save: {response.status_code}"


# ---------------------------------------------------------------- project updates


def _project_url(world, manager_asks_other: bool, name: str, *args) -> tuple[Project, str]:
    project = Project.objects.get(pk=(world.other if manager_asks_other else world.own).pk)
    return project, reverse(name, args=[project.code, *args])


def _refused_as_not_theirs(client, *, other: bool, url: str, data: dict) -> bool:
    """A manager posting to another manager's project gets 404, whatever the data."""
    if not other:
        return False
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 404
    assert not changed_tables(before, snapshot())
    return True


@fuzz_settings(60)
@given(
    status=st.one_of(st.sampled_from(Project.Status.values), hostile_text),
    version=versions,
    htmx=st.booleans(),
    as_manager=st.booleans(),
    other=st.booleans(),
)
def test_status_update(world, clients, status, version, htmx, as_manager, other):
    role = "manager" if as_manager else "official"
    with rolled_back():
        client = clients[role]
        project, url = _project_url(world, as_manager and other, "projects:status")
        data = {"status-status": status, "status-version": version_value(version, project.version)}
        if _refused_as_not_theirs(client, other=as_manager and other, url=url, data=data):
            return
        verdict = all_of(status in Project.Status.values, version_verdict(version, project.version))
        response = submit(
            client,
            url,
            data,
            verdict=verdict,
            success=(200,) if htmx else (302,),
            headers=HTMX if htmx else {},
        )
        if response.status_code in (200, 302):
            project.refresh_from_db()
            assert project.status == status
            still_shows(client, reverse("project_detail", args=[project.code]))


@fuzz_settings(80)
@given(
    forecast=st.one_of(
        st.just(""), hostile_dates, st.dates(EARLIEST_DATE, LATEST_DATE).map(date.isoformat)
    ),
    actual=st.one_of(st.just(""), hostile_dates),
    version=versions,
    htmx=st.booleans(),
    as_manager=st.booleans(),
    other=st.booleans(),
)
def test_milestone_dates(world, clients, today, forecast, actual, version, htmx, as_manager, other):
    role = "manager" if as_manager else "official"
    with rolled_back():
        client = clients[role]
        asks_other = as_manager and other
        milestone = Milestone.objects.get(
            pk=(world.other_milestone if asks_other else world.milestone).pk
        )
        project, url = _project_url(world, asks_other, "projects:milestone_dates", milestone.pk)
        prefix = f"dates-{milestone.pk}"
        data = {
            f"{prefix}-forecast_date": forecast,
            f"{prefix}-actual_date": actual,
            f"{prefix}-version": version_value(version, milestone.version),
        }
        if _refused_as_not_theirs(client, other=asks_other, url=url, data=data):
            return
        verdict = all_of(
            date_verdict(forecast),
            date_verdict(actual, latest=today),
            version_verdict(version, milestone.version),
        )
        response = submit(
            client,
            url,
            data,
            verdict=verdict,
            success=(200,) if htmx else (302,),
            headers=HTMX if htmx else {},
        )
        if response.status_code in (200, 302):
            milestone.refresh_from_db()
            for stored, typed in (
                (milestone.forecast_date, forecast),
                (milestone.actual_date, actual),
            ):
                assert stored is None or EARLIEST_DATE <= stored <= LATEST_DATE
                if parse_iso(typed):
                    assert stored == parse_iso(typed)
            assert milestone.actual_date is None or milestone.actual_date <= today
            still_shows(client, reverse("project_detail", args=[project.code]), "/", "/projects/")


@fuzz_settings(60)
@given(
    baseline=st.one_of(hostile_dates, st.dates(EARLIEST_DATE, LATEST_DATE).map(date.isoformat)),
    reason=st.one_of(USUAL_TEXT, hostile_text),
    version=versions,
    as_manager=st.booleans(),
)
def test_milestone_rebaseline(world, clients, baseline, reason, version, as_manager):
    role = "manager" if as_manager else "official"
    milestone = Milestone.objects.get(pk=world.milestone.pk)
    with rolled_back():
        client = clients[role]
        url = reverse("projects:milestone_rebaseline", args=[world.own.code, milestone.pk])
        prefix = f"rebaseline-{milestone.pk}"
        data = {
            f"{prefix}-baseline_date": baseline,
            f"{prefix}-reason": reason,
            f"{prefix}-version": version_value(version, milestone.version),
        }
        verdict = all_of(
            date_verdict(baseline, required=True),
            text_verdict(reason, min_length=4, max_length=200, required=True),
            version_verdict(version, milestone.version),
        )
        response = submit(client, url, data, verdict=verdict)
        if response.status_code == 302:
            milestone.refresh_from_db()
            assert EARLIEST_DATE <= milestone.baseline_date <= LATEST_DATE
            if parse_iso(baseline):
                assert milestone.baseline_date == parse_iso(baseline)
            still_shows(client, reverse("project_detail", args=[world.own.code]), "/", "/lights/")


@fuzz_settings(80)
@given(
    url_month=st.one_of(*[st.integers(1, 12)] * 4, path_ids()),
    fields=mutated(
        {
            "month": st.just("<same>"),
            "completed_amount": st.decimals(0, 10**6, places=2).map(str),
            "note": st.one_of(st.just(""), USUAL_TEXT),
            "version": st.just(CURRENT),
        },
        {
            "month": hostile_numbers,
            "completed_amount": st.one_of(st.sampled_from(HOSTILE_NUMBERS), hostile_numbers),
            "note": hostile_text,
            "version": hostile_numbers,
        },
    ),
    htmx=st.booleans(),
)
def test_monthly_investment(world, clients, today, url_month, fields, htmx):
    record = MonthlyInvestment.objects.filter(
        project=world.own, year=today.year, month=url_month
    ).first()
    current = record.version if record else None
    month = str(url_month) if fields["month"] == "<same>" else fields["month"]
    amount, note, version = fields["completed_amount"], fields["note"], fields["version"]
    with rolled_back():
        client = clients["official"]
        url = reverse("projects:investment", args=[world.own.code, url_month])
        prefix = f"month-{url_month}"
        data = {
            f"{prefix}-month": month,
            f"{prefix}-completed_amount": amount,
            f"{prefix}-note": note,
            f"{prefix}-version": version_value(version, current),
        }
        if not 1 <= url_month <= 12:
            # No such month: 404, whatever was posted.
            submit(client, url, data, verdict=False, refusals={404}, form=False)
            return
        month_verdict = integer_verdict(month, min_value=1, max_value=today.month)
        if month_verdict is True:
            # The hidden field must name the month of the address posted to.
            month_verdict = int(month.strip()) == url_month
        if url_month > today.month:
            month_verdict = False  # not begun: refused, with the reason shown
        verdict = all_of(
            month_verdict,
            decimal_verdict(amount, max_digits=14, decimal_places=2, min_value=Decimal(0)),
            text_verdict(note, max_length=200),
            version_verdict(version, current),
        )
        response = submit(
            client,
            url,
            data,
            verdict=verdict,
            success=(200,) if htmx else (302,),
            headers=HTMX if htmx else {},
        )
        if response.status_code in (200, 302):
            stored = MonthlyInvestment.objects.get(
                project=world.own, year=today.year, month=url_month
            )
            assert stored.completed_amount.is_finite() and 0 <= stored.completed_amount < 10**12
            assert stored.note == normalised(note)
            still_shows(client, reverse("project_detail", args=[world.own.code]), "/projects/")


@fuzz_settings(40)
@given(body=st.one_of(USUAL_TEXT, hostile_text), as_manager=st.booleans(), other=st.booleans())
def test_progress_note(world, clients, body, as_manager, other):
    role = "manager" if as_manager else "official"
    with rolled_back():
        client = clients[role]
        project, url = _project_url(world, as_manager and other, "projects:note")
        data = {"note-body": body}
        if _refused_as_not_theirs(client, other=as_manager and other, url=url, data=data):
            return
        verdict = text_verdict(body, max_length=2000, required=True)
        response = submit(client, url, data, verdict=verdict)
        if response.status_code == 302:
            assert project.progress_notes.get().body == normalised(body)
            still_shows(client, reverse("project_detail", args=[project.code]))


@fuzz_settings(20)
@given(
    kind=st.one_of(st.sampled_from(ProjectImport.Kind.values), hostile_text),
    name=st.one_of(st.just("重点项目.xlsx"), hostile_text.map(lambda text: f"{text}.xlsx")),
    content=st.binary(max_size=300),
)
def test_project_import(world, clients, kind, name, content):
    """Random bytes are never a workbook: refused, with only the refusal recorded."""
    with rolled_back():
        client = clients["official"]
        before = snapshot()
        upload = SimpleUploadedFile(name.replace("/", "_")[-200:] or "x.xlsx", content)
        response = client.post(reverse("projects:import"), {"kind": kind, "file": upload})
        assert response.status_code == 422, response.status_code
        assert errors_shown(response)
        changes = changed_tables(before, snapshot())
        # The one change a refused upload makes: the record of who tried and why, no file.
        assert set(changes) <= {"projects.ProjectImport"}
        for row in ProjectImport.objects.exclude(pk=world.previewed_import.pk):
            assert row.status == ProjectImport.Status.REFUSED and row.content is None
            assert not has_control_characters(row.file_name)


# ---------------------------------------------------------------- issues

STEP_RULES = {
    # step: (the issue's status it starts from, taken by the department (else an official))
    "assign": (Issue.Status.RAISED, False),
    "start": (Issue.Status.ASSIGNED, True),
    "resolve": (Issue.Status.IN_PROGRESS, True),
    "close": (Issue.Status.RESOLVED, False),
    "reopen": (Issue.Status.RESOLVED, False),
}


STEP_TARGETS = {
    "assign": Issue.Status.ASSIGNED,
    "start": Issue.Status.IN_PROGRESS,
    "resolve": Issue.Status.RESOLVED,
    "close": Issue.Status.CLOSED,
    "reopen": Issue.Status.ASSIGNED,
}


def _choice_verdict(value: str, known: set[str], *, required: bool = False) -> bool | None:
    """A row chosen by id: an exact id of a known row, or nothing when optional."""
    if value == "":
        return not required
    if re.fullmatch(r"[0-9]+", value):
        return value in known
    if not any(char.isdigit() for char in value):
        return False
    return None


# (step, the issue's status, who takes it) that the life cycle allows.
ALLOWED_STEPS = [
    ("assign", Issue.Status.RAISED, "official"),
    ("start", Issue.Status.ASSIGNED, "dept_user"),
    ("resolve", Issue.Status.IN_PROGRESS, "dept_user"),
    ("close", Issue.Status.RESOLVED, "official"),
    ("reopen", Issue.Status.RESOLVED, "official"),
    ("reopen", Issue.Status.CLOSED, "official"),
]


@fuzz_settings(120)
@given(
    scenario=st.one_of(
        st.sampled_from(ALLOWED_STEPS),
        st.tuples(
            st.one_of(st.sampled_from(list(STEP_RULES)), hostile_text),
            st.sampled_from(Issue.Status.values),
            st.sampled_from(["official", "dept_user", "manager"]),
        ),
    ),
    fields=mutated(
        {
            "comment": USUAL_TEXT,
            "department": st.just("<own>"),
            "deadline": st.just("<soon>"),
            "owner": st.sampled_from(["", "王科长"]),
            "result": USUAL_TEXT,
            "next": st.sampled_from(["", "/issues/board/"]),
        },
        {
            "comment": st.one_of(st.just(""), hostile_text),
            "department": st.one_of(st.just(""), hostile_ids()),
            "deadline": st.one_of(st.just(""), hostile_dates),
            "owner": hostile_text,
            "result": st.one_of(st.just(""), hostile_text),
            "next": st.one_of(hostile_text, st.just("https://evil.example/")),
        },
    ),
    htmx=st.booleans(),
)
def test_issue_transition(world, clients, today, scenario, fields, htmx):
    step, status, role = scenario
    issue = world.issues[status]
    comment, owner, result = fields["comment"], fields["owner"], fields["result"]
    department = fields["department"]
    department = str(world.department.pk) if department == "<own>" else department
    deadline = fields["deadline"]
    deadline = (today + timedelta(days=5)).isoformat() if deadline == "<soon>" else deadline
    with rolled_back():
        client = clients[role]
        # The step name is the form's prefix, as the page renders it.
        data = {
            f"{step}-comment": comment,
            f"{step}-department": department,
            f"{step}-deadline": deadline,
            f"{step}-owner": owner,
            f"{step}-result": result,
            "next": fields["next"],
        }
        # A name with a slash, or none, matches no URL: 404 like an unknown step's 409.
        url = f"/issues/{issue.pk}/{quote(step, safe='')}/"
        known_departments = {str(world.department.pk), str(world.other_department.pk)}
        form_verdict = all_of(
            text_verdict(comment, max_length=500),
            _choice_verdict(department, known_departments),
            date_verdict(deadline),
            text_verdict(owner, max_length=60),
            text_verdict(result, max_length=1000),
        )
        rule = STEP_RULES.get(step)
        if rule is None:
            step_verdict = False  # unknown step: 409
        else:
            source, by_department = rule
            sources = {source, Issue.Status.CLOSED} if step == "reopen" else {source}
            allowed_role = "dept_user" if by_department else "official"
            step_verdict = status in sources and role == allowed_role
            if step == "assign":
                step_verdict = step_verdict and all_of(
                    _choice_verdict(department, known_departments, required=True),
                    date_verdict(deadline, required=True, earliest=max(today, EARLIEST_DATE)),
                )
            if step == "resolve":
                step_verdict = step_verdict and bool(normalised(result))
            if step == "reopen":
                step_verdict = step_verdict and bool(normalised(comment))
        verdict = all_of(form_verdict, step_verdict)
        response = submit(
            client,
            url,
            data,
            verdict=verdict,
            success=(200, 302) if htmx else (302,),
            headers=HTMX if htmx else {},
            form=False,
        )
        if response.status_code in (200, 302):
            assert Issue.objects.get(pk=issue.pk).status == STEP_TARGETS[step]
            location = response.get("Location", "")
            assert not location.startswith(("http:", "https:", "//")), location
            still_shows(
                client, reverse("issue_detail", args=[issue.pk]), "/issues/", "/issues/export.xlsx"
            )


# ---------------------------------------------------------------- the monthly round: checks


def _report_to_check(world, today) -> MonthlyReport:
    """The own project's report of two months back (a round of its own, apart from the
    one managers fill), submitted by its manager: an official may check it."""
    year, month = round_services.round_month_for(today.replace(day=1) - timedelta(days=1))
    round_, _ = ReportingRound.objects.get_or_create(
        year=year, month=month, defaults={"deadline": round_services.round_deadline(year, month)}
    )
    report, _ = MonthlyReport.objects.get_or_create(round=round_, project=world.own)
    if report.state == MonthlyReport.State.SUBMITTED:
        return report
    manager = world.own.managers.get()
    saved = round_services.report_save(
        report=report, by=manager, expected_version=report.version, completed_amount=Decimal(500)
    )
    return round_services.report_submit(report=saved, by=manager, expected_version=saved.version)


@fuzz_settings(60)
@given(
    step=st.sampled_from(["accept", "return"]),
    fields=mutated(
        {
            "version": st.just(CURRENT),
            "comment": st.one_of(st.just(""), USUAL_TEXT),
            "reason": USUAL_TEXT,
            "from": st.sampled_from(["", "queue"]),
        },
        {
            "version": versions,
            "comment": hostile_text,
            "reason": st.one_of(st.just(""), st.just("   "), hostile_text),
            "from": hostile_text,
        },
    ),
    role=st.sampled_from(["official", "official", "leader", "manager"]),
    htmx=st.booleans(),
)
def test_report_check(world, clients, today, step, fields, role, htmx):
    """审核: only an official, only at the version they saw, a return only with a reason;
    from the queue or the report's page, with htmx or without."""
    with rolled_back():
        report = _report_to_check(world, today)
        text = fields["comment"] if step == "accept" else fields["reason"]
        data = {
            f"{step}-version": version_value(fields["version"], report.version),
            f"{step}-{'comment' if step == 'accept' else 'reason'}": text,
            "from": fields["from"],
        }
        verdict = all_of(
            role == "official",
            version_verdict(fields["version"], report.version),
            text_verdict(text, max_length=1000, required=step == "return"),
        )
        response = submit(
            clients[role],
            reverse(f"round_report_{step}", args=[report.pk]),
            data,
            verdict=verdict,
            success=(200, 302) if htmx else (302,),
            headers=HTMX if htmx else {},
        )
        if response.status_code in (200, 302):
            report.refresh_from_db()
            assert report.state == (
                MonthlyReport.State.ACCEPTED if step == "accept" else MonthlyReport.State.RETURNED
            )
            still_shows(
                clients[role],
                reverse("round_report", args=[report.pk]),
                reverse("round_detail", args=[report.round.year, report.round.month]),
                reverse("round_check_queue"),
            )


# ---------------------------------------------------------------- site visits


CATEGORY_CODES = [
    "material_supply", "hiring", "logistics", "approvals", "financing", "land", "utilities", "epidemic", "other",
]  # fmt: skip


ROW_FIELDS = ("title", "category", "severity", "description")
USUAL_VISIT = {
    "submission_key": st.uuids().map(str),
    "project": st.just("<own>"),
    "visited_on": st.just("<recent>"),
    "visitors": st.sampled_from(["", "姚丽英 市政协副主席、高新区管委会副主任"]),
    "contacts": st.sampled_from(["", "陈华瑞 项目现场负责人"]),
    "notes": USUAL_TEXT,
    "keep_location": st.sampled_from(["", "on"]),
    "issue-0-title": st.just("建材供应不足"),
    "issue-0-category": st.sampled_from(CATEGORY_CODES),
    "issue-0-severity": st.sampled_from(Issue.Severity.values),
    "issue-0-description": st.one_of(st.just(""), USUAL_TEXT),
    **{f"issue-{index}-{field}": st.just("") for index in (1, 2) for field in ROW_FIELDS},
}
HOSTILE_VISIT = {
    "submission_key": hostile_text,
    "project": st.one_of(st.just("<other>"), hostile_ids()),
    "visited_on": hostile_dates,
    "visitors": hostile_text,
    "contacts": hostile_text,
    "notes": st.one_of(st.just(""), hostile_text),
    "keep_location": hostile_text,
    "photos": st.binary(max_size=64),
    **{
        f"issue-{index}-{field}": st.one_of(
            st.just(""), st.sampled_from(CATEGORY_CODES), hostile_text
        )
        for index in range(3)
        for field in ROW_FIELDS
    },
}


def _row_verdict(data: dict, index: int) -> tuple[bool | None, bool]:
    """The row's verdict, and whether it raises an issue."""
    title, category, severity, description = (
        data[f"issue-{index}-{field}"] for field in ROW_FIELDS
    )
    title_verdict = text_verdict(title, max_length=120)
    fields = all_of(
        title_verdict,
        category == "" or category in CATEGORY_CODES,
        severity == "" or severity in Issue.Severity.values,
        text_verdict(description, max_length=2000),
    )
    titled = bool(normalised(title))
    rules = (not titled or (category != "" and severity != "")) and (
        titled or not normalised(description)
    )
    return all_of(fields, rules), titled and title_verdict is True


@fuzz_settings(80)
@given(fields=mutated(USUAL_VISIT, HOSTILE_VISIT, max_changes=3), as_manager=st.booleans())
def test_visit_create(world, clients, today, fields, as_manager):
    role = "manager" if as_manager else "official"
    data = dict(fields)
    data["project"] = {"<own>": str(world.own.pk), "<other>": str(world.other.pk)}.get(
        data["project"], data["project"]
    )
    if data["visited_on"] == "<recent>":
        data["visited_on"] = (today - timedelta(days=3)).isoformat()
    photo = data.pop("photos", None)
    if photo is not None:
        data["photos"] = SimpleUploadedFile("site.jpg", photo, "image/jpeg")
    key, notes = data["submission_key"], data["notes"]
    editable = {str(world.own.pk)} | (set() if as_manager else {str(world.other.pk)})
    try:
        uuid.UUID(key.strip())
        key_verdict = True
    except ValueError:
        key_verdict = False
    row_verdicts = [_row_verdict(data, index) for index in range(3)]
    raises_issue = any(titled for _verdict, titled in row_verdicts)
    verdict = all_of(
        key_verdict,
        _choice_verdict(data["project"], editable, required=True),
        date_verdict(data["visited_on"], required=True, latest=today),
        text_verdict(data["visitors"], max_length=10**6),
        text_verdict(data["contacts"], max_length=10**6),
        text_verdict(notes, max_length=5000),
        *(verdict for verdict, _titled in row_verdicts),
        # A photo here is random bytes: never an image.
        photo is None,
        # An empty visit is not recorded.
        bool(normalised(notes)) or raises_issue,
    )
    with rolled_back():
        client = clients[role]
        response = submit(client, reverse("visit_create"), data, verdict=verdict)
        if response.status_code == 302:
            visit = SiteVisit.objects.get(idempotency_key=uuid.UUID(key.strip()))
            assert visit.notes == normalised(notes)
            assert EARLIEST_DATE <= visit.visited_on <= today
            for participant in visit.participants.all():
                assert not has_control_characters(participant.name + participant.title)
            still_shows(
                client,
                response["Location"],
                reverse("project_detail", args=[visit.project.code]),
                "/issues/export.xlsx",
            )


DRAFT_FIELDS = [
    "submission_key", "project", "visited_on", "visitors", "contacts", "notes", "keep_location",
    *(f"issue-{index}-{field}" for index in range(3) for field in ("title", "category", "severity", "description")),
]  # fmt: skip


@fuzz_settings(30)
@given(
    key=st.one_of(st.uuids().map(str), hostile_text),
    fields=st.dictionaries(
        st.one_of(st.sampled_from(DRAFT_FIELDS), hostile_text), hostile_text, max_size=6
    ),
)
def test_visit_draft(world, clients, key, fields):
    """A draft keeps what was typed in the form's own fields, never a NUL or a control
    character PostgreSQL or the restored form would choke on; a bad key is a 400."""
    with rolled_back():
        client = clients["manager"]
        before = snapshot()
        response = client.post(reverse("visit_draft"), {**fields, "submission_key": key})
        assert response.status_code in (200, 400), response.status_code
        if response.status_code == 400:
            assert not changed_tables(before, snapshot())
            return
        draft = VisitDraft.objects.get(submission_key=uuid.UUID(key.strip()))
        assert set(draft.data) <= set(DRAFT_FIELDS)
        for values in draft.data.values():
            assert not any(has_control_characters(value) for value in values)
        # The draft comes back as the form's initial values.
        assert client.get(reverse("visit_create")).status_code == 200


# ---------------------------------------------------------------- the monthly round: filling in


def _round_report(world) -> MonthlyReport:
    """The own project's report in the round for last month, as its manager fills it."""
    year, month = round_services.round_month_for(timezone.localdate())
    round_, _created = ReportingRound.objects.get_or_create(
        year=year, month=month, defaults={"deadline": round_services.round_deadline(year, month)}
    )
    return MonthlyReport.objects.get_or_create(round=round_, project=world.own)[0]


def _accepted_report(world) -> MonthlyReport:
    """An accepted report of the own project, in a round of its own (June 2020)."""
    round_, _created = ReportingRound.objects.get_or_create(
        year=2020, month=6, defaults={"deadline": date(2020, 7, 6)}
    )
    report = MonthlyReport.objects.get_or_create(round=round_, project=world.own)[0]
    if report.state == MonthlyReport.State.ACCEPTED:
        return report
    manager = world.own.managers.get()
    report = round_services.report_save(
        report=report, by=manager, expected_version=None, completed_amount=Decimal("10")
    )
    report = round_services.report_submit(report=report, by=manager, expected_version=None)
    official = world.issues[Issue.Status.RAISED].raised_by
    return round_services.report_accept(report=report, by=official, expected_version=None)


USUAL_REPORT = {
    "submission_key": st.uuids().map(str),
    "version": st.just(CURRENT),
    "completed_amount": st.one_of(st.just(""), st.decimals(0, 10**6, places=2).map(str)),
    "cumulative": st.sampled_from(["", "<agrees>"]),
    "physical_progress": st.one_of(st.just(""), USUAL_TEXT),
    "employees_on_site": st.one_of(st.just(""), st.integers(0, 5000).map(str)),
    "in_statistics": st.sampled_from(["", "on"]),
    "in_statistics_on": st.sampled_from(["", "<recent>"]),
    "problem_0_category": st.one_of(st.just(""), st.sampled_from(CATEGORY_CODES)),
    "problem_0_description": st.one_of(st.just(""), USUAL_TEXT),
    "action": st.sampled_from(["save", "submit"]),
}
HOSTILE_REPORT = {
    "submission_key": hostile_text,
    "version": hostile_numbers,
    "completed_amount": st.one_of(st.sampled_from(HOSTILE_NUMBERS), hostile_numbers),
    "cumulative": st.one_of(st.sampled_from(HOSTILE_NUMBERS), hostile_numbers),
    "physical_progress": hostile_text,
    "employees_on_site": hostile_numbers,
    "in_statistics_on": hostile_dates,
    "problem_0_category": hostile_text,
    "problem_0_description": hostile_text,
    "action": hostile_text,
}


def _optional(value: str, verdict: bool | None) -> bool | None:
    return True if not value.strip() else verdict


def _report_verdict(data: dict, *, current: int, before: Decimal, today: date) -> bool | None:
    try:
        uuid.UUID(data["submission_key"].strip())
        key_verdict = True
    except ValueError:
        key_verdict = False
    amount, cumulative = data["completed_amount"], data["cumulative"]
    amount_verdict = _optional(
        amount, decimal_verdict(amount, max_digits=14, decimal_places=2, min_value=Decimal(0))
    )
    cumulative_verdict = _optional(
        cumulative,
        decimal_verdict(cumulative, max_digits=16, decimal_places=2, min_value=Decimal(0)),
    )
    if cumulative.strip() and cumulative_verdict is True and amount_verdict is True:
        # Checked against the months accepted before plus this month's figure.
        month = Decimal(amount.strip()) if amount.strip() else None
        cumulative_verdict = month is not None and Decimal(cumulative.strip()) == before + month
    category, description = data["problem_0_category"], data["problem_0_description"]
    if category == "" or category in CATEGORY_CODES:
        category_verdict = True
    elif normalised(category) in CATEGORY_CODES or not normalised(category):
        category_verdict = None
    else:
        category_verdict = False
    # A problem described needs a category.
    row_rule = None if category_verdict is None else (category != "" or not normalised(description))
    submission_rule = True
    if data["action"] == "submit":
        # What a submission needs: the month's figure, and the 入库 date when 入库.
        submission_rule = bool(amount.strip()) and (
            data["in_statistics"] != "on" or bool(data["in_statistics_on"].strip())
        )
    return all_of(
        key_verdict,
        version_verdict(data["version"], current),
        amount_verdict,
        cumulative_verdict,
        text_verdict(data["physical_progress"], max_length=2000),
        _optional(
            data["employees_on_site"],
            integer_verdict(data["employees_on_site"], min_value=0, max_value=100_000),
        ),
        date_verdict(data["in_statistics_on"], latest=today),
        category_verdict,
        text_verdict(description, max_length=1000),
        row_rule,
        submission_rule,
    )


@fuzz_settings(80)
@given(fields=mutated(USUAL_REPORT, HOSTILE_REPORT, max_changes=3))
def test_report_fill(world, clients, today, fields):
    """月报填报 as 保存草稿 or 提交审核: saved (and submitted) only when valid; a refusal
    (422, or 409 for a stale copy) changes nothing and says why."""
    report = _round_report(world)
    before = round_selectors.accepted_before(report)
    data = dict(fields)
    if data["in_statistics_on"] == "<recent>":
        data["in_statistics_on"] = (today - timedelta(days=3)).isoformat()
    if data["cumulative"] == "<agrees>":
        amount = data["completed_amount"].strip()
        valid = decimal_verdict(amount, max_digits=14, decimal_places=2) is True
        data["cumulative"] = str(before + Decimal(amount)) if amount and valid else ""
    verdict = _report_verdict(data, current=report.version, before=before, today=today)
    data["version"] = version_value(data["version"], report.version)
    with rolled_back():
        client = clients["manager"]
        url = reverse("round_report_fill", args=[report.pk])
        response = submit(client, url, data, verdict=verdict)
        if response.status_code == 302:
            stored = MonthlyReport.objects.get(pk=report.pk)
            assert stored.physical_progress == normalised(data["physical_progress"])
            submitted = data["action"] == "submit"
            assert stored.state == ("submitted" if submitted else "draft")
            still_shows(
                client,
                response["Location"],
                reverse("round_my_reports"),
                reverse("project_detail", args=[world.own.code]),
            )


@fuzz_settings(40)
@given(reason=st.one_of(USUAL_TEXT, hostile_text), version=versions, other=st.booleans())
def test_report_correct(world, clients, reason, version, other):
    """更正 of an accepted report: with a reason and the version seen, else refused; another
    manager's report does not exist for them."""
    report = _accepted_report(world)
    with rolled_back():
        client = clients["other_manager" if other else "manager"]
        url = reverse("round_report_correct", args=[report.pk])
        data = {"reason": reason, "version": version_value(version, report.version)}
        if other:
            before = snapshot()
            assert client.post(url, data).status_code == 404
            assert not changed_tables(before, snapshot())
            return
        verdict = all_of(
            bool(normalised(reason)),
            text_verdict(reason, max_length=1000),
            version_verdict(version, report.version),
        )
        response = submit(client, url, data, verdict=verdict)
        if response.status_code == 302:
            assert MonthlyReport.objects.get(pk=report.pk).state == "draft"


# ---------------------------------------------------------------- briefings


# (kind, period) of the last three weeks and months: what the form is usually given.
RECENT_PERIODS = [
    (kind, period.key)
    for kind in (periods.WEEKLY, periods.MONTHLY)
    for period in periods.recent_complete(kind, timezone.localdate(), 3)
]
EDGE_PERIODS = ["2026-W01", "2025-12", "0001-W01", "9999-W52", "9999-12", "2026-W53", "2026-W00", "2026-13", "0000-01", "1999-12", "1999-W52"]  # fmt: skip


def _period_verdict(kind: str, text: str, today: date) -> bool | None:
    text = normalised(text)
    if kind not in Briefing.Kind.values or not text:
        return False
    if len(text) > 8 or has_control_characters(text):
        return False
    pattern = r"\d{4}-W\d{2}" if kind == periods.WEEKLY else r"\d{4}-\d{2}"
    if re.fullmatch(pattern.replace(r"\d", "[0-9]"), text):
        try:
            period = periods.parse(kind, text)
        except periods.PeriodError:
            return False
        return EARLIEST_DATE <= period.start <= today
    if re.fullmatch(pattern, text):
        return None  # digits of other scripts (e.g. full width), read as numbers
    return False


@fuzz_settings(60)
@given(
    request=st.one_of(
        st.sampled_from(RECENT_PERIODS),
        st.tuples(
            st.one_of(st.sampled_from(Briefing.Kind.values), hostile_text),
            st.one_of(
                st.sampled_from(EDGE_PERIODS),
                st.builds("{:04d}-W{:02d}".format, st.integers(0, 9999), st.integers(0, 99)),
                st.builds("{:04d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99)),
                hostile_text,
            ),
        ),
    ),
    reason=st.one_of(st.just(""), USUAL_TEXT, hostile_text),
    htmx=st.booleans(),
)
def test_briefing_generate(world, clients, today, request, reason, htmx):
    kind, period = request
    verdict = all_of(_period_verdict(kind, period, today), text_verdict(reason, max_length=200))
    with rolled_back():
        client = clients["official"]
        response = submit(
            client,
            reverse("briefing_generate"),
            {"kind": kind, "period": period, "reissue_reason": reason},
            verdict=verdict,
            success=(200,) if htmx else (302,),
            headers=HTMX if htmx else {},
        )
        if response.status_code in (200, 302):
            briefing = Briefing.objects.order_by("-pk").first()
            assert EARLIEST_DATE <= briefing.period_start <= today
            still_shows(client, reverse("briefing_detail", args=[briefing.pk]), "/briefings/")


@fuzz_settings(20)
@given(
    kind=st.one_of(st.sampled_from(Briefing.Kind.values), hostile_text),
    subscribed=st.one_of(st.sampled_from(["0", "1"]), hostile_text),
)
def test_briefing_subscription(world, clients, leader, kind, subscribed):
    with rolled_back():
        client = clients["leader"]
        response = submit(
            client,
            reverse("briefing_subscription"),
            {"kind": kind, "subscribed": subscribed},
            verdict=kind in Briefing.Kind.values,
            form=False,
        )
        if response.status_code == 302:
            assert BriefingSubscription.objects.filter(user=leader, kind=kind).exists() == (
                subscribed == "1"
            )


# ---------------------------------------------------------------- account


@fuzz_settings(30)
@given(name=st.one_of(USUAL_TEXT, hostile_text))
def test_api_token_create(world, clients, manager, name):
    with rolled_back():
        client = clients["manager"]
        response = submit(
            client,
            reverse("api_token_create"),
            {"name": name},
            verdict=text_verdict(name, max_length=60, required=True),
            success=(200,),
        )
        if response.status_code == 200:
            assert manager.api_tokens.filter(name=normalised(name)).exists()
            still_shows(client, reverse("api_token_list"))


@fuzz_settings(30)
@given(
    username=st.one_of(st.just("t-pm"), hostile_text),
    password=st.one_of(st.just("test-pass-123"), hostile_text),
    next_url=st.one_of(
        st.just(""), st.just("/projects/"), hostile_text, st.just("//evil.example/")
    ),
)
def test_login(world, username, password, next_url):
    """Anything typed into the sign-in form is a failed sign-in or a sign-in, never an
    error; only the right pair signs in, and never to another site."""
    with rolled_back():
        response = Client().post(
            reverse("login"), {"username": username, "password": password, "next": next_url}
        )
        assert response.status_code in (200, 302, 429), response.status_code
        right = (username.strip(), password) == ("t-pm", "test-pass-123")
        assert (response.status_code == 302) == right
        if response.status_code == 302:
            assert not response["Location"].startswith(("http:", "https:", "//"))


@fuzz_settings(20)
@given(
    language=st.one_of(st.sampled_from(["zh-hans", "en"]), hostile_text),
    next_url=st.one_of(st.just("/"), hostile_text, st.just("https://evil.example/")),
)
def test_set_language(world, clients, language, next_url):
    with rolled_back():
        response = clients["manager"].post(
            reverse("set_language"), {"language": language, "next": next_url}
        )
        assert response.status_code in (302, 204), response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith(("http:", "https:", "//"))


# ---------------------------------------------------------------- ids in paths


@fuzz_settings(40)
@given(
    name=st.sampled_from(["projects:import_confirm", "api_token_revoke"]),
    pk=st.one_of(st.just("<own>"), st.just("<other>"), path_ids()),
)
def test_ids_in_posted_paths(world, clients, name, pk):
    """A POST naming a record by id: the user's own does its work, another user's and
    one that does not exist answer 404 and change nothing."""
    own, other, role = {
        "projects:import_confirm": (world.previewed_import.pk, None, "official"),
        "api_token_revoke": (world.manager_token.pk, world.other_token.pk, "manager"),
    }[name]
    pk = {"<own>": own, "<other>": other or own}.get(pk, pk)
    with rolled_back():
        client = clients[role]
        before = snapshot()
        response = client.post(reverse(name, args=[pk]))
        if pk == own:
            assert response.status_code == 302
        else:
            assert response.status_code == 404, (name, pk, response.status_code)
            assert not changed_tables(before, snapshot())


def _path(name: str, world, value) -> tuple[str, set[int]]:
    """The URL with a fuzzed path value, and the statuses it may answer."""
    text = quote(str(value), safe="")
    urls = {
        "project_detail": f"/projects/{text}/",
        "projects:import_template": f"/projects/import/templates/{text}.xlsx",
        "projects:import_preview": f"/projects/import/{text}/",
        "issue_detail": f"/issues/{text}/",
        "visit_detail": f"/visits/{text}/",
        "photo_file": f"/media/photos/{text}/thumb/",
        "round_report_photo": f"/media/report-photos/{text}/thumb/",
        "briefing_detail": f"/briefings/{text}/",
        "briefing_preview": f"/briefings/{text}/preview/",
        "briefing_download": f"/briefings/{text}/pdf/",
        "briefing_preview_live": f"/briefings/preview/weekly/{text}/",
        "round_report": f"/rounds/reports/{text}/",
        "round_detail": f"/rounds/2026-{text}/",
    }
    return urls[name], {200, 404}


PATH_NAMES = [name for name, test in WEB_INVENTORY.items() if test == "test_ids_in_paths"]


@fuzz_settings(100)
@given(
    name=st.sampled_from(PATH_NAMES),
    value=st.one_of(
        path_ids(),
        hostile_text,
        st.sampled_from(["T-OWN", "T-OTHER", "0", "-1", "2026-W01", "9999-W52", "register"]),
    ),
    role=st.sampled_from(["manager", "official"]),
)
def test_ids_in_paths(world, clients, name, value, role):
    """Any id, code or name in a path answers the page or 404 (403 only where the role
    may not open such pages at all)."""
    url, allowed = _path(name, world, value)
    with rolled_back():
        client = clients[role]
        response = client.get(url)
        assert response.status_code in allowed | {403}, (url, response.status_code)
        if name == "project_detail" and role == "manager" and str(value) == "T-OTHER":
            assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        lambda w: f"/projects/{w.other.code}/",
        lambda w: f"/issues/{w.other_issue.pk}/",
        lambda w: f"/visits/{w.other_visit.pk}/",
        lambda w: f"/projects/{w.other.code}/milestones/{w.other_milestone.pk}/dates/",
    ],
)
def test_a_manager_asking_for_another_managers_records_gets_404(client, world, manager, url):
    client.force_login(manager)
    target = url(world)
    before = snapshot()
    response = client.post(target, {}) if target.endswith("/dates/") else client.get(target)
    assert response.status_code == 404
    assert world.other.name not in response.content.decode()
    assert not changed_tables(before, snapshot())
    # Their own milestone under the other project's code is just as unknown.
    mixed = f"/projects/{world.other.code}/milestones/{world.milestone.pk}/dates/"
    assert client.post(mixed, {}).status_code == 404


# ---------------------------------------------------------------- GET filters

ids = st.one_of(hostile_ids(), st.integers(1, 12).map(str))
text = st.one_of(st.sampled_from(["甲", "T-OWN", "T-OTHER", "测试科技"]), hostile_text)
REGISTER = {
    "q": text,
    "park": ids,
    "sector": ids,
    "status": st.one_of(st.sampled_from(Project.Status.values), hostile_text),
    "light": st.one_of(st.sampled_from(["green", "yellow", "red"]), hostile_text),
    "responsible_person": ids,
    "category": st.one_of(st.sampled_from(Project.Category.values), hostile_text),
    "sort": st.one_of(st.sampled_from(["-total", "light", "name", "-"]), hostile_text),
    "page": hostile_numbers,
}
ISSUES = {
    "project": ids,
    "category": st.one_of(st.sampled_from(CATEGORY_CODES), hostile_text),
    "department": ids,
    "status": st.one_of(st.sampled_from(Issue.Status.values), hostile_text),
    "overdue": st.one_of(st.just("1"), hostile_text),
    "page": hostile_numbers,
}
VISITS = {
    "project": ids,
    "park": ids,
    "visited_from": hostile_dates,
    "visited_to": hostile_dates,
    "visitor": text,
    "page": hostile_numbers,
}
AUDIT = {
    "action": hostile_text,
    "user": text,
    "occurred_from": hostile_dates,
    "occurred_to": hostile_dates,
    "ip_address": st.one_of(st.sampled_from(["127.0.0.1", "::1", "10."]), hostile_text),
    "page": hostile_numbers,
}
# Each page with a filter, and the parameters it reads.
FILTER_PAGES = {
    "/projects/": REGISTER,
    "/projects/export.xlsx": REGISTER,
    "/projects/export.csv": REGISTER,
    "/projects/milestones/export.xlsx": REGISTER,
    "/projects/milestones/export.csv": REGISTER,
    "/projects/investment/export.xlsx": REGISTER,
    "/projects/investment/export.csv": REGISTER,
    "/issues/": ISSUES,
    "/issues/export.xlsx": ISSUES,
    "/issues/export.csv": ISSUES,
    "/issues/board/": {"department": ids},
    "/visits/new/": {"project": text, "new": hostile_text},
    "/visits/": VISITS,
    "/visits/export.xlsx": VISITS,
    "/audit/": AUDIT,
    "/audit/export.csv": AUDIT,
}


@st.composite
def filter_requests(draw):
    url = draw(st.sampled_from(sorted(FILTER_PAGES)))
    strategies = FILTER_PAGES[url]
    names = draw(st.sets(st.sampled_from(sorted(strategies)), min_size=1, max_size=4))
    return url, {name: draw(strategies[name]) for name in sorted(names)}


@fuzz_settings(150)
@given(
    call=filter_requests(),
    role=st.sampled_from(["official", "manager", "leader", "admin_user", "dept_user"]),
    htmx=st.booleans(),
)
def test_get_filters(world, clients, call, role, htmx):
    """Filters the page does not understand are ignored or match nothing: always the page
    (or the file), never an error; a manager's export never holds another's project."""
    url, params = call
    with rolled_back():
        client = clients[role]
        response = client.get(url, params, headers=HTMX if htmx else {})
        assert response.status_code in (200, 403, 404), (url, params, response.status_code)
        if response.status_code == 404:
            assert url == "/issues/board/", (url, params)
        typed = " ".join(params.values())
        if role == "manager" and response.status_code == 200 and "T-OTHER" not in typed:
            content = b"".join(response) if response.streaming else response.content
            assert world.other.code.encode() not in content


# The inputs PostgreSQL refuses outright, in every path and every filter, every time
# (Hypothesis may not draw them for each one): NUL, and the last day there is.
NUL_VALUES = ["\x00", "T-OWN\x00", "9999-12-31", "9999-W52", "9999-12"]


@pytest.mark.parametrize("name", PATH_NAMES)
def test_nul_and_the_last_day_in_every_path(world, clients, name):
    for value in NUL_VALUES:
        url, allowed = _path(name, world, value)
        for role in ("official", "manager"):
            response = clients[role].get(url)
            assert response.status_code in allowed | {403}, (url, role, response.status_code)


@pytest.mark.parametrize("url", sorted(FILTER_PAGES))
def test_nul_and_the_last_day_in_every_filter(world, clients, url):
    for value in NUL_VALUES:
        params = dict.fromkeys(FILTER_PAGES[url], value)
        for role in ("official", "leader", "manager", "dept_user"):
            response = clients[role].get(url, params)
            assert response.status_code in (200, 403, 404), (url, role, value, response.status_code)


def _usual_posts(world, today) -> dict[str, tuple[str, str, dict]]:
    """A valid post to every form: URL name -> (role, URL, data)."""
    own, milestone, issue = world.own, world.milestone, world.issues[Issue.Status.RAISED]
    last_week = periods.last_complete(periods.WEEKLY, today).key
    checked = _report_to_check(world, today)
    return {
        "projects:status": (
            "official",
            reverse("projects:status", args=[own.code]),
            {"status-status": "trial", "status-version": "1"},
        ),
        "projects:milestone_dates": (
            "official",
            reverse("projects:milestone_dates", args=[own.code, milestone.pk]),
            {
                f"dates-{milestone.pk}-forecast_date": "2030-01-01",
                f"dates-{milestone.pk}-version": "1",
            },
        ),
        "projects:milestone_rebaseline": (
            "official",
            reverse("projects:milestone_rebaseline", args=[own.code, milestone.pk]),
            {
                f"rebaseline-{milestone.pk}-baseline_date": "2030-01-01",
                f"rebaseline-{milestone.pk}-reason": "计划调整获批",
                f"rebaseline-{milestone.pk}-version": "1",
            },
        ),
        "projects:investment": (
            "official",
            reverse("projects:investment", args=[own.code, 1]),
            {"month-1-month": "1", "month-1-completed_amount": "10", "month-1-version": "1"},
        ),
        "projects:note": (
            "official",
            reverse("projects:note", args=[own.code]),
            {"note-body": "进展顺利"},
        ),
        "issue_transition": (
            "official",
            reverse("issue_transition", args=[issue.pk, "assign"]),
            {
                "assign-department": str(world.department.pk),
                "assign-deadline": (today + timedelta(days=5)).isoformat(),
                "assign-owner": "王科长",
                "assign-comment": "请协调",
                "next": "/issues/board/",
            },
        ),
        "visit_create": (
            "manager",
            reverse("visit_create"),
            {
                "submission_key": str(uuid.uuid4()),
                "project": str(own.pk),
                "visited_on": today.isoformat(),
                "visitors": "姚丽英 市政协副主席",
                "contacts": "陈华瑞 项目现场负责人",
                "notes": "现场走访",
                "issue-0-title": "建材供应不足",
                "issue-0-category": "material_supply",
                "issue-0-severity": "normal",
                "issue-0-description": "部分建材来自湖北",
            },
        ),
        "visit_draft": (
            "manager",
            reverse("visit_draft"),
            {"submission_key": str(uuid.uuid4()), "notes": "草稿"},
        ),
        "briefing_generate": (
            "official",
            reverse("briefing_generate"),
            {"kind": "weekly", "period": last_week, "reissue_reason": "数据更正"},
        ),
        "briefing_subscription": (
            "leader",
            reverse("briefing_subscription"),
            {"kind": "weekly", "subscribed": "1"},
        ),
        "api_token_create": ("manager", reverse("api_token_create"), {"name": "城市平台"}),
        "login": (
            "anonymous",
            reverse("login"),
            {"username": "t-pm", "password": "test-pass-123", "next": "/"},
        ),
        "set_language": ("manager", reverse("set_language"), {"language": "en", "next": "/"}),
        "round_report_accept": (
            "official",
            reverse("round_report_accept", args=[checked.pk]),
            {"accept-version": str(checked.version), "accept-comment": "数据核实无误"},
        ),
        "round_report_return": (
            "official",
            reverse("round_report_return", args=[checked.pk]),
            {"return-version": str(checked.version), "return-reason": "请补充现场照片"},
        ),
        "round_report_fill": (
            "manager",
            reverse("round_report_fill", args=[_round_report(world).pk]),
            {
                "submission_key": str(uuid.uuid4()),
                "version": str(_round_report(world).version),
                "completed_amount": "1250.5",
                "cumulative": "",
                "physical_progress": "主体结构封顶",
                "employees_on_site": "180",
                "in_statistics": "on",
                "in_statistics_on": (today - timedelta(days=3)).isoformat(),
                "problem_0_category": "material_supply",
                "problem_0_description": "部分建材来自湖北，供应不足",
                "action": "submit",
            },
        ),
        "round_report_correct": (
            "manager",
            reverse("round_report_correct", args=[_accepted_report(world).pk]),
            {"version": str(_accepted_report(world).version), "reason": "统计口径更正"},
        ),
    }


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "9999-12-31", "NaN", "\x1b[31m"])
def test_each_field_of_every_form_with_nul_or_an_edge(world, clients, today, value):
    """Every field of every form, one at a time, given NUL or another edge value: never an
    error; the forms' own posts (the valid baseline) all succeed."""
    posts = _usual_posts(world, today)
    # Every form posted to, but those whose input is a file or an id in the path.
    in_path = {"projects:import", "projects:import_confirm", "api_token_revoke"}
    views = named_urls()
    assert set(posts) == {name for name in WEB_INVENTORY if accepts_post(views[name])} - in_path
    for name, (role, url, usual) in posts.items():
        client = Client() if role == "anonymous" else clients[role]
        with rolled_back():
            baseline = client.post(url, usual)
            assert baseline.status_code in (200, 302), (name, baseline.status_code)
        for field in usual:
            with rolled_back():
                response = client.post(url, {**usual, field: value})
                assert response.status_code < 500, (name, field, value)


def test_hostile_text_is_shown_as_text(world, clients):
    """A note with markup comes back escaped on the project page."""
    client = clients["official"]
    response = client.post(reverse("projects:note", args=[world.own.code]), {"note-body": SCRIPT})
    assert response.status_code == 302
    page = client.get(reverse("project_detail", args=[world.own.code])).content.decode()
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_verdicts_know_the_edges():
    assert text_verdict("\x00", max_length=10) is False
    assert text_verdict(" 中文🚧 ", max_length=3) is True
    assert date_verdict("9999-12-31") is False and date_verdict("2026-02-30") is False
    assert decimal_verdict("NaN", max_digits=14, decimal_places=2) is False
    assert decimal_verdict("1e309", max_digits=14, decimal_places=2) is None
    assert integer_verdict("１２３") is None and integer_verdict("-1", min_value=0) is False
