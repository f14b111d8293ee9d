"""Routing speed: median microseconds per deterministic route over the dev set, and per LLM
post-validation of a typical model answer.

    python benchmarks/bench_routing.py [--rounds N]

Targets: <= 20 us per deterministic route, < 200 us per post-validation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from amprealize_tui.core.routing.contract import ConversationScope, RouteContext
from amprealize_tui.core.routing.deterministic import DeterministicRouter
from amprealize_tui.core.routing.llm import validate_output

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO / "tests" / "data" / "dev_set.tsv"

TYPICAL_ANSWER = (
    "<think>The user wants a bug filed for the login crash; that is a work item.</think>\n"
    + json.dumps(
        {
            "candidates": [
                {
                    "action_id": "work_item.manage",
                    "category": "work_management",
                    "permission_surface": "platform_action",
                    "permission_action": "create",
                    "confidence": 0.92,
                    "risk": "medium",
                    "target_resource_type": "work_item",
                    "rationale": "The user asks to create a bug report.",
                },
                {
                    "action_id": "chat.read_synthesis",
                    "category": "read_synthesis",
                    "permission_surface": "global_chat",
                    "permission_action": "read",
                    "confidence": 0.2,
                    "risk": "low",
                    "target_resource_type": None,
                    "rationale": "It could be a question about the crash.",
                },
            ],
            "requires_clarification": False,
            "clarification_prompt": None,
        }
    )
)


def _messages() -> list[str]:
    lines = DEV_SET.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if line.strip() and not line.startswith("#")]


def _median_us(calls: list[Callable[[], object]], rounds: int) -> float:
    """Median over calls of each call's mean time across `rounds` repetitions."""
    for call in calls:  # warm caches
        call()
    samples = []
    for call in calls:
        started = time.perf_counter()
        for _ in range(rounds):
            call()
        samples.append((time.perf_counter() - started) / rounds * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    router = DeterministicRouter()
    contexts = [
        RouteContext(),
        RouteContext(scope=ConversationScope.PROJECT_SPACE, project_id="p1"),
    ]
    messages = _messages()
    route_calls: list[Callable[[], object]] = [
        (lambda m=m, c=c: router.route(m, c)) for m in messages for c in contexts
    ]
    validate_calls: list[Callable[[], object]] = [
        (lambda c=c: validate_output(TYPICAL_ANSWER, c)) for c in contexts
    ]
    route_us = _median_us(route_calls, args.rounds)
    validate_us = _median_us(validate_calls, args.rounds)
    print(f"deterministic route: {route_us:.1f} us median over {len(route_calls)} messages")
    print(f"LLM post-validation: {validate_us:.1f} us median (2 candidates, with <think>)")


if __name__ == "__main__":
    main()
