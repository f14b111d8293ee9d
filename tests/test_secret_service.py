"""The vault against a real Secret Service: gnome-keyring-daemon inside a private D-Bus session.

Two sessions run one after the other on the same keyring files: the first saves keys through
keyring's default backend (it must pick SecretService) and the `keys add` command, the second
(a restarted daemon, unlocked again) reads them back through fresh vaults. Keys reach the
scripts on stdin, never in argv or the environment, and the data directory is scanned for them.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.secret_service

USER_KEY = "nvapi-SecretService-0123456789abcdefXYZ"
PROJECT_KEY = "nvapi-ProjectScoped-9876543210fedcbaQRS"
KEYRING_PASSWORD = "test-login-password"
REQUIRE_ENV = "AMPREALIZE_REQUIRE_SECRET_SERVICE"  # CI sets it: a skip there would hide a gap

_SAVE = """
import io, json, sys
import keyring
from amprealize_tui.cli import main
from amprealize_tui.core.config import load_settings
from amprealize_tui.core.credentials.vault import open_vault

keys = json.loads(sys.stdin.read())
vault = open_vault(load_settings())
status = vault.keyring_status
view = vault.save("nvidia", keys["user"], name="integration")
sys.stdin = io.StringIO(keys["project"] + "\\n")
code = main(["keys", "add", "nvidia", "--scope", "project", "--scope-id", "proj-1"])
print(json.dumps({
    "default_backend": type(keyring.get_keyring()).__module__,
    "kind": status.kind.value,
    "backend": status.backend,
    "record": view.id,
    "cli_exit": code,
}))
"""

_READ = """
import json, sys
from amprealize_tui.core.config import load_settings
from amprealize_tui.core.credentials.platform import PlatformCredentials
from amprealize_tui.core.credentials.resolver import VaultResolver
from amprealize_tui.core.credentials.vault import open_vault

keys = json.loads(sys.stdin.read())
resolver = VaultResolver(open_vault(load_settings()), PlatformCredentials({}))
user = resolver.resolve("nvidia")
project = resolver.resolve("nvidia", project_id="proj-1")
print(json.dumps({
    "user_matches": user.secret.reveal() == keys["user"],
    "project_matches": project.secret.reveal() == keys["project"],
    "scopes": [user.scope.value, project.scope.value],
    "statuses": [r.status.value for r in open_vault(load_settings()).list_records()],
}))
"""


def _tools() -> tuple[str, str]:
    daemon = shutil.which("gnome-keyring-daemon")
    session = shutil.which("dbus-run-session")
    if daemon is None or session is None:
        reason = "needs gnome-keyring-daemon and dbus-run-session (apt install gnome-keyring dbus)"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{REQUIRE_ENV} is set but this test {reason}")
        pytest.skip(reason)
    return daemon, session


def _in_session(tmp_path: Path, data_dir: Path, script: str) -> dict:
    daemon, session = _tools()
    script_path = tmp_path / "script.py"
    script_path.write_text(script)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "user-home"),
        "XDG_DATA_HOME": str(tmp_path / "user-home" / "data"),
        "XDG_RUNTIME_DIR": str(runtime),
        "AMPREALIZE_HOME": str(data_dir),
        "KEYRING_PASSWORD": KEYRING_PASSWORD,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "TZ": "UTC",
    }
    shell = (
        'printf %s "$KEYRING_PASSWORD" | "$1" --unlock --components=secrets >/dev/null '
        '&& exec "$2" "$3"'
    )
    done = subprocess.run(
        [session, "--", "sh", "-c", shell, "sh", daemon, sys.executable, str(script_path)],
        input=json.dumps({"user": USER_KEY, "project": PROJECT_KEY}),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_keys_survive_a_real_secret_service_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "amprealize"
    saved = _in_session(tmp_path, data_dir, _SAVE)
    assert saved["default_backend"] == "keyring.backends.SecretService"
    assert (saved["kind"], saved["backend"]) == ("secure", "SecretService Keyring")
    assert saved["cli_exit"] == 0

    read = _in_session(tmp_path, data_dir, _READ)
    assert read == {
        "user_matches": True,
        "project_matches": True,
        "scopes": ["user", "project"],
        "statuses": ["active", "active"],
    }

    written = [p for p in data_dir.rglob("*") if p.is_file()]
    assert data_dir / "vault.json" in written
    for key in (USER_KEY, PROJECT_KEY):
        needles = [
            key.encode(),
            base64.b64encode(key.encode()),
            base64.urlsafe_b64encode(key.encode()),
            key[8:].encode(),
        ]
        for path in written:
            content = path.read_bytes()
            assert not any(needle in content for needle in needles), f"{key[:8]}… in {path}"
