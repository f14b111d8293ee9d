"""The deterministic router: labelled sets, substring traps, negation, presets, ambiguity."""

from __future__ import annotations

from pathlib import Path

import pytest

from amprealize_tui.core.routing.catalog import AMBIGUITY_GAP, PRESETS
from amprealize_tui.core.routing.contract import (
    ConversationScope,
    PermissionEffect,
    PermissionSurface,
    ResourceLink,
    RouteContext,
    RouteMode,
    RouteResult,
)
from amprealize_tui.core.routing.deterministic import DeterministicRouter

DATA = Path(__file__).parent / "data"
SHARED_DEV_SET = Path(__file__).parents[2] / "shared/routing/dev_set.tsv"
ROUTER = DeterministicRouter()
HOME = RouteContext()


def _dev_set_path() -> Path:
    """The repo copy first (a clean clone's CI has it), else shared/ beside the clone."""
    for path in (DATA / "dev_set.tsv", SHARED_DEV_SET):
        if path.exists():
            return path
    pytest.skip(f"dev_set.tsv not found in {DATA} or {SHARED_DEV_SET.parent}")


def _labelled(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            expected, message = line.split("\t", 1)
            rows.append((expected, message))
    return rows


def _score(rows: list[tuple[str, str]]) -> tuple[float, float, list[str]]:
    correct = clarified = 0
    misses = []
    for expected, message in rows:
        result = ROUTER.route(message, HOME)
        RouteResult.model_validate(result.model_dump())  # contract-valid, whatever the shortcut
        if result.primary is not None and result.primary.action_id == expected:
            correct += 1
        else:
            misses.append(f"{message!r}: expected {expected}, got {result.primary}")
        clarified += result.requires_clarification
    return correct / len(rows), clarified / len(rows), misses


def test_repo_copy_of_the_dev_set_matches_the_shared_one() -> None:
    if not SHARED_DEV_SET.exists():
        pytest.skip("shared/routing/dev_set.tsv is not beside this clone")
    assert (DATA / "dev_set.tsv").read_bytes() == SHARED_DEV_SET.read_bytes()


def test_dev_set_accuracy_and_clarification_rate() -> None:
    rows = _labelled(_dev_set_path())
    assert len(rows) >= 70
    accuracy, clarification, misses = _score(rows)
    assert accuracy >= 0.97, misses
    assert clarification <= 0.10


def test_held_out_accuracy_and_clarification_rate() -> None:
    rows = _labelled(DATA / "routing_held_out.tsv")
    assert len(rows) >= 40
    dev = {message for _, message in _labelled(_dev_set_path())}
    assert not dev & {message for _, message in rows}, "held-out must not repeat the dev set"
    assert len({expected for expected, _ in rows}) == 8, "every action is represented"
    accuracy, clarification, misses = _score(rows)
    assert accuracy >= 0.95, misses
    assert clarification <= 0.10


@pytest.mark.parametrize(
    "message",
    [
        "describe the relationship between the two services",
        "what is in my profile?",
        "how do I debug this?",
        "how should I prune the tree?",
        "summarize the research on caching",
        "restart the server",
        "the relationships shipped last week look odd",
        "is the profile file read at startup?",
        "the prune step in the pipeline keeps running late",
        "a researcher will debug the profiler",
    ],
)
def test_substring_traps_stay_read(message: str) -> None:
    result = ROUTER.route(message, HOME)
    assert result.primary is not None
    assert result.primary.action_id == "chat.read_synthesis"
    assert not result.requires_clarification


@pytest.mark.parametrize(
    "message",
    ["hi", "hello!", "thanks", "what is a B-tree?", "tell me a joke", "", "   ", "¿qué tal?"],
)
def test_plain_conversation_is_read_without_clarification(message: str) -> None:
    result = ROUTER.route(message, HOME)
    assert result.primary is not None and result.primary.action_id == "chat.read_synthesis"
    assert result.primary.confidence >= 0.85
    assert not result.requires_clarification
    assert result.clarification_prompt is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("don't run it, just summarize", "chat.read_synthesis"),
        ("do not deploy, only describe what would change", "chat.read_synthesis"),
        ("never start the job, explain it instead", "chat.read_synthesis"),
        ("no need to create a ticket", "chat.read_synthesis"),
        ("don't share the project", "chat.read_synthesis"),
        ("make a plan but don't start it", "execution.plan"),
        ("don't deploy yet; draft a rollout plan", "execution.plan"),
        ("don't forget to create a ticket for the crash", "work_item.manage"),
        ("close ticket 41 as won't fix", "work_item.manage"),
    ],
)
def test_negation(message: str, expected: str) -> None:
    result = ROUTER.route(message, HOME)
    assert result.primary is not None and result.primary.action_id == expected
    negated = {"chat.read_synthesis", expected}
    assert all(c.action_id in negated for c in result.candidates), result.candidates


