"""The sender: a channel's messages, oldest first, throttled, retried, each sent once as far
as the vendor lets us know.

For each message the sender, in one short transaction with the channel row locked,
checks the throttle (ROBOT_RATE_LIMITS per ROBOT_RATE_WINDOW_SECONDS, counting every
request the channel made in the window), marks the message "sending" with a lease
(ROBOT_SEND_LEASE_SECONDS) and commits; only then does it call the vendor, and it records
the answer in a second transaction. So:

- Order: a channel's messages go strictly in the order they were recorded. The oldest
  waiting message holds the others back while it waits for its retry.
- Throttle: a message that would exceed the limit waits for the window (the task asks to
  run again when it ends): queued, never dropped.
- Transient failures are retried with back-off (ROBOT_RETRY_BASE_SECONDS doubled, at most
  ROBOT_RETRY_MAX_SECONDS), without end; permanent ones mark the channel failing (its
  messages wait for an admin to fix it), or, when only that message was refused, that
  message failed.
- Once: a message sent and marked is never sent again. A worker killed during the call
  (between the "sending" commit and the "sent" commit) leaves the message "sending";
  after its lease another sender sends it again, because none of the three vendors
  takes an idempotency key on its webhook: the guarantee is at-least-once, and a
  duplicate is possible only for a sender killed during its HTTP call.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from inspections.robots import vendors
from inspections.robots.models import RobotChannel, RobotDelivery

logger = logging.getLogger(__name__)
State = RobotDelivery.State
WAITING = (State.PENDING, State.SENDING)


def _throttle_wait(channel: RobotChannel, now: float) -> tuple[float, list[float]]:
    """Seconds until the channel may send again (0: now), and its sends in the window."""
    window = settings.ROBOT_RATE_WINDOW_SECONDS
    limit = settings.ROBOT_RATE_LIMITS[channel.vendor]
    recent = sorted(t for t in channel.recent_sends if t > now - window)
    if len(recent) < limit:
        return 0.0, recent
    return max(recent[-limit] + window - now, 0.01), recent


def _requests_needed(delivery: RobotDelivery) -> int:
    # A file is two requests: its upload and its message. Only the message is counted by
    # the vendor's limit, which is about messages; counting both keeps on the safe side.
    return 2 if delivery.file_name else 1


def _claim_next(channel_id: int) -> RobotDelivery | float | None:
    """The channel's next message, marked "sending"; or the seconds to wait before asking
    again; or None when there is nothing to send now (all sent, or the channel failing,
    or another sender holds the next one)."""
    with transaction.atomic():
        channel = RobotChannel.objects.select_for_update().filter(pk=channel_id).first()
        if channel is None or not channel.active or channel.failing:
            return None
        head = (
            RobotDelivery.objects.filter(channel=channel, state__in=WAITING).order_by("pk").first()
        )
        if head is None:
            return None
        now = timezone.now()
        if head.state == State.SENDING and head.lease_until and head.lease_until > now:
            return None  # its sender is at it; if it dies, the sweep finds it after the lease
        if head.next_try_at > now:
            return (head.next_try_at - now).total_seconds()
        wait, recent = _throttle_wait(channel, now.timestamp())
        if (
            not wait
            and len(recent) + _requests_needed(head) > settings.ROBOT_RATE_LIMITS[channel.vendor]
        ):
            wait = max(recent[0] + settings.ROBOT_RATE_WINDOW_SECONDS - now.timestamp(), 0.01)
        if wait:
            return wait
        claimed = RobotDelivery.objects.filter(
            pk=head.pk, state=head.state, attempts=head.attempts
        ).update(
            state=State.SENDING,
            lease_until=now + timedelta(seconds=settings.ROBOT_SEND_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return 0.0  # another sender took it this instant: look again
        channel.recent_sends = recent + [now.timestamp()] * _requests_needed(head)
        channel.save(update_fields=["recent_sends"])
        head.refresh_from_db()
        return head


def _backoff(attempts: int) -> float:
    return min(
        settings.ROBOT_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.ROBOT_RETRY_MAX_SECONDS,
    )


def _call_vendor(delivery: RobotDelivery) -> None:
    vendor = vendors.vendor_for(delivery.channel)
    if delivery.file_name:
        with default_storage.open(delivery.file_name, "rb") as stored:
            content = stored.read()
        vendor.send_file(delivery.file_label or delivery.file_name.rsplit("/", 1)[-1], content)
        return
    with translation.override(settings.LANGUAGE_CODE):
        more = gettext("Read the rest")
    text = vendors.cut(delivery.text, vendor.markdown_limit, link=delivery.link, more=more)
    vendor.send_markdown(delivery.title, text)


def _send_one(delivery: RobotDelivery) -> bool:
    """Call the vendor for a claimed message and record what came of it; False when the
    channel turned out to be failing."""
    mine = RobotDelivery.objects.filter(
        pk=delivery.pk, state=State.SENDING, attempts=delivery.attempts
    )
    try:
        _call_vendor(delivery)
    except vendors.WebhookAddressError:
        error = vendors.RobotError(vendors.CHANNEL, "not a webhook address of this vendor")
    except vendors.RobotError as caught:
        error = caught
    else:
        mine.update(state=State.SENT, sent_at=timezone.now(), lease_until=None, last_error="")
        return True
    now = timezone.now()
    logger.warning(
        "robot message not sent: %s",
        error.detail,
        extra={"robot_channel": delivery.channel_id, "robot_error": error.kind},
    )
    if error.kind == vendors.TRANSIENT:
        mine.update(
            state=State.PENDING,
            lease_until=None,
            next_try_at=now + timedelta(seconds=_backoff(delivery.attempts)),
            last_error=error.detail[:500],
        )
        return True
    if error.kind == vendors.MESSAGE:
        mine.update(state=State.FAILED, lease_until=None, last_error=error.detail[:500])
        return True
    # The robot is unusable: its messages wait (this one too) until an admin fixes it.
    with transaction.atomic():
        mine.update(state=State.PENDING, lease_until=None, last_error=error.detail[:500])
        RobotChannel.objects.filter(pk=delivery.channel_id).update(
            failing_since=now, last_error=error.detail[:500]
        )
    return False


def deliveries_send(*, channel_id: int) -> float | None:
    """Send the channel's messages that are due, in order, until none is left or one has
    to wait; return the seconds until the sender should run again, or None when it need
    not (nothing waits, the channel is failing, or another sender is at it)."""
    while True:
        step = _claim_next(channel_id)
        if step is None or isinstance(step, float) and step > 0:
            return step
        if isinstance(step, float):
            continue
        if not _send_one(step):
            return None


def channels_due(*, now=None) -> list[int]:
    """Channels with a message due now: waiting past its retry time, or held by a sender
    past its lease (the sender died). For beat's sweep."""
    now = now or timezone.now()
    due = RobotDelivery.objects.filter(
        Q(state=State.PENDING, next_try_at__lte=now) | Q(state=State.SENDING, lease_until__lte=now),
        channel__active=True,
        channel__failing_since__isnull=True,
    )
    return sorted(set(due.values_list("channel_id", flat=True)))


