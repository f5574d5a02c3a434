"""Real servers for the fault tests, each the test's own on a free loopback port: a Redis
server the test can stop and start again on the same port, a PostgreSQL cluster it can
stop and start (never the machine's shared one), a mail server that can hold a message
unanswered, and the app's own processes (gunicorn, Celery worker and beat) as `make
serve` runs them, DEBUG off.

A test that needs a server's binaries skips, saying which, when they are not installed."""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent.parent
HTTP_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.25, what: str, log=None):
    """The predicate's first truthy value, or the test fails saying what never came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    value = predicate()
    if value:
        return value
    pytest.fail(f"timed out after {timeout} s waiting for {what}" + (f"\n{log()}" if log else ""))


# ---------------------------------------------------------------- Redis


class RedisServer:
    """redis-server on a port of its own, nothing persisted; stop() and start() again keep
    the port, as a restarted server would."""

    def __init__(self, binary: str, workdir: Path):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"]
            + ["--dir", str(self.workdir)],
            stdout=(self.workdir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self.answers, timeout=10, interval=0.05, what="redis-server to start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(binary, workdir)
    server.start()
    yield server
    server.stop()


# ---------------------------------------------------------------- PostgreSQL


def postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl: PG_BIN, Debian's newest, or the PATH's."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(
        (str(path) for path in Path("/usr/lib/postgresql").glob("*/bin")),
        key=lambda path: int(re.sub(r"\D", "", path) or 0),
        reverse=True,
    )
    if initdb := shutil.which("initdb"):
        candidates.append(str(Path(initdb).parent))
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "initdb").exists()
            and (Path(candidate) / "pg_ctl").exists()
        ):
            return Path(candidate)
    return None


class PostgresCluster:
    """A PostgreSQL cluster of the test's own (initdb), on a free port, trusting loopback.
    PostgreSQL refuses to run as root, so as root it runs as the `postgres` user."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        # Not under pytest's tmp_path: the postgres user must be able to reach it.
        self.base = Path(tempfile.mkdtemp(prefix="hitech-faults-pg-"))
        self.data = self.base / "data"
        if os.geteuid() == 0:
            shutil.chown(self.base, user="postgres", group=None)
        self.base.chmod(0o700)

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            # A scratch cluster: durability is not what these tests are about.
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.base / "log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"hitech_faults_{uuid.uuid4().hex[:8]}"
        self.sql("postgres", f'CREATE DATABASE "{name}"')
        return name

    def sql(self, database: str, query: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        ) as connection:
            cursor = connection.execute(query, params or None)
            return cursor.fetchall() if cursor.description else []

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.base / "log").read_text(errors="replace")[-3000:]
        return ""

    def remove(self) -> None:
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres user to run PostgreSQL as")
    cluster = PostgresCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


# ---------------------------------------------------------------- mail


def _subject(data: bytes) -> str:
    return str(make_header(decode_header(message_from_bytes(data)["Subject"] or "")))


class _SmtpHandler(socketserver.StreamRequestHandler):
    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        sink: SmtpSink = self.server.sink  # type: ignore[attr-defined]
        self._reply("220 sink ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self._reply("250 sink")
            elif verb == "MAIL":
                recipients = []
                self._reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 go ahead")
                data = b"".join(iter(self.rfile.readline, b".\r\n"))
                if not sink.take(recipients, data):
                    return  # held: never answered, so never accepted
                self._reply("250 accepted")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:  # RSET, NOOP
                self._reply("250 OK")


class SmtpSink:
    """A mail server on loopback. A message counts as delivered once the server has
    answered 250 to it, as with a real server. With `hold_message=n` the n-th message's
    answer is held (its data has arrived) until `release()`: the sender is stuck mid-send,
    at a known point, for as long as the test wants."""

    def __init__(self):
        self.accepted: list[tuple[list[str], bytes]] = []
        self.hold_message: int | None = None
        self.holding = threading.Event()
        self._released = threading.Event()
        self._received = 0
        self._lock = threading.Lock()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
        self.server.daemon_threads = True
        self.server.sink = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, recipients: list[str], data: bytes) -> bool:
        with self._lock:
            self._received += 1
            held = self._received == self.hold_message
        if held:
            self.holding.set()
            self._released.wait(timeout=300)
            return False
        with self._lock:
            self.accepted.append((list(recipients), data))
        return True

    def release(self) -> None:
        self._released.set()

    def delivered(self, subject_containing: str = "") -> Counter:
        """Accepted messages per recipient, of those whose subject contains the text."""
        with self._lock:
            accepted = list(self.accepted)
        return Counter(
            address
            for recipients, data in accepted
            if subject_containing in _subject(data)
            for address in recipients
        )

    def env(self) -> dict[str, str]:
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0"}

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()