@pytest.mark.parametrize(("preset", "action_id"), sorted(PRESETS.items()))
def test_presets_win_at_098(preset: str, action_id: str) -> None:
    # The text after the preset points elsewhere on purpose: the preset still wins.
    result = ROUTER.route(f"{preset} don't, just summarize and invite bob", HOME)
    assert result.primary is not None
    assert result.primary.action_id == action_id
    assert result.primary.confidence == 0.98
    assert result.primary.preset == preset
    assert not result.requires_clarification


def test_preset_is_case_insensitive_and_unknown_slash_words_are_not_presets() -> None:
    upper = ROUTER.route("/PLAN the move", HOME).primary
    assert upper is not None and upper.preset == "/plan"
    unknown = ROUTER.route("/deploy everything", HOME).primary
    assert unknown is not None and unknown.preset is None
    assert ROUTER.route("/planning ahead", HOME).primary.preset is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("message", "choices"),
    [
        ("create a task and start the run", {"work_item.manage", "execution.start"}),
        ("attach the logs and invite dave", {"attachment.add", "project.invite_share"}),
        ("disable the triage agent, then call the github tool", {"agent.manage",
                                                                "mcp_tool.invoke"}),
    ],
)  # fmt: skip
def test_ambiguity_asks_and_names_the_choices(message: str, choices: set[str]) -> None:
    result = ROUTER.route(message, HOME)
    assert result.requires_clarification
    top_two = result.candidates[:2]
    assert {c.action_id for c in top_two} == choices
    assert top_two[0].confidence - top_two[1].confidence < AMBIGUITY_GAP
    prompt = result.clarification_prompt or ""
    for number, candidate in enumerate(result.candidates, start=1):
        assert f"{number}) " in prompt and candidate.action_id in prompt


def test_an_action_frame_outranks_a_question_without_ambiguity() -> None:
    result = ROUTER.route("how would we approach the cache rewrite? draft a plan", HOME)
    assert [c.action_id for c in result.candidates] == ["execution.plan", "chat.read_synthesis"]
    assert not result.requires_clarification


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("could you please create a ticket for the crash?", "work_item.manage"),
        ("I want to create a new agent for billing", "agent.manage"),
        ("we need to run the migration tonight", "execution.start"),
        ("go ahead and invite sam@example.com", "project.invite_share"),
        ("ok, execute it", "execution.start"),
        ("how do I create a ticket?", "chat.read_synthesis"),
        ("can I invite people to a project?", "chat.read_synthesis"),
        ("what does the deploy agent do?", "chat.read_synthesis"),
        ("proofread this: Run the tests before you deploy.", "chat.read_synthesis"),
        ('summarize "deploy the fix to staging"', "chat.read_synthesis"),
        ("run the jira tool to fetch ABC-1", "mcp_tool.invoke"),
        ("call get_status for the gateway", "mcp_tool.invoke"),
        ("add Priya to the project", "project.invite_share"),
        ("add a task to the project", "work_item.manage"),
        ("mark WI-12 as done", "work_item.manage"),
        ("put results.csv in this thread", "attachment.add"),
    ],
)
def test_generalising_rules(message: str, expected: str) -> None:
    result = ROUTER.route(message, HOME)
    assert result.primary is not None and result.primary.action_id == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # "as" / "into" name what the object becomes
        ("track this as a bug", "work_item.manage"),
        ("add the design mockup as an attachment", "attachment.add"),
        ("break the auth refactor into steps", "execution.plan"),
        ("break the migration into phases", "execution.plan"),
        ("turn this into a ticket", "work_item.manage"),
        ("turn this paragraph into bullet points", "chat.read_synthesis"),
        ("break the build", "chat.read_synthesis"),
        # "with / using / via" a tool: the tool does the reading
        ("fetch the weather with the weather tool", "mcp_tool.invoke"),
        ("search the wiki using the confluence MCP", "mcp_tool.invoke"),
        ("explain the github tool", "chat.read_synthesis"),
        # "it" refers back to what an earlier clause named
        ("here's the log file, add it to the chat", "attachment.add"),
        ("I found a crash in the parser. the bug is nasty, track it", "work_item.manage"),
        ("add it to the chat", "chat.read_synthesis"),
        # "how we'd ..." after a plan-ish verb is a course of action; "how X works" is not
        ("map out how we'd move to postgres 17", "execution.plan"),
        ("lay out how to migrate the users table", "execution.plan"),
        ("outline how the cache works", "chat.read_synthesis"),
        ("explain how we'd deploy", "chat.read_synthesis"),
        # whose access: an agent's is agent configuration
        ("give the support agent access to the docs", "agent.manage"),
        ("give the design team access to this project", "project.invite_share"),
        # teams are recipients, not things to change
        ("add bob to the platform team", "project.invite_share"),
        ("make this project visible to the qa group", "project.invite_share"),
        ("update the team on the release", "chat.read_synthesis"),
        ("move this project to the archive", "chat.read_synthesis"),
    ],
)
def test_object_roles(message: str, expected: str) -> None:
    """What a noun does in the sentence (becomes, does the work, is referred back to, receives)
    decides the action, not merely that it appears."""
    result = ROUTER.route(message, HOME)
    assert result.primary is not None and result.primary.action_id == expected


