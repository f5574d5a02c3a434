"""Checks, before anything is installed, that this machine has what the app needs beyond
Python packages. Stops with the exact package to install when something is missing."""

import ctypes.util
import shutil
import sys

REQUIRED = [
    # (library, Debian package, why)
    ("pango-1.0", "libpango-1.0-0", "WeasyPrint renders the PDF briefings with Pango"),
    ("pangoft2-1.0", "libpangoft2-1.0-0", "WeasyPrint loads fonts through PangoFT2"),
    ("fontconfig", "libfontconfig1", "WeasyPrint finds fonts through fontconfig"),
]
RECOMMENDED = [
    ("harfbuzz-subset", "libharfbuzz-subset0", "PDF fonts are subset about 5x faster with it"),
]


def main() -> int:
    # Runs on the machine's python3, before the venv exists, so it may be older.
    if sys.version_info < (3, 11):  # noqa: UP036
        print(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
        return 1
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        print("Python's venv module is missing. Install it with: apt-get install python3-venv")
        return 1
    missing = [(lib, pkg, why) for lib, pkg, why in REQUIRED if not ctypes.util.find_library(lib)]
    if missing:
        print("Missing system libraries:")
        for lib, _pkg, why in missing:
            print(f"  lib{lib} ({why})")
        print("Install them with:  apt-get install " + " ".join(pkg for _, pkg, _ in missing))
        return 1
    if "--tests" in sys.argv and not shutil.which("chromium"):
        print("The browser tests drive Debian's Chromium, which is missing.")
        print("Install it with:  apt-get install chromium")
        return 1
    for lib, pkg, why in RECOMMENDED:
        if not ctypes.util.find_library(lib):
            print(f"Note: lib{lib} is not installed; {why}. Install it with: apt-get install {pkg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
