from inspections.notifications import unread_count


def notifications(request) -> dict[str, int]:
    """The unread count in the header: one query per page."""
    return {"unread_notifications": unread_count(request.user)}
