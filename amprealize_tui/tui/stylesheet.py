"""Where the one stylesheet is: inside the wheel, or at the repository root in a checkout."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def stylesheet_path() -> Path:
    shipped = _PACKAGE_DIR / "styles.tcss"
    if shipped.is_file():
        return shipped
    return _PACKAGE_DIR.parent / "styles.tcss"
