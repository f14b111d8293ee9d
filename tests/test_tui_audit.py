"""Audit screen: newest records first, chain status, cheap live refresh."""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from amprealize_tui.core.audit.sink import AuditEventType
from amprealize_tui.core.services import Services
from amprealize_tui.tui.screens import audit as audit_screen
from amprealize_tui.tui.screens.audit import EMPTY_TEXT, AuditScreen
from tests.settings_helpers import ScreenHost, make_services, route_metadata, ticking_clock

SIZE = (120, 36)


@pytest.fixture
def services() -> Services:
    return make_services(clock=ticking_clock())


def add_route_record(services: Services, action: str, **metadata: Any) -> None:
    services.audit.record(
        AuditEventType.POLICY_DECISION,
        user_id="tester",
        chat_scope="global_user_home",
        action=action,
        decision="allow",
        metadata=route_metadata(**metadata),
    )


async def settled(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rows(pilot: Pilot[None]) -> list[list[str]]:
    table = pilot.app.screen.query_one("#audit-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def chain_status(pilot: Pilot[None]) -> Static:
    return pilot.app.screen.query_one("#chain-status", Static)


async def test_empty_log(services: Services) -> None:
    async with ScreenHost(services, AuditScreen).run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert str(chain_status(pilot).render()) == "Chain OK: 0 records"
        empty = pilot.app.screen.query_one("#audit-empty", Static)
        assert empty.display and str(empty.render()) == EMPTY_TEXT


async def test_records_newest_first_with_route_columns(services: Services) -> None:
    add_route_record(
        services, "chat.read_synthesis", mode="deterministic", requested="deterministic"
    )
    add_route_record(
        services, "work_item.manage", mode="deterministic", requested="llm", fallback="llm_timeout"
    )
    async with ScreenHost(services, AuditScreen).run_test(size=SIZE) as pilot:
        await settled(pilot)
        status = chain_status(pilot)
        assert str(status.render()) == "Chain OK: 2 records"
        assert status.has_class("chain-ok")
        table_rows = rows(pilot)
    times = [row[0] for row in table_rows]
    assert all(re.fullmatch(r"01-15 10:\d\d:\d\d", t) for t in times) and times[0] > times[1]
    assert table_rows == [
        [
            times[0],
            "policy",
            "work_item.manage",
            "allow",
            "deterministic (llm)",
            "llm_timeout",
            "DeepSeek V4 Flash",
        ],
        [
            times[1],
            "policy",
            "chat.read_synthesis",
            "allow",
            "deterministic",
            "—",
            "DeepSeek V4 Flash",
        ],
    ]


async def test_live_refresh_rereads_only_when_the_file_changes(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_screen, "POLL_SECONDS", 0.05)
    reads: list[int] = []
    tail = services.audit.tail
    monkeypatch.setattr(services.audit, "tail", lambda n: reads.append(n) or tail(n))
    async with ScreenHost(services, AuditScreen).run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.pause(0.3)  # several polls, no change
        assert len(reads) == 1
        add_route_record(
            services,
            "agent.manage",
            mode="llm",
            requested="hybrid",
        )
        await pilot.pause(0.3)
        await settled(pilot)
        assert len(reads) == 2
        assert rows(pilot)[0][2:5] == ["agent.manage", "allow", "llm (hybrid)"]
        assert str(chain_status(pilot).render()) == "Chain OK: 1 record"


async def test_broken_chain_is_a_warning_naming_the_record(services: Services) -> None:
    for action in ("chat.read_synthesis", "work_item.manage", "agent.manage"):
        add_route_record(services, action, mode="deterministic", requested="deterministic")
    path = services.settings.audit_path
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace('"decision":"allow"', '"decision":"deny"')
    path.write_text("".join(lines))
    async with ScreenHost(services, AuditScreen).run_test(size=SIZE) as pilot:
        await settled(pilot)
        status = chain_status(pilot)
        assert status.has_class("chain-broken")
        assert str(status.render()) == "Chain BROKEN at record 2: hash mismatch (edited)"
