"""Chat TUI benchmarks (numbers, not pass/fail tests). Run from the repository root:

    python benchmarks/bench_tui.py

1. Start-up: process start to the first interactive screen (the first key typed shows in the
   focused prompt), amprealize-tui against a bare Textual app with the same standard widgets
   (target <= 1.3x); and, for amprealize-tui, to the chat being live on its services.
2. Opening a 5,000-message conversation (target < 1 s).
3. Keystroke latency in the composer while a 5,000-token reply streams (target < 50 ms).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_READY = """
import asyncio, time
from textual import events

async def report(pilot) -> None:
    # auto_pilot runs once the app is ready. Interactive = the prompt has focus and a key typed
    # then shows in it. (Not `pilot.pause()`: it waits for the whole process to idle, so it would
    # also wait for amprealize-tui's start-up thread, which runs while the prompt takes input.)
    app = pilot.app
    while app.focused is None:
        await asyncio.sleep(0.005)  # polling faster starves the app of time slices
    app.post_message(events.Key("x", "x"))
    while getattr(app.focused, "text", "") != "x":
        await asyncio.sleep(0.005)  # polling faster starves the app of time slices
    print(f"READY {time.time():.6f}", flush=True)
    startup_done = getattr(app, "startup_done", None)
    if startup_done is not None:
        await startup_done.wait()
        assert app.startup_error is None, app.startup_error
        print(f"LIVE {time.time():.6f}", flush=True)
    app.exit()
"""

BARE_APP = (
    _READY
    + """
from textual.app import App
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, OptionList, Select, Static, TextArea
class Bare(App):
    AUTO_FOCUS = "TextArea"  # like amprealize-tui's prompt
    def compose(self):
        yield Header()
        with Horizontal():
            yield OptionList("one", "two")
            with Vertical():
                yield VerticalScroll(Static("hello"))
                yield Select([("a", "a")], value="a")
                yield Select([("b", "b")], value="b")
                yield TextArea()
        yield Footer()
Bare().run(headless=True, auto_pilot=report)
"""
)

REAL_APP = (
    _READY
    + """
import amprealize_tui.cli  # what the console script imports first
from amprealize_tui.tui.factory import build_app
build_app().run(headless=True, auto_pilot=report)
"""
)


def _startup_seconds(code: str, home: str) -> dict[str, float]:
    """Seconds from process start to each stamp the app printed (READY, and LIVE if any)."""
    env = {**os.environ, "AMPREALIZE_HOME": home}
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    stamps = (line.split() for line in out.splitlines() if line.startswith(("READY ", "LIVE ")))
    return {name: float(stamp) - started for name, stamp in stamps}


def bench_startup(runs: int = 5) -> None:
    with tempfile.TemporaryDirectory() as home:
        _startup_seconds(REAL_APP, home)  # warm the file cache and create the data files
        bare = [_startup_seconds(BARE_APP, home)["READY"] for _ in range(runs)]
        real = [_startup_seconds(REAL_APP, home) for _ in range(runs)]
    bare_ready = statistics.median(bare)
    ready = statistics.median(r["READY"] for r in real)
    live = statistics.median(r["LIVE"] for r in real)
    print(
        f"start-up: bare textual {bare_ready * 1000:.0f} ms, amprealize-tui {ready * 1000:.0f} ms, "
        f"ratio {ready / bare_ready:.2f}x (target <= 1.3x); chat live on its services after "
        f"{live * 1000:.0f} ms"
    )


async def bench_open_long(messages: int = 5000) -> None:
    from amprealize_tui.core.conversations.models import MessageRole
    from tests.tui_harness import harness_app

    with tempfile.TemporaryDirectory() as home:
        app = harness_app(Path(home) / "data")
        services = app.services
        assert services is not None
        conversation = services.store.create_conversation(title="long")
        for index in range(messages // 2):
            services.store.add_message(
                conversation.id, role=MessageRole.USER, content=f"question {index}"
            )
            services.store.add_message(
                conversation.id,
                role=MessageRole.ASSISTANT,
                content=f"answer {index} with **markdown** and `code`",
            )
        async with app.run_test(size=(120, 40)) as pilot:
            chat = app.chat
            assert chat is not None
            await chat.open_conversation(None)
            await pilot.pause()
            started = time.perf_counter()
            await chat.open_conversation(conversation)
            await pilot.pause()
            elapsed = time.perf_counter() - started
            mounted = len(chat.pane.views)
    print(
        f"open {messages}-message conversation: {elapsed * 1000:.0f} ms "
        f"({mounted} messages mounted; target < 1000 ms)"
    )


async def bench_keystrokes(tokens: int = 5000, presses: int = 40) -> None:
    from textual import events

    from tests.tui_harness import ScriptedProvider, ScriptedReply, harness_app

    provider = ScriptedProvider()
    pieces = tuple(f"token{i} " + ("\n\n" if i % 50 == 49 else "") for i in range(tokens))
    provider.reply(ScriptedReply(pieces, gap=0.0005))
    with tempfile.TemporaryDirectory() as home:
        app = harness_app(Path(home) / "data", provider)
        async with app.run_test(size=(120, 40)) as pilot:
            chat = app.chat
            assert chat is not None
            prompt = chat.composer.prompt
            prompt.insert("stream please")
            await pilot.press("enter")
            while not chat.replying or not chat.pane.views:
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.3)  # well into the stream
            latencies: list[float] = []
            for _ in range(presses):
                if not chat.replying:
                    break
                before = prompt.text
                started = time.perf_counter()
                app.post_message(events.Key("x", "x"))
                while prompt.text == before:
                    await asyncio.sleep(0.0005)
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)
            still_streaming = chat.replying
            await app.workers.wait_for_complete()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"keystrokes while streaming {tokens} tokens: {len(latencies)} presses, median "
        f"{statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max "
        f"{latencies[-1] * 1000:.1f} ms (target < 50 ms; stream still running at the end: "
        f"{still_streaming})"
    )


def main() -> None:
    bench_startup()
    asyncio.run(bench_open_long())
    asyncio.run(bench_keystrokes())


if __name__ == "__main__":
    main()
