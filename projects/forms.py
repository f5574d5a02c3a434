from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone.forms import InputRulesMixin
from projects.models import Project, ProjectImport


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class VersionedForm(InputRulesMixin, forms.Form):
    """Carries the version of the record the user saw, so a stale save is caught."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        data = super().clean()
        # The project page shows a form's own errors, not those of its hidden fields
        # (the version, the month), which only a page left open or a forged post gets wrong.
        for name, field in self.fields.items():
            if field.widget.is_hidden and name in self._errors:
                self.add_error(None, _("This form is out of date: reload the page and try again."))
                break
        return data

    def apply_model_errors(self, error: ValidationError) -> None:
        """Show a model's validation errors beside the fields they concern."""
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("Status"), choices=Project.Status.choices)


class MilestoneDatesForm(VersionedForm):
    forecast_date = forms.DateField(label=_("Forecast date"), required=False, widget=DateInput())
    actual_date = forms.DateField(label=_("Actual date"), required=False, widget=DateInput())

    def clean_actual_date(self):
        actual = self.cleaned_data["actual_date"]
        if actual and actual > timezone.localdate():
            raise ValidationError(_("The actual date cannot be in the future."))
        return actual


class RebaselineForm(VersionedForm):
    baseline_date = forms.DateField(label=_("New baseline date"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason for re-baselining"),
        min_length=4,
        max_length=200,
        help_text=_("Recorded in the history, e.g. the plan change approved by the committee."),
    )


class MonthlyInvestmentForm(VersionedForm):
    month = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=12)
    completed_amount = forms.DecimalField(
        label=_("Completed (10k yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, year: int, month: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        # The month of the address posted to: the hidden field must say the same.
        self.month = month

    def clean_month(self):
        month = self.cleaned_data["month"]
        if self.month is not None and month != self.month:
            raise ValidationError(_("This form is for another month."))
        today = timezone.localdate()
        if (self.year, month) > (today.year, today.month):
            raise ValidationError(_("A month that has not begun has no completed investment yet."))
        return month


class ProgressNoteForm(InputRulesMixin, forms.Form):
    body = forms.CharField(
        label=_("Progress note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ProjectImportForm(InputRulesMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What the sheet holds"),
        choices=ProjectImport.Kind.choices,
        initial=ProjectImport.Kind.REGISTER,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.FileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        help_text=_("Nothing is written until you have checked the preview and confirmed."),
    )
