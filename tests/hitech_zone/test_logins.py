"""Sign-in lockout (django-axes) and sessions: failed sign-ins lock a user name (from any
address, and from one address), a client address alone only at its much higher limit; the
page says how many attempts are left; the lock ends after the cool-off or when an admin
lifts it; a success clears the count; a session ends after inactivity, and signing out
ends it on the server."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.db.models import F
from django.test import Client, RequestFactory
from django.utils import timezone

from hitech_zone.logins import client_ip_address
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN = "/accounts/login/"
LOCKED_MESSAGE = "登录失败次数过多"


@pytest.fixture
def user():
    user = factories.UserFactory(username="chen.huarui")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client: Client, username: str, password: str, *, address: str = "10.0.0.1", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int, *, addresses=None, **extra) -> list[int]:
    statuses = []
    for attempt in range(times):
        address = addresses[attempt] if addresses else "10.0.0.1"
        statuses.append(sign_in(client, username, "wrong", address=address, **extra).status_code)
    return statuses


def test_the_limit_and_the_cool_off_are_those_of_the_settings():
    assert settings.AXES_FAILURE_LIMIT == 5
    cool_off = settings.AXES_COOLOFF_TIME
    assert cool_off == timedelta(minutes=30)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "username"]
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 50
    assert settings.AXES_RESET_ON_SUCCESS is True
    assert settings.AXES_HANDLER == "hitech_zone.logins.LoginAttemptHandler"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_five_failures_lock_the_user_even_from_different_addresses(client, user):
    addresses = [f"10.0.0.{n}" for n in range(1, 6)]
    statuses = fail(client, user.username, 5, addresses=addresses)
    # Four wrong passwords are answered with the form again; the fifth locks.
    assert statuses == [200, 200, 200, 200, 429]

    # The right password, from an address never seen before, is refused while locked.
    response = sign_in(client, user.username, PASSWORD, address="10.9.9.9")
    assert response.status_code == 429
    assert not signed_in(client)
    # Another user is not locked out by it.
    other = factories.UserFactory(username="yao.liying")
    other.set_password(PASSWORD)
    other.save()
    assert sign_in(client, "yao.liying", PASSWORD, address="10.9.9.9").status_code == 302


def test_five_failures_for_one_user_do_not_lock_another_from_the_same_address(client, user):
    """The issue's case: five wrong passwords for `official` locked out `leader`, signing
    in with the right password from the same office address."""
    assert fail(client, "official", 5) == [200, 200, 200, 200, 429]
    response = sign_in(client, user.username, PASSWORD, address="10.0.0.1")
    assert response.status_code == 302
    assert signed_in(client)


def test_many_failures_from_one_address_lock_the_address(client, user):
    """LOGIN_ADDRESS_FAILURE_LIMIT (50) failures from one address, each for another user
    name (none of which reaches its own limit), lock the address: the 50th is refused."""
    statuses = [
        sign_in(client, f"guess-{n}", "wrong", address="203.0.113.7").status_code for n in range(50)
    ]
    assert statuses == [200] * 49 + [429]
    # Even a real user with the right password is refused from that address ...
    response = sign_in(client, user.username, PASSWORD, address="203.0.113.7")
    assert response.status_code == 429
    assert not signed_in(client)
    # ... and signs in from another one.
    response = sign_in(client, user.username, PASSWORD, address="198.51.100.1")
    assert response.status_code == 302
    assert signed_in(client)


def test_the_lockout_page_says_so_in_chinese(client, user):
    fail(client, user.username, 5)
    response = sign_in(client, user.username, PASSWORD)
    page = response.content.decode()
    assert response.status_code == 429
    assert LOCKED_MESSAGE in page
    assert "30 分钟" in page
    assert 'data-testid="locked-out"' in page
    # It is the sign-in page, under the same policy as every page.
    assert 'name="username"' in page
    assert "Content-Security-Policy" in response.headers


def test_the_admin_sign_in_is_locked_too(client, user):
    user.is_staff = True
    user.save()
    fail(client, user.username, 5)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_ends_after_the_cool_off(client, user):
    fail(client, user.username, 5)
    assert sign_in(client, user.username, PASSWORD).status_code == 429

    # Half an hour later (the attempts' time moved back by the cool-off and a minute).
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_shorter_cool_off_from_the_settings_is_obeyed(client, user, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    fail(client, user.username, 5)
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "2 分钟" in response.content.decode()
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=3))
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_tries_while_locked_do_not_extend_the_lock(client, user):
    fail(client, user.username, 5)
    locked_at = AccessAttempt.objects.get().attempt_time
    fail(client, user.username, 3)
    assert AccessAttempt.objects.get().attempt_time == locked_at


def test_a_successful_sign_in_clears_the_count(client, user):
    assert fail(client, user.username, 4) == [200] * 4
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    client.post("/accounts/logout/")
    # Four more wrong passwords: without the reset this would be the eighth failure.
    assert fail(client, user.username, 4) == [200] * 4
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_signing_in_to_ones_own_account_does_not_clear_the_guesses_at_another(client, user):
    """Someone with an account guesses at another's password from one address, signing
    in as themselves in between: the other account is still locked at the fifth guess."""
    guesser = factories.UserFactory(username="guesser")
    guesser.set_password(PASSWORD)
    guesser.save()
    assert fail(client, user.username, 4) == [200] * 4
    assert sign_in(client, "guesser", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, user.username, 1) == [429]
    assert sign_in(client, user.username, PASSWORD, address="10.9.9.9").status_code == 429


# The lockout matrix: the failures made first (user name, address, how many), then a
# sign-in with the right password, and what it answers. LOGIN_FAILURE_LIMIT is 5 and
# LOGIN_ADDRESS_FAILURE_LIMIT 50. (At equal limits the user name and address together
# lock whenever the user name alone does; the pair is kept so a higher per-user limit,
# should one be set, still locks a guesser at one address at 5.)
# 44 failures from 10.0.0.1 already recorded, 4 for each of 11 user names (as axes stores
# them: one row per name and address), so the address's count starts near its limit.
SEEDED = ("seeded", "10.0.0.1", 44)
MATRIX = [
    # The user, 5 times from one address: locked there (user and address) ...
    ("user, from its address", [("chen.huarui", "10.0.0.1", 5)], "chen.huarui", "10.0.0.1", 429),
    # ... and from any other (the user name alone).
    ("user, elsewhere", [("chen.huarui", "10.0.0.1", 5)], "chen.huarui", "10.9.9.9", 429),
    # 4 are not enough.
    ("user, 4 failures", [("chen.huarui", "10.0.0.1", 4)], "chen.huarui", "10.0.0.1", 302),
    # Another user at the same address is not locked at 5, nor at 49 (44 + 4 + 1).
    ("another user, 5", [("official", "10.0.0.1", 5)], "chen.huarui", "10.0.0.1", 302),
    (
        "address, 49",
        [SEEDED, ("guess-x", "10.0.0.1", 4), ("guess-y", "10.0.0.1", 1)],
        "chen.huarui",
        "10.0.0.1",
        302,
    ),
    # At 50 (44 + 4 + 2) the address locks, for every user name, but only there.
    (
        "address, 50",
        [SEEDED, ("guess-x", "10.0.0.1", 4), ("guess-y", "10.0.0.1", 2)],
        "chen.huarui",
        "10.0.0.1",
        429,
    ),
    (
        "address, 50, elsewhere",
        [SEEDED, ("guess-x", "10.0.0.1", 4), ("guess-y", "10.0.0.1", 2)],
        "chen.huarui",
        "10.9.9.9",
        302,
    ),
]


def record_failures(address: str, count: int) -> None:
    for n in range(count // 4):
        AccessAttempt.objects.create(
            username=f"seeded-{n}",
            ip_address=address,
            user_agent="<unknown>",
            failures_since_start=4,
            attempt_time=timezone.now(),
        )


@pytest.mark.parametrize(
    ("failures", "username", "address", "expected"),
    [row[1:] for row in MATRIX],
    ids=[row[0] for row in MATRIX],
)
def test_the_lockout_matrix(client, user, failures, username, address, expected):
    for failed_name, failed_address, times in failures:
        if failed_name == "seeded":
            record_failures(failed_address, times)
        else:
            fail(client, failed_name, times, addresses=[failed_address] * times)
    assert sign_in(client, username, PASSWORD, address=address).status_code == expected


def attempts_left_shown(response) -> str | None:
    match = re.search(r'data-testid="attempts-left">([^<]*)<', response.content.decode())
    return match.group(1) if match else None


def test_the_page_says_how_many_attempts_are_left_after_the_third_failure(client, user):
    """Limit 5: after failures 1 and 2 nothing; after the 3rd, 5 - 3 = 2 left; after the
    4th, 1; the 5th locks."""
    shown = [attempts_left_shown(sign_in(client, user.username, "wrong")) for _ in range(4)]
    assert shown[:2] == [None, None]
    assert shown[2] is not None and re.search(r"\b2\b", shown[2])
    assert shown[3] is not None and re.search(r"\b1\b", shown[3])
    assert sign_in(client, user.username, "wrong").status_code == 429


def test_the_attempts_left_are_in_english_too(client, user):
    """The fourth failure: 5 - 4 = 1 left, in the singular."""
    fail(client, user.username, 3)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = sign_in(client, user.username, "wrong")
    assert attempts_left_shown(response) == "1 attempt left before sign-in is locked."


def test_an_address_near_its_limit_says_so_to_each_user(client, user, settings):
    """Address limit 8 here: 6 failures from the address (3 user names, 2 each), then 1 for
    this user: the address has 8 - 7 = 1 left, fewer than the user's 5 - 1 = 4."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for name in ("a", "b", "c"):
        fail(client, f"guess-{name}", 2)
    shown = attempts_left_shown(sign_in(client, user.username, "wrong"))
    assert shown is not None and re.search(r"\b1\b", shown)


