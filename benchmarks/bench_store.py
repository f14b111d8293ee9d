"""Long conversations: time to load the newest 50 messages of a 100,000-message conversation.

Run: python benchmarks/bench_store.py [--messages N]
Target: < 20 ms for the first page. The conversation is built with executemany inside one
transaction (the store's own add_message commits per call, which is not what is measured).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from amprealize_tui.core.conversations.store import ConversationStore

TARGET_MS = 20.0
PAGE = 50


def build(path: Path, count: int) -> str:
    with ConversationStore(path) as store:
        conversation_id = store.create_conversation(title="long").id
        other_id = store.create_conversation(title="other").id

    def row(i: int, owner: str) -> tuple[str, ...]:
        return (
            uuid.uuid4().hex,
            owner,
            "user" if i % 2 else "assistant",
            f"message {i}: " + "lorem ipsum dolor sit amet " * 8 + f"topic{i % 500}",
            '{"llm_model_id":"deepseek-ai/deepseek-v4-flash"}',
            f"2025-01-01T00:00:00.{i % 1_000_000:06d}+00:00",
        )

    def rows() -> Iterator[tuple[str, ...]]:
        for i in range(count):
            yield row(i, conversation_id)
            if i % 10 == 0:
                yield row(i, other_id)  # another conversation's messages interleaved

    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, role, content, status, metadata, "
            "created_at) VALUES (?, ?, ?, ?, 'complete', ?, ?)",
            rows(),
        )
    conn.close()
    return conversation_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        conversation_id = build(path, args.messages)
        print(f"built in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        store = ConversationStore(path)  # cold open: connection, schema check
        first = store.messages_page(conversation_id, limit=PAGE)
        cold_ms = (time.perf_counter() - start) * 1000
        samples = []
        for _ in range(50):
            start = time.perf_counter()
            store.messages_page(conversation_id, limit=PAGE)
            samples.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        older = store.messages_page(conversation_id, limit=PAGE, before=first[-1].id)
        cursor_ms = (time.perf_counter() - start) * 1000
        total = store.count_messages(conversation_id)
        start = time.perf_counter()
        hits = store.search("lorem dolor", limit=50)
        search_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        rare = store.search("topic42", limit=50)
        rare_ms = (time.perf_counter() - start) * 1000
        store.close()
    assert len(first) == PAGE and len(older) == PAGE and len(hits) == 50 and rare
    median = statistics.median(samples)
    verdict = "OK" if median < TARGET_MS and cold_ms < TARGET_MS else "TOO SLOW"
    print(f"conversation: {total:,} messages")
    print(f"newest {PAGE}: open + first page {cold_ms:.2f} ms, warm median {median:.2f} ms")
    print(f"older page via cursor: {cursor_ms:.2f} ms")
    print(f"search, a word in every message: {search_ms:.2f} ms")
    print(f"search, a word in 0.2% of messages: {rare_ms:.2f} ms")
    print(f"target < {TARGET_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
