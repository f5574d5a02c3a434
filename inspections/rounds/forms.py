"""Forms of the monthly round for project managers: the report (月报填报) and the request
to correct an accepted one (更正)."""

import uuid
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone.forms import CodeChoiceField, InputRulesMixin, error_summary
from hitech_zone.money import format_wan
from inspections import photos as photo_store
from inspections.forms import MultipleFileField, MultipleFileInput
from inspections.models import IssueCategory, MonthlyReport
from projects import progress
from projects.forms import DateInput
from projects.models import Milestone

# Empty rows offered for problems met this month (more when a draft already holds more).
PROBLEM_ROWS = 3


def milestone_field(milestone: Milestone) -> str:
    return f"milestone_{milestone.pk}"


class _ReportFields(forms.Form):
    """The report's fields; the milestones and problem rows are added per report. Kept
    under `ReportForm` so that the shared input rules reach the added fields too."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    completed_amount = forms.DecimalField(
        label=_("Investment completed this month (10k yuan)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        help_text=_("0 when nothing was invested this month."),
    )
    cumulative = forms.DecimalField(
        label=_("Cumulative this year, as you count it (10k yuan)"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        help_text=_(
            "Optional: checked against the months accepted so far plus this month, "
            "so a slip of the pen is caught before you submit."
        ),
    )
    physical_progress = forms.CharField(
        label=_("Physical progress (形象进度)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What stands on site at the month's end, e.g. 主体结构封顶, 设备安装调试."),
    )
    employees_on_site = forms.IntegerField(
        label=_("Workers on site"),
        required=False,
        min_value=0,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    in_statistics = forms.BooleanField(
        label=_("The project is entered in the statistics (入库)"), required=False
    )
    in_statistics_on = forms.DateField(
        label=_("Date entered in the statistics"), required=False, widget=DateInput()
    )
    photos = MultipleFileField(
        label=_("Photos of the site"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    keep_location = forms.BooleanField(label=_("Keep the photos' location (GPS)"), required=False)

    def __init__(
        self,
        *args,
        report: MonthlyReport,
        milestones: list[Milestone],
        accepted_before: Decimal,
        photo_slots: int,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.report = report
        self.accepted_before = accepted_before
        self.period_end = progress.through(report.round.year, report.round.month).end
        self.milestones = milestones
        self.photo_slots = photo_slots
        # 提交审核 rather than 保存草稿: what a submission needs is asked for at once, so a
        # refused submission leaves nothing half done.
        self.submitting = self.is_bound and self.data.get("action") == "submit"
        self.fields["photos"].help_text = _(
            "JPEG, PNG or WebP; %(count)s more may be added to this report."
        ) % {"count": photo_slots}
        reached = report.milestones_reached or {}
        for milestone in milestones:
            name = milestone_field(milestone)
            self.fields[name] = forms.DateField(
                label=milestone.name,
                required=False,
                widget=DateInput(),
                help_text=_("Planned %(day)s. The day it was reached, if it was.")
                % {"day": milestone.baseline_date.isoformat()},
            )
            if reached.get(str(milestone.pk)):
                self.initial.setdefault(name, date.fromisoformat(reached[str(milestone.pk)]))
        open_problems = [p for p in report.problems or [] if not p.get("issue")]
        self.problem_rows = max(PROBLEM_ROWS, len(open_problems))
        for index in range(self.problem_rows):
            category = CodeChoiceField(
                label=_("Issue category"),
                queryset=IssueCategory.objects.all(),
                to_field_name="code",
                required=False,
            )
            category.empty_label = "—"
            self.fields[f"problem_{index}_category"] = category
            self.fields[f"problem_{index}_description"] = forms.CharField(
                label=_("Problem"),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            if index < len(open_problems):
                self.initial.setdefault(
                    f"problem_{index}_category", open_problems[index].get("category")
                )
                self.initial.setdefault(
                    f"problem_{index}_description", open_problems[index].get("description")
                )
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())
            self.initial.setdefault("version", report.version)
            for name in (
                "completed_amount",
                "physical_progress",
                "employees_on_site",
                "in_statistics",
                "in_statistics_on",
            ):
                self.initial.setdefault(name, getattr(report, name))


class ReportForm(InputRulesMixin, _ReportFields):
    """月报填报: the month's figures, progress, photos, milestones reached, 入库 and the
    problems met. Everything may be left empty in a draft; the service says what a
    submission needs."""

    def milestone_fields(self):
        return [(milestone, self[milestone_field(milestone)]) for milestone in self.milestones]

    def problem_fields(self):
        return [
            (self[f"problem_{index}_category"], self[f"problem_{index}_description"])
            for index in range(self.problem_rows)
        ]

    def clean_photos(self):
        """The checks of site-visit photos, before anything is saved: the form is refused
        whole, not saved with some photos missing."""
        files = self.cleaned_data["photos"]
        if len(files) > self.photo_slots:
            raise ValidationError(
                _("This report takes %(count)s more photos at most: choose fewer.")
                % {"count": self.photo_slots}
            )
        errors = []
        for uploaded in files:
            try:
                photo_store.validate_upload(uploaded).close()
            except photo_store.PhotoRejected as rejection:
                errors.append(rejection.message)
        if errors:
            raise ValidationError(errors)
        return files

    def clean_in_statistics_on(self):
        day = self.cleaned_data["in_statistics_on"]
        if day and day > timezone.localdate():
            raise ValidationError(_("This date cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        for milestone in self.milestones:
            name = milestone_field(milestone)
            day = data.get(name)
            if day and day > today:
                self.add_error(name, _("This date cannot be in the future."))
            elif day and day > self.period_end:
                self.add_error(
                    name,
                    _("Reached after %(end)s: report it next month.")
                    % {"end": self.period_end.isoformat()},
                )
        for index in range(self.problem_rows):
            description = (data.get(f"problem_{index}_description") or "").strip()
            if description and not data.get(f"problem_{index}_category"):
                self.add_error(f"problem_{index}_category", _("Choose a category."))
        self._check_cumulative(data)
        if self.submitting:
            # The service's own rules and words (report_submit), asked before saving.
            if data.get("completed_amount") is None and "completed_amount" not in self.errors:
                self.add_error(
                    "completed_amount",
                    _("Enter the month's completed investment (0 when nothing was invested)."),
                )
            undated = data.get("in_statistics") and data.get("in_statistics_on") is None
            if undated and "in_statistics_on" not in self.errors:
                self.add_error(
                    "in_statistics_on", _("Enter the day the project entered the statistics.")
                )
        return data

    def _check_cumulative(self, data) -> None:
        stated = data.get("cumulative")
        if stated is None or "completed_amount" in self.errors:
            return
        month = data.get("completed_amount")
        if month is None:
            self.add_error(
                "completed_amount",
                _("Enter this month's figure: your cumulative figure is checked against it."),
            )
            return
        expected = self.accepted_before + month
        if stated != expected:
            self.add_error(
                "cumulative",
                _(
                    "Your cumulative figure %(stated)s does not agree with the months "
                    "accepted so far (%(before)s) plus this month (%(month)s), which make "
                    "%(expected)s (10k yuan). Correct this month's figure, or leave the "
                    "cumulative figure empty and say in the progress what differs."
                )
                % {
                    "stated": format_wan(stated),
                    "before": format_wan(self.accepted_before),
                    "month": format_wan(month),
                    "expected": format_wan(expected),
                },
            )

    def report_values(self) -> dict:
        """What `services.report_save` takes, from the cleaned data."""
        data = self.cleaned_data
        return {
            "completed_amount": data["completed_amount"],
            "physical_progress": data["physical_progress"].strip(),
            "employees_on_site": data["employees_on_site"],
            "in_statistics": data["in_statistics"],
            "in_statistics_on": data["in_statistics_on"] if data["in_statistics"] else None,
            "milestones_reached": {
                str(milestone.pk): data[milestone_field(milestone)]
                for milestone in self.milestones
                if data.get(milestone_field(milestone))
            },
            "problems": [
                {
                    "category": data[f"problem_{index}_category"].code,
                    "description": data[f"problem_{index}_description"].strip(),
                }
                for index in range(self.problem_rows)
                if data.get(f"problem_{index}_category")
                and data.get(f"problem_{index}_description", "").strip()
            ],
        }

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(anchor, label, message) for every error, for the summary at the top of the form."""
        return error_summary(self)

    def keep_version(self, version: int) -> None:
        """Carry `version` in the form shown again, so the next save is not refused for
        the same reason (the user has been told what changed)."""
        self.data = self.data.copy()
        self.data["version"] = str(version)


class CorrectForm(InputRulesMixin, forms.Form):
    """更正: open an accepted report again, saying what is corrected."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    # Required by the service (its message), so there is one rule and one wording.
    reason = forms.CharField(
        label=_("What is corrected, and why"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
