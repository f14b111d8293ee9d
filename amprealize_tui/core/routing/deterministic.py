"""The deterministic router: presets, then imperative verb + object frames, clause by clause.

How a message is read (docs/routing.md has the long version):

1. A leading preset (`/plan`, `/run`, ...) wins with confidence 0.98.
2. Quoted text is dropped and the rest is split into clauses at punctuation and at words such
   as "but", "instead", "then", "just". Each clause has its own negation scope.
3. A clause that starts like a question ("what", "how do I", "is it", "can I") is a read.
4. Otherwise lead-ins are skipped ("please", "could you", "go ahead and", "we need to") and a
   known verb at that position starts a frame; so can a verb right after "and"/"or". Verbs
   anywhere else are nouns or subordinate ("the deploy agent", "a task to update X").
5. A frame's action comes from its verb class and the domain of its object: the head (last
   domain noun) of the direct object, else a noun in a prepositional phrase. A noun after
   "as"/"into" names what the object becomes ("track it as a bug"), one after "with"/"using"
   names the tool doing the work, and "it"/"this" refers back to the last governed thing an
   earlier clause named. A negator before the verb ("don't run it") cancels the frame.
6. Any action frame beats reading; with none, the message is chat.read_synthesis (most
   messages are just questions), less sure when it mentions governed things.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from amprealize_tui.core.routing.catalog import ACTION_CATALOG, PRESETS
from amprealize_tui.core.routing.contract import RouteContext, RouteMode, RouteResult
from amprealize_tui.core.routing.lexicon import (
    ARTICLES,
    CLAUSE_BREAKS,
    CLAUSE_SPLIT,
    COORDINATORS,
    COURSE_SUBJECTS,
    DO_QUESTION_SUBJECTS,
    INSTRUMENT_PREPOSITIONS,
    INTENT_OBJECTS,
    INTENT_WORDS,
    LEAD_INS,
    NEGATORS,
    NP_BREAKS,
    PHRASE_STARTS,
    PHRASES,
    PRESET,
    QUESTION_WORDS,
    QUOTED,
    REMINDERS,
    REQUEST_MODALS,
    REQUEST_SUBJECTS,
    RESULT_PREPOSITIONS,
    TOKEN,
    TRAILING,
    VERBS,
    Domain,
    VerbClass,
    lemma,
    noun_domain,
)
from amprealize_tui.core.routing.results import assemble_result, catalog_candidate

READ = "chat.read_synthesis"
WORK = "work_item.manage"
PLAN = "execution.plan"
START = "execution.start"
AGENT = "agent.manage"
TOOL = "mcp_tool.invoke"
ATTACH = "attachment.add"
INVITE = "project.invite_share"

PRESET_CONFIDENCE = 0.98
READ_VERB_CONFIDENCE = 0.93
QUESTION_CONFIDENCE = 0.92
CHAT_CONFIDENCE = 0.9  # nothing governed mentioned: plain conversation
UNSURE_READ_CONFIDENCE = 0.7  # governed things mentioned but no action asked for
READ_BELOW_ACTION = 0.3  # a read clause next to an action frame stays this far below it
MAX_ANALYSED_CHARS = 2000  # routing looks at the start of long pastes only


@dataclass(frozen=True, slots=True)
class Proposal:
    """One action the message may ask for, before it becomes a contract candidate."""

    action_id: str
    confidence: float
    rationale: str


@dataclass(frozen=True, slots=True)
class _Object:
    direct: Domain | None  # head of the direct object (the last domain noun in it)
    prepositional: tuple[Domain, ...]  # domain nouns in prepositional phrases, in order
    shared_with: bool  # a "with ..." phrase (share X with Y)
    modifiers: tuple[Domain, ...] = ()  # domain nouns in the direct object before its head
    result: Domain | None = None  # what the object becomes: "track it as a bug", "into steps"
    instrument: Domain | None = None  # what does it: "with / using / via the weather tool"
    how_we: bool = False  # "how we'd move to X", "how to migrate": a course of action


def _resolve(verb_class: VerbClass, obj: _Object) -> tuple[str, float] | None:
    """The action a verb class asks for with this object, and how sure that is."""
    direct, pp = obj.direct, obj.prepositional
    if verb_class is VerbClass.READ:
        if obj.instrument is Domain.TOOL:
            return TOOL, 0.9  # "fetch the forecast with the weather tool"
        return READ, READ_VERB_CONFIDENCE
    if obj.result is not None and (
        direct in (None, Domain.REFERENCE) or verb_class is VerbClass.PLAN_WEAK
    ):
        # "track this as a bug", "add the mockup as an attachment", "break X into steps":
        # the object is named by what it becomes.
        obj = replace(obj, direct=obj.result)
        direct = obj.result
    if verb_class is VerbClass.ATTACH:
        return ATTACH, 0.95
    if verb_class is VerbClass.INVITE:
        return INVITE, 0.95
    if verb_class is VerbClass.INVOKE:
        return TOOL, 0.95 if Domain.TOOL in (direct, *pp) else 0.88
    if verb_class in (VerbClass.START, VerbClass.START_WEAK):
        if direct is Domain.TOOL:
            return TOOL, 0.93
        if direct is Domain.AGENT:
            return AGENT, 0.88
        if verb_class is VerbClass.START:
            return START, 0.93
        if direct in (Domain.RUN, Domain.PLAN, Domain.WORK, Domain.REFERENCE):
            return START, 0.92
        if direct is None and (Domain.RUN in pp or Domain.PLAN in pp):
            return START, 0.8
        return None
    if verb_class is VerbClass.TOOL:
        if direct is Domain.TOOL:
            return TOOL, 0.93
        return (TOOL, 0.85) if direct is None and Domain.TOOL in pp else None
    if verb_class is VerbClass.PLAN:
        return PLAN, 0.92
    if verb_class is VerbClass.PLAN_WEAK:
        if direct is Domain.PLAN:
            return PLAN, 0.93
        return (PLAN, 0.88) if obj.how_we else None  # "sketch how we should roll it out"
    if verb_class is VerbClass.SHARE:
        if direct in (Domain.PROJECT, Domain.MEMBER, Domain.TEAM):
            return INVITE, 0.93
        if obj.shared_with or {Domain.PROJECT, Domain.MEMBER, Domain.TEAM} & set(pp):
            return INVITE, 0.88
        return None
    if verb_class is VerbClass.GRANT:
        if Domain.AGENT in obj.modifiers:
            return AGENT, 0.9  # "give the support agent access to the docs"
        return _GRANT.get(direct) if direct is not None else None
    return _resolve_change(verb_class, obj)


# "give Tom access", "give me a plan", "give the bot a new prompt"
_GRANT = {
    Domain.MEMBER: (INVITE, 0.92),
    Domain.TEAM: (INVITE, 0.9),
    Domain.PLAN: (PLAN, 0.88),
    Domain.AGENT: (AGENT, 0.88),
}
_CHANGE_DIRECT = {
    Domain.WORK: (WORK, 0.93),
    Domain.AGENT: (AGENT, 0.93),
    Domain.MEMBER: (INVITE, 0.9),
}
_CHANGE_PREPOSITIONAL = {
    Domain.WORK: WORK,
    Domain.AGENT: AGENT,
    Domain.MEMBER: INVITE,
    Domain.TEAM: INVITE,
    Domain.PROJECT: INVITE,
}
_PEOPLE = frozenset({Domain.MEMBER, Domain.TEAM})
# Named without asking for anything, these make a read less sure (hybrid asks the model).
_GOVERNED = frozenset(Domain) - {Domain.REFERENCE, Domain.TEAM}


def _resolve_change(verb_class: VerbClass, obj: _Object) -> tuple[str, float] | None:
    """CREATE, ADD and MODIFY: the object decides everything."""
    direct = obj.direct
    if direct in _CHANGE_DIRECT:
        return _CHANGE_DIRECT[direct]
    if direct is Domain.PLAN:
        return PLAN, 0.93 if verb_class is not VerbClass.MODIFY else 0.9
    if direct is Domain.FILE and verb_class is VerbClass.ADD:
        return ATTACH, 0.92
    if direct is Domain.RUN and verb_class is VerbClass.MODIFY:
        return START, 0.88  # cancel / stop / pause a run
    if direct is Domain.PROJECT and _PEOPLE & set(obj.prepositional):
        return INVITE, 0.85  # "make this project visible to the qa team"
    if direct not in (None, Domain.REFERENCE):
        return None
    for domain in obj.prepositional:
        action = _CHANGE_PREPOSITIONAL.get(domain)
        if action is None:
            continue
        if action == AGENT or verb_class is not VerbClass.CREATE:
            return action, 0.8
    return None


def _object(region: list[str], antecedent: Domain | None = None) -> _Object:
    """The object of a frame. `antecedent` is what "it"/"this" refers back to, if known."""
    nouns: list[Domain] = []
    prepositional: list[Domain] = []
    shared_with = False
    preposition = ""
    result: Domain | None = None
    instrument: Domain | None = None
    last = len(region) - 1
    while last >= 0 and region[last] in TRAILING:
        last -= 1
    for index, token in enumerate(region[: last + 1]):
        if index > 0 and token in NP_BREAKS:
            preposition = token
            shared_with = shared_with or token == "with"
            continue
        domain = noun_domain(token)
        if domain is None:
            continue
        if preposition:
            if domain is Domain.REFERENCE:
                continue
            prepositional.append(domain)
            if preposition in RESULT_PREPOSITIONS:
                result = domain
            elif preposition in INSTRUMENT_PREPOSITIONS:
                instrument = domain
        elif domain is not Domain.REFERENCE or (index == last or token not in ARTICLES):
            nouns.append(domain)
    direct = nouns[-1] if nouns else None
    if direct is Domain.REFERENCE and antecedent is not None:
        direct = antecedent  # "here's the log file, add it to the chat"
    how_we = len(region) > 1 and region[0] == "how" and region[1] in COURSE_SUBJECTS
    return _Object(
        direct, tuple(prepositional), shared_with, tuple(nouns[:-1]), result, instrument, how_we
    )


def _skip_lead_ins(tokens: list[str], index: int) -> tuple[int, bool]:
    """Index of the first token after "please", "could you", "we need to", ... and whether a
    negator ("don't", "no need to") was among them."""
    negated = False
    n = len(tokens)
    while index < n:
        token = tokens[index]
        if token in NEGATORS:
            negated = True
            index += 1
            continue
        if token in INTENT_WORDS:
            after = index + 1
            if after < n and tokens[after] in INTENT_OBJECTS:
                after += 1
            if after < n and tokens[after] == "to":
                index = after + 1
                continue
            if token in ("wanna", "gonna"):
                index += 1
                continue
            break
        if token in ("make", "be") and index + 1 < n and tokens[index + 1] == "sure":
            index += 2
            negated = False
            continue
        if token in REMINDERS and index + 1 < n and tokens[index + 1] == "to":
            index += 2  # "don't forget to": a reminder, not a negation
            negated = False
            continue
        if token in LEAD_INS or token == "to":
            index += 1
            continue
        break
    return index, negated


def _is_question(tokens: list[str]) -> bool:
    first = tokens[0]
    if first in QUESTION_WORDS:
        return True
    second = tokens[1] if len(tokens) > 1 else ""
    if first in REQUEST_MODALS:
        return second not in REQUEST_SUBJECTS  # "can I ...?" asks; "can you ..." requests
    return first == "do" and second in DO_QUESTION_SUBJECTS


def _tokens(clause: str) -> list[str]:
    raw = TOKEN.findall(clause)
    merged: list[str] = []
    index = 0
    while index < len(raw):
        token = raw[index]
        if token in PHRASE_STARTS:
            for length in (3, 2):
                phrase = PHRASES.get(tuple(raw[index : index + length]))
                if phrase is not None:
                    merged.append(phrase)
                    index += length
                    break
            else:
                merged.append(lemma(token))
                index += 1
        else:
            merged.append(lemma(token))
            index += 1
    return merged


def _clauses(message: str) -> list[tuple[list[str], str]]:
    """(tokens, the punctuation that ended the clause) for each clause of the message."""
    text = QUOTED.sub(" ", message[:MAX_ANALYSED_CHARS].lower().replace("’", "'"))
    parts = CLAUSE_SPLIT.split(text)
    clauses: list[tuple[list[str], str]] = []
    for index in range(0, len(parts), 2):
        ending = (parts[index + 1] or "") if index + 1 < len(parts) else ""
        current: list[str] = []
        for token in _tokens(parts[index]):
            if token in CLAUSE_BREAKS:
                if current:
                    clauses.append((current, ""))
                current = []
            else:
                current.append(token)
        if current:
            clauses.append((current, ending))
    return clauses


def _frames(tokens: list[str]) -> list[tuple[int, bool]]:
    """(verb index, negated) for the verb at the clause start and after each coordinator."""
    frames: list[tuple[int, bool]] = []
    start, negated = _skip_lead_ins(tokens, 0)
    if start < len(tokens) and tokens[start] in VERBS:
        frames.append((start, negated))
    for index, token in enumerate(tokens):
        if token in COORDINATORS and (not frames or index > frames[-1][0]):
            verb, negated_here = _skip_lead_ins(tokens, index + 1)
            if verb < len(tokens) and tokens[verb] in VERBS:
                inherited = token in ("or", "nor") and bool(frames) and frames[-1][1]
                frames.append((verb, negated_here or inherited))
    return frames


def analyse(message: str) -> list[Proposal]:
    """Every action the message may ask for, most confident first (at least one)."""
    actions: dict[str, Proposal] = {}
    negated: list[str] = []
    read: Proposal | None = None
    antecedent: Domain | None = None  # the last governed thing named in an earlier clause
    mentions_governed = False
    for tokens, ending in _clauses(message):
        earlier, named = antecedent, [noun_domain(t) for t in tokens]
        for domain in named:
            if domain in _GOVERNED:
                antecedent, mentions_governed = domain, True
        if _is_question(tokens):
            if read is None:
                read = Proposal(READ, QUESTION_CONFIDENCE, "a question: answer it")
            continue
        frames = _frames(tokens)
        ends = [verb for verb, _ in frames[1:]] + [len(tokens)] if frames else []
        clause_is_read = False
        for (verb, is_negated), end in zip(frames, ends, strict=True):
            # A region stops before the coordinator that introduces the next frame.
            region = tokens[verb + 1 : end]
            while region and region[-1] in COORDINATORS | LEAD_INS:
                region = region[:-1]
            resolved = _resolve(VERBS[tokens[verb]], _object(region, earlier))
            if resolved is None:
                continue
            action_id, confidence = resolved
            if is_negated:
                negated.append(tokens[verb])
                continue
            rationale = f"'{tokens[verb]}' asks to {ACTION_CATALOG[action_id].label}"
            if action_id == READ:
                clause_is_read = True
                if read is None or read.confidence < confidence:
                    read = Proposal(READ, confidence, rationale)
            elif action_id not in actions or actions[action_id].confidence < confidence:
                actions[action_id] = Proposal(action_id, confidence, rationale)
        if clause_is_read and ending.startswith(":"):
            break  # "proofread this: ..." - what follows the colon is material, not requests
    return _combine(actions, read, negated, mentions_governed)


def _combine(
    actions: dict[str, Proposal],
    read: Proposal | None,
    negated: list[str],
    mentions_governed: bool,
) -> list[Proposal]:
    proposals = sorted(actions.values(), key=lambda p: p.confidence, reverse=True)
    if proposals:
        ceiling = round(proposals[0].confidence - READ_BELOW_ACTION, 2)
        if read is not None:
            proposals.append(Proposal(READ, min(read.confidence, ceiling), read.rationale))
        return proposals
    if read is not None:
        return [read]
    if negated:
        words = ", ".join(f"'{word}'" for word in negated)
        return [Proposal(READ, CHAT_CONFIDENCE, f"{words} negated: answer without acting")]
    if mentions_governed:
        return [Proposal(READ, UNSURE_READ_CONFIDENCE, "mentions actions but asks for none")]
    return [Proposal(READ, CHAT_CONFIDENCE, "conversation: answer it")]


def find_preset(message: str) -> str | None:
    """The preset the message starts with (`/plan ...`), if it is one of the catalog's."""
    match = PRESET.match(message)
    if match is None:
        return None
    preset = match.group(1).lower()
    return preset if preset in PRESETS else None


