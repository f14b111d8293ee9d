"""`amprealize-tui audit verify|tail`: output and exit codes against the settings' real files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from amprealize_tui.cli import main
from amprealize_tui.core.audit.log import AuditLog, open_audit
from amprealize_tui.core.audit.sink import AuditEventType
from amprealize_tui.core.config import Settings, load_settings
from amprealize_tui.core.conversations.store import ConversationStore


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def audit(settings: Settings) -> Iterator[AuditLog]:
    moments = iter(
        datetime(2025, 3, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=i) for i in range(99)
    )
    settings.home.mkdir(parents=True)
    with ConversationStore(settings.database_path) as store:
        log = open_audit(settings, store, clock=lambda: next(moments))
        yield log
        log.close()


def fill(log: AuditLog, count: int) -> None:
    for i in range(count):
        log.record(
            AuditEventType.POLICY_DECISION,
            user_id="alice",
            action="chat.read_synthesis",
            decision="allow" if i % 2 == 0 else "require_approval",
            metadata={
                "chat_route_mode": "llm",
                "chat_route_fallback_reason": "llm_timeout" if i == 1 else None,
                "llm_model_id": "deepseek-ai/deepseek-v4-flash",
            },
        )


def test_verify_empty_home_is_ok_and_creates_nothing(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "audit log OK: 0 records\n"
    assert not settings.home.exists()


def test_verify_ok(audit: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    fill(audit, 20)
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "audit log OK: 20 records\n"


def test_verify_names_the_first_bad_record(
    audit: AuditLog, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(audit, 20)
    content = settings.audit_path.read_bytes().splitlines(keepends=True)
    content[16] = content[16].replace(b'"user_id":"alice"', b'"user_id":"mallory"')
    settings.audit_path.write_bytes(b"".join(content))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "audit log BROKEN: record 17 (line 17): hash mismatch (edited)"
    assert "16 records verified before the problem" in out


def test_verify_catches_a_truncated_tail(
    audit: AuditLog, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(audit, 5)
    content = settings.audit_path.read_bytes().splitlines(keepends=True)
    settings.audit_path.write_bytes(b"".join(content[:3]))
    assert main(["audit", "verify"]) == 1
    assert "checkpoint says 5 (truncated tail)" in capsys.readouterr().out


def test_verify_log_without_database_fails_for_the_missing_checkpoint(
    audit: AuditLog, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(audit, 2)
    for suffix in ("", "-wal", "-shm"):
        Path(str(settings.database_path) + suffix).unlink(missing_ok=True)
    assert main(["audit", "verify"]) == 1
    assert "no head checkpoint for 2 records" in capsys.readouterr().out
    assert not settings.database_path.exists()


def test_verify_reports_a_corrupt_database(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.home.mkdir(parents=True)
    settings.database_path.write_bytes(b"garbage" * 100)
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "cannot read the audit checkpoint" in err and "left untouched" in err


def test_verify_reports_a_torn_last_line(
    audit: AuditLog, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(audit, 2)
    with settings.audit_path.open("ab") as handle:
        handle.write(b'{"action":')
    assert main(["audit", "verify"]) == 1
    assert "record 3 (line 3): incomplete append" in capsys.readouterr().out


def test_archive_recovers_from_a_broken_log(
    audit: AuditLog, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(audit, 3)
    content = settings.audit_path.read_bytes().splitlines(keepends=True)
    settings.audit_path.write_bytes(content[0])
    assert main(["audit", "verify"]) == 1
    capsys.readouterr()
    assert main(["audit", "archive"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"audit log kept as {settings.audit_path}.")
    assert out.endswith("; the next record starts a new chain\n")
    kept = [p for p in settings.home.iterdir() if p.name.startswith("audit.jsonl.")]
    assert [p.read_bytes() for p in kept] == [content[0]]
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "audit log OK: 0 records\n"
    fill(audit, 1)
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "audit log OK: 1 record\n"


def test_archive_without_a_log(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "archive"]) == 0
    assert capsys.readouterr().out == "no audit log to archive; the checkpoint was reset\n"


def test_tail_readable_lines(audit: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    fill(audit, 5)
    assert main(["audit", "tail", "-n", "4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2025-03-01 12:01:00+0000  policy_decision  chat.read_synthesis  require_approval  "
        "mode=llm  fallback=llm_timeout  model=deepseek-ai/deepseek-v4-flash",
        "2025-03-01 12:02:00+0000  policy_decision  chat.read_synthesis  allow  "
        "mode=llm  model=deepseek-ai/deepseek-v4-flash",
        "2025-03-01 12:03:00+0000  policy_decision  chat.read_synthesis  require_approval  "
        "mode=llm  model=deepseek-ai/deepseek-v4-flash",
        "2025-03-01 12:04:00+0000  policy_decision  chat.read_synthesis  allow  "
        "mode=llm  model=deepseek-ai/deepseek-v4-flash",
    ]


def test_tail_default_count_and_plain_records(
    audit: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(25):
        audit.record(AuditEventType.CREDENTIAL_CHANGE, user_id="u")
    assert main(["audit", "tail"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 20
    assert out[-1] == "2025-03-01 12:24:00+0000  credential_change  -  -"


def test_tail_json(audit: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    fill(audit, 3)
    assert main(["audit", "tail", "-n", "2", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["seq"] for r in records] == [2, 3]
    assert records[0]["metadata"]["chat_route_fallback_reason"] == "llm_timeout"
    assert len(records[1]["hash"]) == 64


def test_tail_strips_terminal_escapes(audit: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    audit.record(AuditEventType.DENIAL, user_id="u", action="evil\x1b]0;pwned\x07\x1b[2J")
    assert main(["audit", "tail", "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "denial  evil" in out


def test_tail_empty(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "tail"]) == 0
    assert capsys.readouterr().out == "audit log is empty\n"


def test_tail_zero_count_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "tail", "-n", "0"]) == 2
    assert "-n must be at least 1 (got 0)" in capsys.readouterr().err


def test_tail_non_number_count_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["audit", "tail", "-n", "x"])
    assert info.value.code == 2
    assert "invalid int value: 'x'" in capsys.readouterr().err


def test_audit_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["audit"])
    assert info.value.code == 2
    assert "verify" in capsys.readouterr().err