# ---------------------------------------------------------------- the app's processes


@dataclass
class Served:
    """The app's processes, DEBUG off, as `make serve` starts them: gunicorn, Celery
    workers, beat. Logs go to files in `work`, shown when a wait times out."""

    env: dict[str, str]
    work: Path
    port: int
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result.stdout

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        log = (self.work / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", *argv],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def web(self) -> subprocess.Popen:
        process = self.start(
            "web",
            "gunicorn",
            "hitech_zone.wsgi:application",
            # The settings `make serve` runs with (threads, one access line per request).
            "--config",
            str(ROOT / "scripts" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "2",
            "--graceful-timeout",
            "5",
        )
        wait_until(self.answers, timeout=60, interval=0.2, what="gunicorn", log=self.log)
        return process

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.base_url}/healthz/live", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def worker(self, name: str = "worker", *, queues: list[str] | None = None) -> subprocess.Popen:
        queues = queues or [self.env["CELERY_DEFAULT_QUEUE"], self.env["CELERY_PDF_QUEUE"]]
        process = self.start(
            name,
            "celery",
            "-A",
            "hitech_zone",
            "worker",
            "--loglevel=INFO",
            "-Q",
            ",".join(dict.fromkeys(queues)),
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
        )
        wait_until(
            lambda: "ready." in self.log_of(name),
            timeout=60,
            interval=0.2,
            what=f"Celery {name}",
            log=self.log,
        )
        return process

    def beat(self) -> subprocess.Popen:
        return self.start(
            "beat",
            "celery",
            "-A",
            "hitech_zone",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(self.work / "beat-schedule"),
        )

    def log_of(self, name: str) -> str:
        with contextlib.suppress(OSError):
            return (self.work / f"{name}.log").read_text(errors="replace")
        return ""

    def log(self) -> str:
        return "\n".join(
            f"==> {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.work.glob("*.log"))
        )

    def stop_all(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                # Celery's cold shutdown: nothing of a test's is worth waiting for.
                process.send_signal(signal.SIGTERM if name == "web" else signal.SIGQUIT)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def served_env(tmp_path: Path, *, database_url: str, redis_url: str = "") -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.faults.served_settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: cookies without the Secure flag, no redirect to HTTPS.
        "SECURE_COOKIES": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_DEFAULT_QUEUE": f"faults-{tag}",
        "CELERY_PDF_QUEUE": f"faults-{tag}-pdf",
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_FORMAT": "plain",
        "BRIEFING_CATCH_UP_ON_START": "0",
    }
    for name in ("DJANGO_ALLOW_ASYNC_UNSAFE", "TEST_SQLITE_PATH", "EMAIL_HOST"):
        env.pop(name, None)
    return env


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    """The app's processes; the test sets `env` (database, broker) before starting any."""
    work = tmp_path / "served"
    work.mkdir()
    app = Served(env={}, work=work, port=free_port())
    yield app
    app.stop_all()


# ---------------------------------------------------------------- HTTP as a browser


def log_in(app: Served, username: str, password: str = "hitech-demo") -> requests.Session:
    session = requests.Session()
    session.get(f"{app.base_url}/accounts/login/", timeout=HTTP_TIMEOUT)
    response = post(app, session, "/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, f"{username} could not sign in: {response.text[-2000:]}"
    return session


def post(app: Served, session: requests.Session, path: str, data: dict, **kwargs):
    """A form post as a browser makes it: the CSRF token from the cookie, same origin."""
    data = {"csrfmiddlewaretoken": session.cookies["csrftoken"], **data}
    headers = {"Origin": app.base_url, "Referer": app.base_url + path}
    return session.post(
        app.base_url + path,
        data=data,
        headers=headers,
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
        **kwargs,
    )
