import re
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hitech_zone.models import ApiToken, Heartbeat, TaskRun, User

# Every API key starts with this, so a leaked key is recognisable (e.g. by secret scanners).
API_KEY_PREFIX = "hz_"
# Characters of the key shown to tell tokens apart: the prefix and 7 random ones.
API_KEY_SHOWN = 10
# The longest key worth hashing; anything longer is not one of ours.
API_KEY_MAX_LENGTH = 100
# last_used_at is written at most this often per token, not on every request.
API_TOKEN_USE_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def heartbeat_record(*, name: str) -> Heartbeat:
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(last_seen=now, count=F("count") + 1)
    if not updated:
        Heartbeat.objects.create(name=name, last_seen=now, count=1)
    return Heartbeat.objects.get(name=name)


def task_run_record(
    *,
    task_name: str,
    task_id: str,
    queue: str,
    state: str,
    started_at: datetime,
    duration_ms: int,
    request_id: str,
) -> TaskRun:
    return TaskRun.objects.create(
        task_name=task_name[:200],
        task_id=(task_id or "")[:64],
        queue=(queue or "")[:100],
        state=state,
        started_at=started_at,
        duration_ms=max(0, duration_ms),
        request_id=(request_id or "")[:64],
    )


def task_run_prune(*, keep_days: int, now: datetime | None = None) -> int:
    """Delete the task runs that started more than `keep_days` days ago; how many."""
    before = (now or timezone.now()) - timedelta(days=keep_days)
    deleted, _by_model = TaskRun.objects.filter(started_at__lt=before).delete()
    return deleted


def api_token_issue(*, token: ApiToken) -> str:
    """Give an unsaved token a new key and save it. Returns the key, which is not stored
    and cannot be shown again."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    token.key_prefix = key[:API_KEY_SHOWN]
    token.key_hash = ApiToken.hash_key(key)
    token.full_clean()
    token.save()
    return key


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for `user`, and its key (shown once)."""
    token = ApiToken(user=user, name=name)
    return token, api_token_issue(token=token)


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke the token for good; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, key: str) -> User | None:
    """The active user whose unrevoked token has this key, else None. Records when the
    token was last used (at most once a minute, so reading the API is not a write per
    request)."""
    if not key or len(key) > API_KEY_MAX_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= API_TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def person_create(*, full_name: str) -> User:
    """A user for a person the application was told of by name (an imported sheet's
    responsible person) who is not one yet. Active, so the name is found next time; with
    no usable password and no role, so they cannot sign in or see anything until an
    administrator gives them both. The user name is the name, made unique."""
    base = re.sub(r"[^\w.@+-]", "", full_name)[:140] or "person"
    taken = set(User.objects.filter(username__startswith=base).values_list("username", flat=True))
    username, number = base, 1
    while username in taken:
        number += 1
        username = f"{base}-{number}"
    user = User(username=username, full_name=full_name)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user
