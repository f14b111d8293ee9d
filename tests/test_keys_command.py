"""`amprealize-tui keys`: list/add/delete/enable/verify, keys only from stdin or a hidden prompt."""

from __future__ import annotations

import io
import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import null

from amprealize_tui.cli import main
from amprealize_tui.core.config import load_settings
from amprealize_tui.core.credentials.vault import CredentialVault, open_vault
from tests.loopback_server import LoopbackServer, Reply
from tests.vault_helpers import NVIDIA_KEY, OTHER_KEY, MemoryKeyring, PlaintextKeyring

Run = tuple[int, str, str]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    return backend


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, backend: MemoryKeyring
):
    def _run(*argv: str, stdin: str = "") -> Run:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            code = main(["keys", *argv])
        except SystemExit as exc:  # argparse's own usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _vault(backend: MemoryKeyring) -> CredentialVault:
    return open_vault(load_settings(), keyring_backend=backend)


def _add(run, *extra: str, key: str = NVIDIA_KEY) -> str:
    code, out, err = run("add", "nvidia", *extra, stdin=key + "\n")
    assert code == 0, err
    return out.split(" as ")[-1].rstrip(".\n")


def test_add_reads_the_key_from_stdin(run, backend: MemoryKeyring) -> None:
    code, out, err = run("add", "nvidia", "--name", "work", stdin=NVIDIA_KEY + "\n")
    assert code == 0, err
    assert out.startswith("Saved nvidia key nvapi-Ab•••• (user scope) as k_")
    (record,) = _vault(backend).list_records()
    assert record.name == "work"
    assert _vault(backend).unseal(record.id).secret.reveal() == NVIDIA_KEY
    assert NVIDIA_KEY not in out + err


