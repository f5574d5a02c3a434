"""The admin of the group robots: channels with write-only credentials, their failing
state, and a "send a test message" button (and list action)."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inspections.robots import deliveries, sending, vendors
from inspections.robots.models import RobotChannel, RobotDelivery

SIGNED_VENDORS = {RobotChannel.Vendor.DINGTALK, RobotChannel.Vendor.FEISHU}


def masked_address(url: str) -> str:
    """The webhook address with its key or token hidden but for its first 4 characters."""
    for vendor in vendors.VENDORS.values():
        try:
            token = vendor.token_from(url)
        except vendors.WebhookAddressError:
            continue
        return url.replace(token, f"{token[:4]}…")
    return "…"


class RobotChannelForm(forms.ModelForm):
    """The webhook address and the secret are credentials: never put back in the page.
    Left empty when changing a channel, they keep their stored value."""

    webhook_url = forms.CharField(
        label=_("webhook address"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("As the vendor shows it. Leave empty to keep the one saved."),
    )
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "DingTalk 加签 or Feishu 签名校验 secret (WeCom robots have none). Leave empty "
            "to keep the one saved."
        ),
    )

    class Meta:
        model = RobotChannel
        fields = ("name", "vendor", "webhook_url", "secret", "audience", "department", "active")

    def clean(self):
        data = super().clean()
        stored = self.instance if self.instance.pk else None
        vendor = data.get("vendor")
        url = data.get("webhook_url") or (stored.webhook_url if stored else "")
        if not data.get("webhook_url"):
            data["webhook_url"] = url
        if not data.get("secret") and stored and stored.vendor == vendor:
            data["secret"] = stored.secret
        if not url:
            self.add_error("webhook_url", _("Enter the robot's webhook address."))
        elif vendor in vendors.VENDORS:
            try:
                vendors.VENDORS[vendor].token_from(url)
            except vendors.WebhookAddressError:
                self.add_error("webhook_url", _("This is not a webhook address of this vendor."))
        if vendor in SIGNED_VENDORS and not data.get("secret"):
            self.add_error("secret", _("Enter the robot's signing secret."))
        if vendor == RobotChannel.Vendor.WECOM:
            data["secret"] = ""
        return data


def _send_test(request, channel: RobotChannel) -> None:
    try:
        sending.test_message_send(channel, by=request.user)
    except vendors.RobotError as error:
        messages.error(
            request,
            gettext("The test message to %(name)s was not sent: %(error)s")
            % {"name": channel.name, "error": error.detail},
        )
    else:
        messages.success(
            request, gettext("A test message was sent to %(name)s.") % {"name": channel.name}
        )


@admin.register(RobotChannel)
class RobotChannelAdmin(admin.ModelAdmin):
    form = RobotChannelForm
    list_display = (
        "name",
        "vendor",
        "audience",
        "department",
        "active",
        "is_failing",
        "waiting",
        "last_error",
    )
    list_filter = ("vendor", "audience", "active", ("failing_since", admin.EmptyFieldListFilter))
    list_select_related = ("department",)
    readonly_fields = ("address_shown", "failing_since", "last_error")
    actions = ["send_test_message"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                waiting_count=Count(
                    "deliveries",
                    filter=Q(deliveries__state__in=sending.WAITING),
                )
            )
        )

    def get_fields(self, request, obj=None):
        fields = ["name", "vendor", "address_shown", "webhook_url", "secret"]
        fields += ["audience", "department", "active"]
        if obj is not None:
            fields += ["failing_since", "last_error"]
        return fields

    @admin.display(description=_("webhook address saved"))
    def address_shown(self, obj):
        return masked_address(obj.webhook_url) if obj and obj.webhook_url else "—"

    @admin.display(boolean=True, description=_("failing"))
    def is_failing(self, obj):
        return obj.failing

    @admin.display(description=_("messages waiting"), ordering="waiting_count")
    def waiting(self, obj):
        return getattr(obj, "waiting_count", 0)

    def save_model(self, request, obj, form, change):
        # Saved by an admin (a new key, say): the channel is given another chance, and
        # its waiting messages go out.
        with transaction.atomic():
            obj.failing_since = None
            obj.last_error = ""
            super().save_model(request, obj, form, change)
            if change and obj.deliveries.filter(state__in=sending.WAITING).exists():
                deliveries.send_request([obj.pk])

    @admin.action(description=_("Send a test message"))
    def send_test_message(self, request, queryset):
        for channel in queryset:
            _send_test(request, channel)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_send_test" in request.POST and object_id:
            channel = self.get_object(request, object_id)
            if channel is not None and self.has_change_permission(request, channel):
                _send_test(request, channel)
                return HttpResponseRedirect(request.path)
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(RobotDelivery)
class RobotDeliveryAdmin(admin.ModelAdmin):
    list_display = ("title", "channel", "state", "attempts", "created_at", "sent_at", "last_error")
    list_filter = ("state", "channel")
    list_select_related = ("channel",)
    readonly_fields = [f.name for f in RobotDelivery._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send again"))
    def send_again(self, request, queryset):
        """A message the vendor refused, sent again (after fixing what it refused)."""
        with transaction.atomic():
            channel_ids = set(queryset.values_list("channel_id", flat=True))
            queryset.filter(state=RobotDelivery.State.FAILED).update(
                state=RobotDelivery.State.PENDING, next_try_at=timezone.now(), last_error=""
            )
            deliveries.send_request(channel_ids)
