"""A channel is one group robot; a delivery is one message to one channel."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RobotChannel(models.Model):
    """A group robot. Its webhook address and its signing secret are credentials: the
    admin never shows them again after saving (a masked address only) and nothing logs
    them."""

    class Vendor(models.TextChoices):
        WECOM = "wecom", _("WeCom (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk (钉钉)")
        FEISHU = "feishu", _("Feishu (飞书)")

    class Audience(models.TextChoices):
        DEPARTMENT = "department", _("A department")
        LEADERS = "leaders", _("The leaders")
        ZONE_OFFICE = "zone_office", _("The zone office")

    name = models.CharField(_("name"), max_length=80)
    vendor = models.CharField(_("vendor"), max_length=10, choices=Vendor)
    webhook_url = models.CharField(_("webhook address"), max_length=500)
    # DingTalk's 加签 and Feishu's 签名校验 secret; WeCom robots have none.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    audience = models.CharField(_("attached to"), max_length=12, choices=Audience)
    department = models.ForeignKey(
        "inspections.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="robot_channels",
        verbose_name=_("department"),
    )
    active = models.BooleanField(_("active"), default=True)
    # Set by a permanent error (a bad key, a revoked robot): nothing is sent until an
    # admin saves the channel again. Its messages wait meanwhile.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Moments (epoch seconds) of the requests in the current rate window, for the throttle.
    recent_sends = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        constraints = [
            models.CheckConstraint(
                condition=Q(audience="department", department__isnull=False)
                | (~Q(audience="department") & Q(department__isnull=True)),
                name="robot_channel_department_iff_department_audience",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_vendor_display()})"

    def clean(self) -> None:
        if self.audience == self.Audience.DEPARTMENT and not self.department_id:
            raise ValidationError({"department": _("Choose the department of this robot.")})
        if self.audience != self.Audience.DEPARTMENT:
            self.department = None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


class RobotDelivery(models.Model):
    """One message to one channel: one row per event and channel (unique), so recording a
    notice twice, or a job run twice, never sends it twice."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Refused by the vendor")

    channel = models.ForeignKey(
        RobotChannel, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("robot")
    )
    event_key = models.CharField(_("event"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text (markdown)"), blank=True)
    # Where the whole of a message cut to the vendor's limit can be read.
    link = models.CharField(_("link"), max_length=500, blank=True)
    # A stored file sent as a file message (WeCom: a briefing's PDF).
    file_name = models.CharField(_("file"), max_length=300, blank=True)
    file_label = models.CharField(_("file name shown"), max_length=120, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=State, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try"), default=timezone.now)
    # While "sending": another sender leaves it alone until then (its sender may be dead).
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("robot message")
        verbose_name_plural = _("robot messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "event_key"], name="robot_delivery_once_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["channel", "id"],
                condition=Q(state__in=["pending", "sending"]),
                name="robot_delivery_waiting_idx",
            )
        ]

    def __str__(self) -> str:
        return self.title