def test_add_prompts_without_echo_on_a_terminal(
    run, backend: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return OTHER_KEY

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    monkeypatch.setattr("sys.stdin", _Terminal())
    code = main(["keys", "add", "nvidia", "--scope", "project", "--scope-id", "proj-1"])
    out = capsys.readouterr().out
    assert code == 0
    assert prompts == ["API key for nvidia (input hidden): "]
    assert "(project proj-1)" in out
    (record,) = _vault(backend).list_records()
    assert (record.scope, record.scope_id, record.masked) == ("project", "proj-1", "nvapi-Zy••••")


def test_saving_again_replaces(run, backend: MemoryKeyring) -> None:
    first = _add(run)
    code, out, _ = run("add", "nvidia", stdin=OTHER_KEY)
    assert code == 0
    assert out.startswith("Replaced nvidia key nvapi-Zy••••")
    assert [r.id for r in _vault(backend).list_records()] == [first]


def test_a_key_on_the_command_line_is_refused_without_echoing_it(
    run, backend: MemoryKeyring
) -> None:
    code, out, err = run("add", "nvidia", NVIDIA_KEY)
    assert code == 2
    assert "never taken from the command line" in err
    assert NVIDIA_KEY not in out + err
    assert _vault(backend).list_records() == []


@pytest.mark.parametrize(
    ("argv", "stdin", "code", "fragment"),
    [
        (("add", "nvidia"), "", 1, "The API key is empty"),
        (("add", "nvidia"), "nvapi-abc\nnvapi-def\n", 1, "line break inside"),
        (("add", "nvidia"), "x" * 5000, 1, "more than the 4096 allowed"),
        (("add", "nvidia", "--scope", "project"), NVIDIA_KEY, 2, "needs --scope-id"),
        (("add", "nvidia", "--scope-id", "p"), NVIDIA_KEY, 2, "only for --scope project"),
        (("add", "nvidia", "--scope", "galaxy"), NVIDIA_KEY, 2, "invalid choice"),
        (("add", "nowhere-ai"), NVIDIA_KEY, 2, "unknown provider 'nowhere-ai'"),
        (("delete", "k_000000000000"), "", 1, "No stored key has id 'k_000000000000'"),
        (("enable", "k_000000000000"), NVIDIA_KEY, 1, "No stored key has id"),
        (("verify", "k_000000000000"), "", 1, "No stored key has id"),
        ((), "", 2, "required"),
    ],
)
def test_refusals_and_usage_errors(
    run, argv: tuple[str, ...], stdin: str, code: int, fragment: str
) -> None:
    got, out, err = run(*argv, stdin=stdin)
    assert got == code
    assert fragment in err
    assert NVIDIA_KEY not in out + err


def test_no_usable_keyring_refuses_before_asking(
    run, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: null.Keyring())
    code, _, err = run("add", "nvidia", stdin=NVIDIA_KEY)
    assert code == 1
    assert "No usable OS keyring" in err
    assert "install and unlock gnome-keyring" in err
    assert not (isolated_home / "vault.json").exists()


def test_a_plaintext_keyring_saves_with_a_warning(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", PlaintextKeyring)
    code, out, err = run("add", "nvidia", stdin=NVIDIA_KEY)
    assert code == 0
    assert err.startswith("Warning: file PlaintextKeyring")
    assert out.startswith("Saved")


def test_list_shows_every_record_masked_with_the_keyring_status(
    run, backend: MemoryKeyring
) -> None:
    active = _add(run)
    disabled = _add(run, "--scope", "org", "--scope-id", "acme", key=OTHER_KEY)
    _vault(backend).disable(disabled, "consecutive_failures")
    locked = _add(run, "--scope", "project", "--scope-id", "p1")
    data = json.loads(Path(load_settings().vault_path).read_text())
    data["records"][2]["ciphertext"] = data["records"][1]["ciphertext"]
    load_settings().vault_path.write_text(json.dumps(data))

    code, out, err = run("list")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Keyring: vault helpers MemoryKeyring (secure).")
    assert lines[1].split() == ["ID", "PROVIDER", "SCOPE", "NAME", "KEY", "STATUS", "LAST", "USED"]
    rows = {line.split()[0]: line for line in lines[2:5]}
    assert "active" in rows[active] and "nvapi-Ab••••" in rows[active]
    assert "disabled (consecutive_failures)" in rows[disabled]
    assert "locked" in rows[locked] and "org acme" in rows[disabled]
    assert lines[5].startswith(f"{locked} is locked: its ciphertext does not authenticate")
    assert NVIDIA_KEY not in out and OTHER_KEY not in out

    code, out, _ = run("list", "--json")
    listed = json.loads(out)
    assert listed["keyring"]["kind"] == "secure"
    assert [(k["id"], k["status"]) for k in listed["keys"]] == [
        (active, "active"),
        (disabled, "disabled"),
        (locked, "locked"),
    ]
    assert {k["masked"] for k in listed["keys"]} == {"nvapi-Ab••••", "nvapi-Zy••••"}
    assert NVIDIA_KEY not in out and OTHER_KEY not in out


def test_list_on_an_empty_vault(run) -> None:
    code, out, _ = run("list")
    assert code == 0
    assert "No keys stored" in out


def test_delete_and_enable_with_a_new_key(run, backend: MemoryKeyring) -> None:
    record_id = _add(run)
    _vault(backend).disable(record_id, "consecutive_failures")
    code, out, err = run("enable", record_id, stdin=OTHER_KEY)
    assert code == 0, err
    assert out.startswith(f"Re-enabled nvidia key nvapi-Zy•••• (user scope) ({record_id})")
    assert _vault(backend).get_record(record_id).status == "active"

    code, out, _ = run("delete", record_id)
    assert code == 0
    assert out == f"Deleted nvidia key nvapi-Zy•••• (user scope) ({record_id}).\n"
    assert _vault(backend).list_records() == []


def test_changes_are_written_to_the_audit_log(run, backend: MemoryKeyring) -> None:
    record_id = _add(run)
    run("delete", record_id)
    text = load_settings().audit_path.read_text()
    records = [json.loads(line) for line in text.splitlines()]
    assert [(r["event_type"], r["action"]) for r in records] == [
        ("credential_change", "add"),
        ("credential_change", "delete"),
    ]
    assert records[0]["metadata"]["record_id"] == record_id
    assert NVIDIA_KEY not in text


def test_verify_and_enable_verify_against_the_provider(
    run, backend: MemoryKeyring, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", loopback.base_url)
    record_id = _add(run)
    vault = _vault(backend)
    for _ in range(3):
        vault.report_auth_result(record_id, ok=False)

    loopback.enqueue(Reply.problem(401, "Authentication failed"))
    code, out, _ = run("enable", record_id, "--verify")
    assert code == 1
    assert f"({record_id}): invalid." in out
    assert "stays disabled (consecutive_failures)" in out

    code, out, _ = run("enable", record_id, "--verify")
    assert code == 0
    assert f"({record_id}): valid." in out and f"Re-enabled {record_id}." in out
    assert _vault(backend).get_record(record_id).status == "active"

    code, out, _ = run("verify", record_id)
    assert code == 0 and "Re-enabled" not in out
    assert {r.headers["authorization"] for r in loopback.requests} == {f"Bearer {NVIDIA_KEY}"}
    assert NVIDIA_KEY not in out


def test_a_locked_key_cannot_be_verified(run, backend: MemoryKeyring) -> None:
    record_id = _add(run)
    backend.entries.clear()
    code, _, err = run("verify", record_id)
    assert code == 1
    assert f"{record_id} cannot be verified because it is locked" in err
    assert f"keys enable {record_id}" in err
