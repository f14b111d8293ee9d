"""The core never imports Textual: importing every core module leaves textual out of sys.modules."""

import json
import pkgutil
import subprocess
import sys

import amprealize_tui.core


def _core_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(amprealize_tui.core.__path__, "amprealize_tui.core.")
    ]


def test_core_has_modules_to_check() -> None:
    assert "amprealize_tui.core.routing.contract" in _core_modules()


def test_core_does_not_import_textual() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {_core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_check_would_see_textual() -> None:
    """Guard against a vacuous pass: the same probe does see textual when the TUI is imported."""
    code = (
        "import json, sys, amprealize_tui.tui.app\n"
        "print(json.dumps(any(m.split('.')[0] == 'textual' for m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip()) is True


def test_opening_the_app_imports_no_pydantic_before_its_first_frame() -> None:
    """The console script imports the CLI, which builds the app; the settings (pydantic) load
    in the start-up thread after the first paint, so none of that may be imported up front."""
    code = (
        "import json, sys, amprealize_tui.cli\n"
        "from amprealize_tui.tui.factory import build_app\n"
        "build_app()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