def test_message_send(channel: RobotChannel, *, by=None) -> None:
    """The admin's "send a test message": a text message, now, outside the queue (it
    counts in the throttle). Raises vendors.RobotError; a permanent error marks the channel
    failing, a success clears it."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext("Test message from the key-project platform: this robot (%(name)s) works.")
        text %= {"name": channel.name}
    with transaction.atomic():
        locked = RobotChannel.objects.select_for_update().get(pk=channel.pk)
        wait, recent = _throttle_wait(locked, timezone.now().timestamp())
        if wait:
            raise vendors.RobotError(vendors.TRANSIENT, f"rate limit: wait {wait:.0f} s")
        locked.recent_sends = recent + [timezone.now().timestamp()]
        locked.save(update_fields=["recent_sends"])
    try:
        vendors.vendor_for(channel).send_text(text)
    except vendors.WebhookAddressError:
        raise vendors.RobotError(vendors.CHANNEL, "not a webhook address of this vendor") from None
    except vendors.RobotError as error:
        if error.kind == vendors.CHANNEL:
            RobotChannel.objects.filter(pk=channel.pk).update(
                failing_since=timezone.now(), last_error=error.detail[:500]
            )
        raise
    RobotChannel.objects.filter(pk=channel.pk).update(failing_since=None, last_error="")
    logger.info(
        "robot test message sent",
        extra={"robot_channel": channel.pk, "by": getattr(by, "pk", None)},
    )
