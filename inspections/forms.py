import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone.forms import CodeChoiceField, InputRulesMixin
from inspections.models import Department, Issue, IssueCategory
from projects.forms import DateInput


class TransitionForm(InputRulesMixin, forms.Form):
    """The inputs a life-cycle step may need; the service says which are required."""

    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    owner = forms.CharField(label=_("Owner in the department"), max_length=60, required=False)
    result = forms.CharField(
        label=_("Result"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class IssueRaiseForm(InputRulesMixin, forms.Form):
    title = forms.CharField(label=_("Issue"), max_length=120)
    category = CodeChoiceField(
        label=_("Issue category"), queryset=IssueCategory.objects.all(), to_field_name="code"
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Issue.Severity.choices, initial=Issue.Severity.NORMAL
    )
    description = forms.CharField(
        label=_("Details"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class IssueRowForm(IssueRaiseForm):
    """One issue raised on a visit; a row left empty is ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["category"].empty_label = "—"

    def clean(self):
        data = super().clean()
        # A title refused (too long, say) is still a title typed: one message for it, the
        # field's own, and the row still needs its category.
        titled = data.get("title") or "title" in self.errors
        if titled and not data.get("category") and "category" not in self.errors:
            self.add_error("category", _("Choose a category."))
        if not titled and data.get("description"):
            self.add_error("title", _("Give the issue a title."))
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class SiteVisitForm(InputRulesMixin, forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    visited_on = forms.DateField(label=_("Date of visit"), widget=DateInput())
    visitors = forms.CharField(
        label=_("Visitors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: name, then title, e.g. 姚丽英 市政协副主席、高新区管委会副主任"),
    )
    contacts = forms.CharField(
        label=_("On-site contacts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: name, then title."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    leader_instruction = forms.CharField(
        label=_("Leader's instruction"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the visiting leader asked for (领导指示), as said on site."),
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP."),
    )
    keep_location = forms.BooleanField(label=_("Keep the photos' location (GPS)"), required=False)

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())
            self.initial.setdefault("visited_on", timezone.localdate())

    def clean_visited_on(self):
        visited_on = self.cleaned_data["visited_on"]
        if visited_on > timezone.localdate():
            raise ValidationError(_("A visit cannot be dated in the future."))
        return visited_on

    @staticmethod
    def people(text: str) -> list[tuple[str, str]]:
        rows = []
        for line in text.splitlines():
            name, _sep, title = line.strip().partition(" ")
            if name:
                rows.append((name[:60], title.strip()[:120]))
        return rows
