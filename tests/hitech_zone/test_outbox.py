"""The transactional outbox: work is recorded with the change that needs it, sent once the
change commits, and waits (quickly, without failing anything) while the broker is down.
The end-to-end run with real processes is tests/faults/test_redis_down.py."""

import json
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hitech_zone import outbox
from hitech_zone.celery_signals import REQUEST_ID_HEADER
from hitech_zone.logging import request_id_reset, request_id_set
from hitech_zone.models import OutboxMessage
from hitech_zone.tasks import heartbeat_record
from reports.tasks import briefing_generate_task, slip_detect_task
from tests.celery_conf import broker_conf, closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    with broker_conf(broker_url=f"redis://127.0.0.1:{closed_port()}/0"):
        yield


@pytest.fixture
def file_broker(tmp_path):
    """A file broker of the test's own: each message sent is a file in `queue/`."""
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    with broker_conf(broker_url="filesystem://", broker_transport_options=options):
        yield folders["queue"]


def sent_messages(queue) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(queue.iterdir())]


def test_work_asked_for_in_a_rolled_back_change_is_never_sent(file_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.outbox_enqueue(heartbeat_record, name="never")
        raise RuntimeError("the change failed")

    assert not OutboxMessage.objects.exists()
    assert outbox.outbox_flush() == 0
    assert sent_messages(file_broker) == []


def test_a_down_broker_leaves_the_work_waiting_without_holding_up_the_change(
    broker_down, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.outbox_enqueue(heartbeat_record, name="later")
    assert time.monotonic() - started < 2

    message.refresh_from_db()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error  # the fault, for the administrator
    assert outbox.outbox_waiting_count() == 1


def test_a_flush_sends_each_waiting_message_once_with_its_request_id(file_broker):
    token = request_id_set("req-outbox-1")
    try:
        first = outbox.outbox_enqueue(heartbeat_record, name="one")
    finally:
        request_id_reset(token)
    second = outbox.outbox_enqueue(briefing_generate_task, briefing_id=7)

    assert outbox.outbox_flush() == 2
    assert outbox.outbox_flush() == 0

    # By task: the file broker's file names do not keep the order of two sends within
    # the same instant.
    messages = {message["headers"]["task"]: message for message in sent_messages(file_broker)}
    assert sorted(messages) == [
        "hitech_zone.tasks.heartbeat_record",
        "reports.tasks.briefing_generate",
    ]
    assert messages["hitech_zone.tasks.heartbeat_record"]["headers"][REQUEST_ID_HEADER] == (
        "req-outbox-1"
    )
    for message in (first, second):
        message.refresh_from_db()
        assert message.sent_at is not None and message.attempts == 1
        assert message.last_error == ""


def test_a_message_that_waited_goes_once_the_broker_is_back(broker_down, tmp_path):
    message = outbox.outbox_enqueue(slip_detect_task)
    assert outbox.outbox_flush() == 0
    assert outbox.outbox_flush() == 0

    message.refresh_from_db()
    assert message.attempts == 2 and message.sent_at is None
    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "processed_folder": str(tmp_path),
        "control_folder": str(tmp_path),
    }
    with broker_conf(broker_url="filesystem://", broker_transport_options=options):
        assert outbox.outbox_flush() == 1
    message.refresh_from_db()
    assert message.attempts == 3 and message.sent_at is not None and not message.last_error


def test_waiting_is_asked_by_task_and_arguments(broker_down):
    outbox.outbox_enqueue(briefing_generate_task, briefing_id=5)

    assert outbox.outbox_waiting(briefing_generate_task, briefing_id=5)
    assert not outbox.outbox_waiting(briefing_generate_task, briefing_id=6)
    assert not outbox.outbox_waiting(slip_detect_task)
    OutboxMessage.objects.update(sent_at=timezone.now())
    assert not outbox.outbox_waiting(briefing_generate_task, briefing_id=5)


def test_sent_messages_are_pruned_after_their_days():
    now = timezone.now()
    old = OutboxMessage.objects.create(task_name="x", sent_at=now - timedelta(days=8))
    recent = OutboxMessage.objects.create(task_name="x", sent_at=now - timedelta(days=1))
    waiting = OutboxMessage.objects.create(task_name="x")

    assert outbox.outbox_prune(keep_days=7, now=now) == 1

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


def test_the_command_sends_what_waits_or_says_it_could_not(broker_down, tmp_path):
    outbox.outbox_enqueue(slip_detect_task)
    with pytest.raises(CommandError):
        call_command("outbox_flush")

    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "processed_folder": str(tmp_path),
        "control_folder": str(tmp_path),
    }
    with broker_conf(broker_url="filesystem://", broker_transport_options=options):
        call_command("outbox_flush")
    assert outbox.outbox_waiting_count() == 0


# Real commits, as in production: the outbox is sent the moment the view's write commits.
@pytest.mark.django_db(transaction=True)
def test_slip_detection_asked_for_while_the_broker_is_down_says_it_is_queued(
    client, official, broker_down
):
    client.force_login(official)
    response = client.post(reverse("slip_detect_now"), follow=True)
    page = response.content.decode()
    assert "任务服务器暂时无法连接" in page
    assert outbox.outbox_waiting(slip_detect_task)

    # Asking again while it waits adds nothing to wait.
    client.post(reverse("slip_detect_now"))
    assert OutboxMessage.objects.filter(task_name=slip_detect_task.name).count() == 1


@pytest.mark.django_db(transaction=True)
def test_slip_detection_asked_for_with_the_broker_up_says_it_runs(client, official, file_broker):
    client.force_login(official)
    response = client.post(reverse("slip_detect_now"), follow=True)
    page = response.content.decode()
    assert "任务服务器暂时无法连接" not in page
    assert "延误检测正在运行" in page
    assert [message["headers"]["task"] for message in sent_messages(file_broker)] == [
        "reports.tasks.slip_detect"
    ]