class DeterministicRouter:
    """Routes by rules alone; fast (tens of microseconds) and the fallback for the LLM."""

    def route(
        self,
        message: str,
        context: RouteContext,
        *,
        requested_mode: RouteMode = RouteMode.DETERMINISTIC,
    ) -> RouteResult:
        started = time.perf_counter()
        preset = find_preset(message)
        if preset is not None:
            candidates = [
                catalog_candidate(
                    PRESETS[preset],
                    context,
                    PRESET_CONFIDENCE,
                    preset=preset,
                    rationale=f"preset {preset}",
                )
            ]
        else:
            candidates = [
                catalog_candidate(p.action_id, context, p.confidence, rationale=p.rationale)
                for p in analyse(message)
            ]
        return assemble_result(
            candidates,
            requested_mode=requested_mode,
            route_mode=RouteMode.DETERMINISTIC,
            started=started,
        )

    def route_preset(
        self,
        action_id: str,
        message: str,
        context: RouteContext,
        *,
        requested_mode: RouteMode = RouteMode.DETERMINISTIC,
    ) -> RouteResult:
        """The result as if the action's preset had been typed before `message` (the user
        picked `action_id` from a clarification). ValueError for an unknown action."""
        started = time.perf_counter()
        if action_id not in ACTION_CATALOG:
            known = ", ".join(ACTION_CATALOG)
            raise ValueError(f"unknown action {action_id!r}; choose one of: {known}")
        excerpt = " ".join(message.split())[:80]
        candidate = catalog_candidate(
            action_id,
            context,
            PRESET_CONFIDENCE,
            preset=_PRESET_OF.get(action_id),
            rationale=f"chosen by the user for: {excerpt}",
        )
        return assemble_result(
            [candidate],
            requested_mode=requested_mode,
            route_mode=RouteMode.DETERMINISTIC,
            started=started,
        )


# The first preset of each action (chat.read_synthesis has none).
_PRESET_OF: dict[str, str] = {
    action.action_id: action.presets[0] for action in ACTION_CATALOG.values() if action.presets
}
