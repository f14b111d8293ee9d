"""Words the deterministic router knows: tokenization, verb classes, object domains, lead-ins.

Everything here is matched on whole tokens (never substrings), so "relationship" is not "ship",
"profile" is not "file", "prune" is not "run" and "restart" is not "start".
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache


class VerbClass(Enum):
    """What an imperative verb can mean; the object it takes decides the action."""

    READ = "read"  # summarize, explain, find: always an answer
    CREATE = "create"  # create, open, file, write: new work item / agent / plan
    ADD = "add"  # add, include, put: like CREATE, and also files, members, projects
    MODIFY = "modify"  # update, close, disable, cancel: change an existing thing
    PLAN = "plan"  # plan, estimate: a plan on its own
    PLAN_WEAK = "plan_weak"  # draft, outline, prepare: a plan only with a plan-like object
    START = "start"  # execute, deploy, ship: a run on its own
    START_WEAK = "start_weak"  # run, start, resume: a run only with a run-like object
    TOOL = "tool"  # call, use, query: only with a tool object
    INVOKE = "invoke"  # invoke: a tool on its own
    ATTACH = "attach"  # attach, upload
    INVITE = "invite"  # invite
    SHARE = "share"  # share: with a project, people or "with ..."
    GRANT = "grant"  # give, grant: only with access or a member


class Domain(Enum):
    """What kind of thing an object noun names."""

    WORK = "work"
    PLAN = "plan"
    RUN = "run"
    AGENT = "agent"
    TOOL = "tool"
    FILE = "file"
    MEMBER = "member"
    TEAM = "team"  # a group of people: a member only as a recipient ("add bob to the team")
    PROJECT = "project"
    REFERENCE = "reference"  # it, this, that: a thing already under discussion


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VERB_WORDS: dict[VerbClass, str] = {
    VerbClass.READ: """summarize summarise explain describe find search show tell list compare
        proofread review translate analyze analyse recap define clarify look check read
        brainstorm suggest recommend answer teach rewrite rephrase paraphrase discuss evaluate
        interpret elaborate walk remind quote calculate convert fetch get locate identify
        reword polish critique assess guess""",
    VerbClass.CREATE: """create new make write submit raise register generate set_up spin_up
        put_together open file log report track capture need want turn""",
    VerbClass.ADD: "add include put drop insert append",
    VerbClass.MODIFY: """update edit change set mark assign reassign unassign close reopen
        resolve rename move prioritize prioritise deprioritize deprioritise delete remove
        archive unarchive disable enable pause unpause retire configure tweak adjust modify tag
        label triage promote demote publish unpublish deprecate upgrade downgrade cancel stop
        abort halt kill switch swap replace train retrain tune link unlink complete finish
        escalate merge split schedule turn_off turn_on lower bump increase decrease reduce""",
    VerbClass.PLAN: "plan plan_out estimate strategize scope",
    VerbClass.PLAN_WEAK: """draft outline prepare sketch design propose write_up come_up_with
        break break_down map_out lay_out""",
    VerbClass.START: """execute deploy redeploy ship implement kick_off launch roll_out proceed
        go_live carry_out fire_off""",
    VerbClass.START_WEAK: """run rerun re-run start begin resume trigger restart retry apply release
        push""",
    VerbClass.TOOL: "call use query hit ping ask",
    VerbClass.INVOKE: "invoke",
    VerbClass.ATTACH: "attach upload",
    VerbClass.INVITE: "invite",
    VerbClass.SHARE: "share onboard",
    VerbClass.GRANT: "give grant revoke",
}
VERBS: dict[str, VerbClass] = {
    word: verb_class for verb_class, words in _VERB_WORDS.items() for word in words.split()
}

_DOMAIN_WORDS: dict[Domain, str] = {
    Domain.WORK: """task ticket bug issue feature_request work_item work-item workitem epic todo
        to-do subtask sub-task chore backlog goal milestone priority assignee story defect""",
    Domain.PLAN: """plan proposal roadmap strategy approach estimate step step_by_step timeline
        breakdown phase""",
    Domain.RUN: """run job pipeline build deployment deploy backfill migration export import
        tests test suite benchmark script workflow release rollout reindex cron batch sync
        experiment rebuild version hotfix patch upgrade rollback""",
    Domain.AGENT: "agent bot assistant playbook persona",
    Domain.TOOL: "tool mcp plugin connector integration",
    Domain.FILE: """file doc docs document pdf screenshot image picture photo diagram attachment
        spreadsheet csv log dump recording video slides zip notes""",
    Domain.MEMBER: """member collaborator viewer editor contributor teammate guest admin access
        owner""",
    Domain.TEAM: "team group squad department",
    Domain.PROJECT: "project workspace space",
    Domain.REFERENCE: "it this that them these those everything",
}
DOMAINS: dict[str, Domain] = {
    word: domain for domain, words in _DOMAIN_WORDS.items() for word in words.split()
}

# Word sequences read as one token before anything else looks at them.
PHRASES: dict[tuple[str, ...], str] = {
    ("kick", "off"): "kick_off",
    ("work", "item"): "work_item",
    ("feature", "request"): "feature_request",
    ("write", "up"): "write_up",
    ("set", "up"): "set_up",
    ("roll", "out"): "roll_out",
    ("spin", "up"): "spin_up",
    ("go", "live"): "go_live",
    ("carry", "out"): "carry_out",
    ("fire", "off"): "fire_off",
    ("break", "down"): "break_down",
    ("step", "by", "step"): "step_by_step",
    ("map", "out"): "map_out",
    ("lay", "out"): "lay_out",
    ("plan", "out"): "plan_out",
    ("put", "together"): "put_together",
    ("come", "up", "with"): "come_up_with",
    ("go", "ahead", "with"): "proceed",  # "go ahead with the rollout" (not "go ahead and ...")
    ("mcp", "server"): "mcp",
    ("mcp", "servers"): "mcp",
    ("turn", "off"): "turn_off",
    ("turn", "on"): "turn_on",
}
PHRASE_STARTS = frozenset(phrase[0] for phrase in PHRASES)

# Questions start with these; "can/could/would/will you|we ..." is a request, not a question.
QUESTION_WORDS = _words(
    """what what's whats how how's hows why when where who whom whose which is are was were
    does did doesn't isn't aren't am has hasn't should shall"""
)
REQUEST_MODALS = _words("can could would will may might")
REQUEST_SUBJECTS = _words("you we u")
DO_QUESTION_SUBJECTS = _words("you we i they")

# Skipped at the start of a clause ("please", "ok so", "could you", "go ahead and", "we should").
LEAD_INS = _words(
    """please pls plz kindly ok okay k yes yeah yep sure alright right now then so also just
    only hey hi hello first next finally quickly and or go ahead i we you u i'd we'd you'd i'll
    we'll you'll can could would will should must may might let's lets let us me help do
    actually maybe perhaps simply immediately asap thanks thank cool great good fine well oh um
    hmm btw again still"""
)
# "want to", "need you to", "have to", "going to": a desire or obligation before the verb.
INTENT_WORDS = _words("want need like have going trying try able wanna gonna time ready")
INTENT_OBJECTS = _words("you us me")
# "don't forget to X", "remember to X", "make sure to X": a positive request.
REMINDERS = _words("forget remember sure")

NEGATORS = _words(
    """not no never don't dont doesn't didn't won't wont shouldn't can't cant cannot avoid
    without nothing neither nor mustn't"""
)

