from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hitech_zone.models import Heartbeat


@transaction.atomic
def heartbeat_record(*, name: str) -> Heartbeat:
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(last_seen=now, count=F("count") + 1)
    if not updated:
        Heartbeat.objects.create(name=name, last_seen=now, count=1)
    return Heartbeat.objects.get(name=name)
