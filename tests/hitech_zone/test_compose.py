"""docker-compose.yml and scripts/serve.sh (`make serve`) describe one topology: Docker
cannot run here, so the files are held to each other (scripts/check_compose.py)."""

import copy
import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
_spec = importlib.util.spec_from_file_location(
    "check_compose", ROOT / "scripts" / "check_compose.py"
)
check_compose = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_compose)


@pytest.fixture
def files() -> tuple[dict, str, str]:
    return (
        yaml.safe_load((ROOT / "docker-compose.yml").read_text()),
        (ROOT / "scripts" / "serve.sh").read_text(),
        (ROOT / "Makefile").read_text(),
    )


def test_compose_and_serve_agree(files):
    assert check_compose.compose_problems(*files) == []


def test_serve_starts_the_four_processes_with_what_they_need(files):
    serve = check_compose.serve_script(files[1])
    assert {name: check_compose.program(argv) for name, argv in serve["processes"].items()} == {
        "web": "gunicorn",
        "worker-default": "celery worker",
        "worker-pdf": "celery worker",
        "beat": "celery beat",
    }
    assert serve["required_env"] == ["DATABASE_URL", "REDIS_URL", "SECRET_KEY"]
    assert {"CELERY_DEFAULT_QUEUE", "CELERY_PDF_QUEUE"} <= set(serve["shared_env"])
    assert serve["debug_off"]


def test_compose_scales_workers_and_runs_one_off_jobs_first(files):
    services = files[0]["services"]
    for name in ("worker-default", "worker-pdf"):
        assert "container_name" not in services[name]
    for name in ("migrate", "load_demo"):
        assert services[name]["restart"] == "no"
    assert services["load_demo"]["profiles"] == ["demo"]
    assert services["web"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda c: c["services"].pop("worker-pdf"), "worker-pdf"),
        (lambda c: c["services"]["web"]["environment"].pop("CELERY_PDF_QUEUE"), "web lacks"),
        (lambda c: c["services"]["worker-default"].update(container_name="w"), "cannot be scaled"),
        (lambda c: c["services"]["beat"].pop("healthcheck"), "beat has no health check"),
        (
            lambda c: c["services"]["worker-pdf"]["command"].__setitem__(7, "default"),
            "worker-pdf does not consume",
        ),
        (
            lambda c: c["services"]["web"]["depends_on"]["redis"].update(
                condition="service_started"
            ),
            "merely started",
        ),
        (lambda c: c["services"].update(flower={"restart": "always"}), "flower"),
    ],
)
def test_the_check_finds_a_drift(files, change, complaint):
    compose = copy.deepcopy(files[0])
    change(compose)
    problems = check_compose.compose_problems(compose, *files[1:])
    assert any(complaint in problem for problem in problems), problems


def test_the_check_finds_a_makefile_that_bypasses_the_script(files):
    compose, serve, makefile = files
    makefile = makefile.replace("\tscripts/serve.sh", "\t.venv/bin/gunicorn hitech_zone.wsgi")
    problems = check_compose.compose_problems(compose, serve, makefile)
    assert "the Makefile's serve target does not run scripts/serve.sh" in problems


def test_serve_refuses_without_database_redis_and_secret(tmp_path):
    import os
    import subprocess

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    result = subprocess.run(
        [ROOT / "scripts" / "serve.sh"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "set DATABASE_URL REDIS_URL SECRET_KEY first" in result.stderr