def test_an_admin_unlocks_a_user_from_the_user_list(client, user, admin_user):
    fail(client, user.username, 5, addresses=[f"10.0.0.{n}" for n in range(1, 6)])
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get("/admin/hitech_zone/user/").content.decode()
    assert "unlock_sign_in" in listing  # the action is offered on the list
    response = admin.post(
        "/admin/hitech_zone/user/",
        {"action": "unlock_sign_in", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    # Kept in the user's admin history: who lifted the lock, and when.
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert (entry.user_id, entry.action_flag) == (admin_user.pk, CHANGE)
    # The right password now signs in, from any of the addresses.
    assert sign_in(client, user.username, PASSWORD, address="10.0.0.3").status_code == 302


def test_the_user_list_shows_who_is_locked(client, user, admin_user):
    factories.UserFactory(username="yao.liying")
    fail(client, user.username, 5)
    fail(client, "yao.liying", 4)
    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/admin/hitech_zone/user/").content.decode()
    rows = {
        name: row
        for name in (user.username, "yao.liying")
        for row in re.findall(r"<tr.*?</tr>", page, re.S)
        if f">{name}<" in row
    }
    assert 'alt="True"' in rows[user.username].split("field-locked_out")[1][:200]
    assert 'alt="False"' in rows["yao.liying"].split("field-locked_out")[1][:200]


# ------------------------------------------------------------------ the client's address


def test_x_forwarded_for_is_ignored_unless_proxies_are_configured(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5  # the address's lock, quickly reached
    for n in range(5):
        # A client cannot dodge the address lock by making up a new header each time.
        sign_in(
            client, f"guess-{n}", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}"
        )
    assert sign_in(client, user.username, PASSWORD, address="10.0.0.1").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5  # were the proxy's address counted, it would lock
    for n in range(5):
        # Five people behind the same proxy (REMOTE_ADDR), each mistyping once.
        sign_in(
            client, f"guess-{n}", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}"
        )
    response = sign_in(
        client, user.username, PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.200"
    )
    assert response.status_code == 302
    assert AccessAttempt.objects.filter(ip_address="1.1.1.3").exists()


def test_a_forwarded_address_that_is_not_one_falls_back_to_the_connection(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = sign_in(
        client, user.username, "wrong", address="10.0.0.7", HTTP_X_FORWARDED_FOR="<script>"
    )
    assert response.status_code == 200
    assert AccessAttempt.objects.filter(ip_address="10.0.0.7").exists()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),
        (2, "6.6.6.6, 1.2.3.4, 172.16.0.2", "1.2.3.4"),
        # Fewer entries than proxies: not through them all, so the connection's own address.
        (2, "1.2.3.4", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_the_client_address(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected


# ------------------------------------------------------------------ sessions


def test_every_request_extends_the_session(client, user):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    sign_in(client, user.username, PASSWORD)
    session = Session.objects.get(session_key=client.session.session_key)
    # As if the last request had been long ago, with a minute left.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/").status_code == 200
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_an_inactive_session_ends(client, user):
    sign_in(client, user.username, PASSWORD)
    assert client.get("/").status_code == 200
    # No request for longer than SESSION_COOKIE_AGE: the session has expired.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_short_inactivity_timeout_from_the_settings(client, user, settings):
    settings.SESSION_COOKIE_AGE = 60
    sign_in(client, user.username, PASSWORD)
    expires = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expires <= timezone.now() + timedelta(seconds=60)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 60


def test_signing_out_ends_the_session_on_the_server(client, user):
    sign_in(client, user.username, PASSWORD)
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=old_key).exists()

    # Signing out is a POST; a link (GET) cannot sign anyone out.
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not Session.objects.filter(session_key=old_key).exists()

    # The old cookie, replayed, opens nothing.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = replay.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_the_session_can_end_when_the_browser_closes(client, user, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    sign_in(client, user.username, PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value and not cookie["max-age"] and not cookie["expires"]
