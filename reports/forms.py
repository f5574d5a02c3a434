from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone.forms import EARLIEST_DATE, InputRulesMixin
from reports import periods
from reports.models import Briefing


class BriefingRequestForm(InputRulesMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Briefing.Kind.choices)
    period = forms.CharField(
        label=_("Period"),
        max_length=8,
        help_text=_("A week like 2026-W44, or a month like 2026-10."),
    )
    reissue_reason = forms.CharField(
        label=_("Reason for a re-issue"),
        max_length=200,
        required=False,
        help_text=_("Only used when the period already has a published briefing."),
    )

    def clean(self):
        data = super().clean()
        kind, text = data.get("kind"), data.get("period")
        if not kind or not text:
            return data
        try:
            period = periods.parse(kind, text)
        except periods.PeriodError as error:
            self.add_error("period", str(error))
            return data
        if period.start > timezone.localdate():
            self.add_error("period", _("This period has not begun yet."))
            return data
        if period.start < EARLIEST_DATE:
            self.add_error(
                "period",
                _("There are no briefings before %(year)s.") % {"year": EARLIEST_DATE.year},
            )
            return data
        data["period"] = period
        return data