def test_a_team_alone_is_conversation() -> None:
    result = ROUTER.route("thanks team, great week!", HOME)
    assert result.primary is not None and result.primary.action_id == "chat.read_synthesis"
    assert result.primary.confidence == 0.9


def test_surface_and_permissions_follow_the_context() -> None:
    run_thread = RouteContext(
        scope=ConversationScope.RUN_THREAD,
        project_id="p1",
        resource_links=(ResourceLink(resource_type="run", resource_id="7"),),
    )
    start = ROUTER.route("resume the stopped run", run_thread).primary
    assert start is not None
    assert start.permission_surface is PermissionSurface.RUN_THREAD
    assert start.permission_effect is PermissionEffect.REQUIRE_APPROVAL
    assert start.requires_approval
    share = ROUTER.route("share this project with the ops team", HOME).primary
    assert share is not None and share.permission_effect is PermissionEffect.DENY
    in_project = RouteContext(scope=ConversationScope.PROJECT_SPACE, project_id="p1")
    share = ROUTER.route("share this project with the ops team", in_project).primary
    assert share is not None and share.permission_effect is PermissionEffect.ALLOW


def test_result_fields() -> None:
    result = ROUTER.route("create a bug for the login crash", HOME)
    assert result.requested_mode is RouteMode.DETERMINISTIC
    assert result.route_mode is RouteMode.DETERMINISTIC
    assert result.fallback_reason is None
    assert 0 < result.latency_ms < 1000
    primary = result.primary
    assert primary is not None and primary.action_id == "work_item.manage"
    assert primary.target_resource_type == "work_item"
    assert "create" in primary.rationale


def test_long_messages_are_bounded() -> None:
    message = "explain this log: " + "run the job and deploy it. " * 20_000
    result = ROUTER.route(message, HOME)
    assert result.primary is not None and result.primary.action_id == "chat.read_synthesis"
    assert result.latency_ms < 200


def test_route_preset_for_a_clarification_choice() -> None:
    result = ROUTER.route_preset("execution.start", "run it or plan it?", HOME)
    primary = result.primary
    assert primary is not None and primary.action_id == "execution.start"
    assert primary.preset == "/execute" and primary.confidence == 0.98
    assert "run it or plan it?" in primary.rationale
    assert not result.requires_clarification
    read = ROUTER.route_preset("chat.read_synthesis", "x", HOME).primary
    assert read is not None and read.preset is None
    with pytest.raises(ValueError, match="unknown action 'nope'"):
        ROUTER.route_preset("nope", "x", HOME)
