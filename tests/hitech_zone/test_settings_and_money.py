import os
import subprocess
import sys

from django.conf import settings

from hitech_zone import money


def run_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "hitech_zone.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_with_the_development_key_when_debug_is_off():
    result = run_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is the development default" in result.stderr


def test_starts_with_a_real_key_when_debug_is_off():
    result = run_settings(DEBUG="0", SECRET_KEY="x" * 60)
    assert result.returncode == 0, result.stderr


def test_time_zone_and_languages():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


def test_yi_formatting_is_exact():
    from decimal import Decimal

    assert money.format_yi(Decimal("1525000")) == "152.5"
    assert money.format_yi(Decimal("500000")) == "50.0"
    assert money.format_yi(Decimal("3456.78")) == "0.3"
    assert money.format_yi(Decimal("123456789")) == "12,345.7"
    assert money.format_wan(Decimal("68069.98")) == "68,069.98"
    assert money.format_wan(Decimal("500.00")) == "500"
    assert money.format_billion(Decimal("1525000")) == "15.25"
