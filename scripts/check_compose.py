"""Checks that docker-compose.yml and scripts/serve.sh (`make serve`) describe the same
production topology: the same long-running processes, each running the same program on
the same queue with the environment it needs, health checks and health-gated start-up in
compose, and the Makefile's serve target going through the script. Docker cannot run
here, so this is what CI can verify (`make lint`, and tests/hitech_zone/test_compose.py).
"""

import re
import shlex
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SERVE = ROOT / "scripts" / "serve.sh"
MAKEFILE = ROOT / "Makefile"

# The processes of the topology, and the one-off jobs compose runs before them.
PROCESSES = {"web", "worker-default", "worker-pdf", "beat"}
ONE_OFF = {"migrate", "load_demo"}
BACKING = {"postgres", "redis"}
# Which queue setting each worker consumes.
WORKER_QUEUES = {"worker-default": "CELERY_DEFAULT_QUEUE", "worker-pdf": "CELERY_PDF_QUEUE"}
# Services scaled with `docker compose up --scale`: a fixed container name would clash.
SCALABLE = {"worker-default", "worker-pdf"}
HEALTH_GATES = {"service_healthy", "service_completed_successfully"}


def serve_script(text: str) -> dict:
    """What scripts/serve.sh starts and needs: {"processes": {name: argv}, "required_env":
    [...], "shared_env": [...], "debug_off": bool}."""
    arrays = {
        name: values.split()
        for name, values in re.findall(r"^([A-Z_]+)=\(([^)]*)\)", text, flags=re.MULTILINE)
    }
    processes = {}
    # `start NAME COMMAND...`, continued over lines ending in a backslash.
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        if line.startswith("start "):
            argv = shlex.split(line)
            processes[argv[1]] = argv[2:]
    return {
        "processes": processes,
        "required_env": arrays.get("REQUIRED_ENV", []),
        "shared_env": arrays.get("SHARED_ENV", []),
        "debug_off": bool(re.search(r"^export DEBUG=0$", text, flags=re.MULTILINE)),
    }


def program(argv: list[str]) -> str:
    """ "gunicorn", "celery worker" or "celery beat", whatever the path to the binary."""
    if not argv:
        return ""
    name = Path(argv[0]).name
    if name == "celery":
        return "celery " + next((arg for arg in argv[1:] if arg in {"worker", "beat"}), "?")
    return name


def option(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv[:-1] else None


def compose_problems(compose: dict, serve_text: str, makefile_text: str) -> list[str]:
    services = compose.get("services") or {}
    serve = serve_script(serve_text)
    problems = []

    if missing := (PROCESSES | ONE_OFF | BACKING) - services.keys():
        problems.append(f"compose lacks services: {', '.join(sorted(missing))}")
    long_running = {
        name for name, service in services.items() if service.get("restart", "no") != "no"
    }
    if extra := long_running - PROCESSES - BACKING:
        problems.append(f"compose runs processes serve.sh does not: {', '.join(sorted(extra))}")
    if serve["processes"].keys() != PROCESSES:
        problems.append(
            f"serve.sh starts {sorted(serve['processes'])}, expected {sorted(PROCESSES)}"
        )
    if not serve["debug_off"]:
        problems.append("serve.sh does not export DEBUG=0")
    needed = serve["required_env"] + serve["shared_env"]
    if not {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= set(serve["required_env"]):
        problems.append("serve.sh does not require DATABASE_URL, REDIS_URL and SECRET_KEY")

    for name in sorted(ONE_OFF & services.keys()):
        if services[name].get("restart") != "no":
            problems.append(f'{name} is a one-off job: it needs restart: "no"')
    for name, service in sorted(services.items()):
        if name in long_running and "healthcheck" not in service:
            problems.append(f"{name} has no health check")
        if name in SCALABLE and "container_name" in service:
            problems.append(f"{name} has a container_name, so it cannot be scaled")
        for dependency, spec in (service.get("depends_on") or {}).items():
            condition = (spec or {}).get("condition") if isinstance(spec, dict) else None
            if condition not in HEALTH_GATES:
                problems.append(f"{name} starts when {dependency} has merely started")
        if name in PROCESSES | ONE_OFF:
            env = service.get("environment") or {}
            if lacking := [var for var in needed if var not in env]:
                problems.append(f"{name} lacks {', '.join(lacking)}")
            if str(env.get("DEBUG")) != "0":
                problems.append(f"{name} does not run with DEBUG=0")

    for name in sorted(PROCESSES & services.keys()):
        service = services[name]
        depends = service.get("depends_on") or {}
        for backing in sorted(BACKING):
            if (depends.get(backing) or {}).get("condition") != "service_healthy":
                problems.append(f"{name} does not wait for {backing} to be healthy")
        if (depends.get("migrate") or {}).get("condition") != "service_completed_successfully":
            problems.append(f"{name} does not wait for migrate to complete")
        command = service.get("command") or []
        script_argv = serve["processes"].get(name, [])
        if program(command) != program(script_argv):
            problems.append(
                f"{name}: compose runs {program(command)!r}, serve.sh {program(script_argv)!r}"
            )
        if setting := WORKER_QUEUES.get(name):
            queue = option(command, "-Q")
            env_value = (service.get("environment") or {}).get(setting)
            if queue is None or queue != env_value:
                problems.append(f"{name} does not consume the queue {setting} names ({queue!r})")
            if option(script_argv, "-Q") is None:
                problems.append(f"serve.sh starts {name} without -Q")

    serve_target = re.search(r"^serve:.*\n((?:\t.*\n)+)", makefile_text, flags=re.MULTILINE)
    if not serve_target or "scripts/serve.sh" not in serve_target.group(1):
        problems.append("the Makefile's serve target does not run scripts/serve.sh")
    return problems


def main() -> int:
    compose = yaml.safe_load(COMPOSE.read_text())
    problems = compose_problems(compose, SERVE.read_text(), MAKEFILE.read_text())
    if problems:
        print("docker-compose.yml / scripts/serve.sh: " + "; ".join(problems))
        return 1
    print(
        f"docker-compose.yml parses: {len(compose['services'])} services; "
        f"it and scripts/serve.sh agree on {', '.join(sorted(PROCESSES))}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
