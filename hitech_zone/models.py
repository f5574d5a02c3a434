import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Roles are groups; see hitech_zone.permissions."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.get_username()

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.get_username()


class Heartbeat(models.Model):
    """Last time a background process proved it was alive (beat, a worker)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    last_seen = models.DateTimeField(_("last seen"))
    count = models.PositiveBigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class DataVersion(models.Model):
    """One row: a token that changes with every committed transaction that writes what the
    pages show (database triggers, hitech_zone.data_version). Cached page fragments are
    keyed by it, so a write retires them at once, whatever path it took."""

    token = models.BigIntegerField(_("token"))

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return str(self.token)


class TaskRun(models.Model):
    """One finished run of a Celery task (a retry is a run too), for the metrics page.

    Written by the Celery signals (`hitech_zone.celery_signals`); rows older than
    TASK_RUN_KEEP_DAYS are deleted every night."""

    class State(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")
        RETRY = "retry", _("retry")

    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task id"), max_length=64)
    queue = models.CharField(_("queue"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State)
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["started_at"], name="taskrun_started_at")]
        verbose_name = _("task run")
        verbose_name_plural = _("task runs")

    def __str__(self) -> str:
        return f"{self.task_name} {self.state} {self.duration_ms} ms"


class ReferenceData(models.Model):
    """A coded entry of a list that admins keep: parks, sectors, departments."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A key to the JSON API (/api/v1/), issued to one user and acting as that user.

    Only the SHA-256 of the key is stored: the key is shown once, when the token is
    created. Keys are 256 random bits, so a fast hash is enough (no stretching needed);
    `key_prefix`, the key's first characters, tells a user's tokens apart."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("What the token is for."))
    key_prefix = models.CharField(_("key prefix"), max_length=12, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class AuditEntryImmutable(Exception):
    """An audit entry was about to be changed or deleted: the log is append-only."""


class AuditEntryQuerySet(models.QuerySet):
    """Rows are added, never changed or removed in bulk. (Deleting a user still sets
    `user` to NULL: Django does that through the base manager, and the username text
    stays.)"""

    def update(self, **kwargs):
        raise AuditEntryImmutable("Audit entries cannot be changed.")

    def delete(self):
        raise AuditEntryImmutable("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """One security-relevant event: who, what, when (UTC), from where.

    Append-only: written by `hitech_zone.audit.audit_record`, read on the audit log page
    (leaders and admins), never changed or deleted from the application."""

    class Action(models.TextChoices):
        LOGIN = "login", _("sign-in")
        LOGIN_FAILED = "login_failed", _("failed sign-in")
        LOGOUT = "logout", _("sign-out")
        ACCESS_DENIED = "access_denied", _("access denied")
        IMPORT = "import", _("import")
        EXPORT = "export", _("export")
        BRIEFING_DOWNLOAD = "briefing_download", _("briefing download")

    occurred_at = models.DateTimeField(
        _("time"), default=timezone.now, db_index=True, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("user"),
    )
    # Kept as text: the name survives the user's deletion, and a failed sign-in may name
    # no user at all.
    username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action)
    target = models.CharField(_("target"), max_length=500, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    # The request's id, as in the process log's lines for it (hitech_zone.logging).
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["action", "-occurred_at"], name="auditentry_action_time"),
            models.Index(fields=["username", "-occurred_at"], name="auditentry_username_time"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.username}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditEntryImmutable("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEntryImmutable("Audit entries cannot be deleted.")


class OutboxMessage(models.Model):
    """A task to send to the Celery broker, written in the same transaction as the change
    that needs it, so the work is never lost when the broker is down: `hitech_zone.outbox`
    sends it after commit and again on every sweep until the broker takes it."""

    task_name = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The request that asked for the work, carried into the task's log lines.
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The sweep reads only the unsent rows, oldest first.
            models.Index(
                fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_unsent"
            ),
            models.Index(fields=["sent_at"], name="outbox_sent_at"),
        ]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self) -> str:
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M:%S}" if self.sent_at else "waiting"
        return f"{self.task_name} {self.kwargs} ({state})"
