"""Checks that docker-compose.yml parses and describes the expected topology (Docker cannot
run here, so this is what CI can verify)."""

import sys
from pathlib import Path

import yaml

EXPECTED_SERVICES = {"postgres", "redis", "migrate", "web", "worker", "beat"}


def main() -> int:
    compose = yaml.safe_load(
        Path(__file__).resolve().parent.parent.joinpath("docker-compose.yml").read_text()
    )
    services = compose.get("services", {})
    problems = []
    if missing := EXPECTED_SERVICES - services.keys():
        problems.append(f"missing services: {', '.join(sorted(missing))}")
    for name, service in services.items():
        if name != "migrate" and "healthcheck" not in service:
            problems.append(f"{name} has no health check")
    for name in ("web", "worker", "beat"):
        env = services.get(name, {}).get("environment", {})
        for var in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
            if var not in env:
                problems.append(f"{name} lacks {var}")
    if problems:
        print("docker-compose.yml: " + "; ".join(problems))
        return 1
    print(f"docker-compose.yml parses: {len(services)} services")
    return 0


if __name__ == "__main__":
    sys.exit(main())
