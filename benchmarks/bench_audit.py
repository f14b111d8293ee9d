"""Audit log throughput: fsynced appends per second, and seconds to verify 100,000 records.

Run: python benchmarks/bench_audit.py [--appends N] [--records N]
The verify target is < 1.5 s for 100,000 records. The big log is written without fsync (the
fast path of the writer is not what is measured there), with the same record shape as the app's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from amprealize_tui.core.audit.checkpoint import MemoryCheckpoint
from amprealize_tui.core.audit.log import AuditLog
from amprealize_tui.core.audit.sink import AuditEventType

VERIFY_TARGET_SECONDS = 1.5

METADATA = {
    "chat_route_mode": "deterministic",
    "chat_route_confidence": 0.91,
    "chat_route_fallback_reason": None,
    "llm_model_id": "deepseek-ai/deepseek-v4-flash",
    "chat_route_policy_context": {
        "chat_surface": "global_chat",
        "chat_action": "read",
        "action_risk": "low",
        "sensitive_operation": False,
    },
}


def _append(log: AuditLog, i: int) -> None:
    log.record(
        AuditEventType.POLICY_DECISION,
        user_id="bench-user",
        chat_scope="global_user_home",
        action="chat.read_synthesis",
        decision="allow",
        target_resources=[f"conversation:{i}"],
        conversation_id="c" * 32,
        message_id=f"{i:032x}",
        metadata=METADATA,
    )


def bench_appends(directory: Path, count: int) -> float:
    log = AuditLog(directory / "appends.jsonl", checkpoint=MemoryCheckpoint())
    start = time.perf_counter()
    for i in range(count):
        _append(log, i)
    elapsed = time.perf_counter() - start
    log.close()
    return count / elapsed


def bench_verify(directory: Path, count: int) -> tuple[float, int]:
    path = directory / "verify.jsonl"
    checkpoint = MemoryCheckpoint()
    log = AuditLog(path, checkpoint=checkpoint, clock=lambda: datetime(2025, 1, 1, tzinfo=UTC))
    # Building the fixture only (fsynced appends are measured above): skip the fsyncs.
    with mock.patch("os.fsync"):
        for i in range(count):
            _append(log, i)
    log.close()
    start = time.perf_counter()
    report = AuditLog(path, checkpoint=checkpoint).verify()
    elapsed = time.perf_counter() - start
    if not report.ok:
        raise SystemExit(f"verify failed on a fresh log: {report.problem}")
    return elapsed, report.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=500)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        rate = bench_appends(directory, args.appends)
        print(f"appends (fsync each): {rate:,.0f} records/s over {args.appends} appends")
        seconds, count = bench_verify(directory, args.records)
        verdict = "OK" if seconds < VERIFY_TARGET_SECONDS else "TOO SLOW"
        print(
            f"verify: {count:,} records in {seconds:.3f} s "
            f"(target < {VERIFY_TARGET_SECONDS} s: {verdict})"
        )


if __name__ == "__main__":
    main()