# These end one clause and start the next (a clause has its own verb and negation scope).
CLAUSE_BREAKS = _words(
    "but instead however though although except rather otherwise then just only meanwhile"
)
# Prepositions and relative words end the direct object; what follows is a prepositional phrase.
NP_BREAKS = _words(
    """to for with as on in into onto about from of at by via under over between through within
    after before without against like per toward towards that which who where because so until
    while when if using"""
)
# "track it as a bug", "break the refactor into steps": the noun after these names what the
# object becomes. "with / using / via the weather tool": the noun names what does the work.
RESULT_PREPOSITIONS = _words("as into")
INSTRUMENT_PREPOSITIONS = _words("with using via through")
# "sketch how we'd migrate", "lay out how to ship it": after "how", these make it a course of
# action to plan, not a mechanism to explain ("outline how the cache works").
COURSE_SUBJECTS = _words("we we'd we'll i i'd i'll to you'd you'll they'd should would could")
# Words after the object that do not change it ("run it now").
TRAILING = _words("now again please asap immediately today tonight already yet too anyway first")
# A verb right after one of these starts another frame ("create a task and assign it").
COORDINATORS = _words("and or nor & plus")
ARTICLES = _words("a an the this that these those my our your their its some new")

_FILE_NAME = re.compile(
    r"[\w-]+\.(?:png|jpe?g|gif|webp|svg|pdf|csv|tsv|txt|md|json|ya?ml|zip|tar|gz|log|docx?|"
    r"xlsx?|pptx?|mp4|mov|mp3|wav|html?)$"
)
_TICKET_KEY = re.compile(r"[a-z]{1,10}-\d+$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")

TOKEN = re.compile(r"[a-z0-9_@+]+(?:[-.@'/][a-z0-9_+]+)*")
CLAUSE_SPLIT = re.compile(r"([.?!;:,]+)(?:\s+|$)|\s+[-–—]+\s+|\n+")
QUOTED = re.compile(r'"[^"]*"|“[^”]*”|`[^`]*`')
PRESET = re.compile(r"\s*(/[a-z][a-z-]*)(?=\s|$)", re.IGNORECASE)


@lru_cache(maxsize=4096)
def lemma(token: str) -> str:
    """The dictionary form of a token if the lexicon knows it (plurals, -ing, -ed, 's), else it.

    Only suffixes are removed, so no word can turn into a different known word by a prefix.
    """
    if token.endswith("'s"):
        token = token[:-2]
    if token in VERBS or token in DOMAINS:
        return token
    for stem in _stems(token):
        if stem in VERBS or stem in DOMAINS:
            return stem
    return token


def _stems(token: str) -> list[str]:
    stems: list[str] = []
    if token.endswith("ies") and len(token) > 4:
        stems.append(token[:-3] + "y")
    if token.endswith("es") and len(token) > 3:
        stems.append(token[:-2])
    if token.endswith("s") and not token.endswith("ss") and len(token) > 3:
        stems.append(token[:-1])
    for suffix in ("ing", "ed"):
        if token.endswith(suffix) and len(token) > len(suffix) + 2:
            base = token[: -len(suffix)]
            stems += [base, base + "e"]
            if len(base) > 2 and base[-1] == base[-2]:
                stems.append(base[:-1])
    return stems


def noun_domain(token: str) -> Domain | None:
    """The domain an (already lemmatized) object token names, recognising file names, ticket
    keys like WI-9, e-mail addresses and snake_case tool names by shape."""
    domain = DOMAINS.get(token)
    if domain is not None:
        return domain
    if "." in token or "@" in token or "-" in token:
        if _EMAIL.match(token):
            return Domain.MEMBER
        if _FILE_NAME.match(token):
            return Domain.FILE
        if _TICKET_KEY.match(token):
            return Domain.WORK
    if "_" in token and token not in VERBS:
        return Domain.TOOL  # snake_case names tools: get_status, search_code
    return None
