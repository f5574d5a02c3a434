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


def test_a_wan_column_prints_the_same_decimals_on_every_row():
    """The register's 万元 columns: 5,000 and 19,685.9 and 36,218.234 print with two
    decimals each (the last rounded half up), so the column lines up; None is a dash."""
    from decimal import Decimal

    from hitech_zone.money import format_wan_column

    assert [format_wan_column(Decimal(v)) for v in ("5000", "19685.9", "36218.234", "0.005")] == [
        "5,000.00",
        "19,685.90",
        "36,218.23",
        "0.01",
    ]
    assert format_wan_column(None) == "—"
