"""penna's own protocol: the arguments and results of every `penna.*` command, and the
`penna/status` and `penna/result` notifications, in one typed definition (documented in
docs/protocol.md).

Arguments are checked once, for every command, before its handler runs (`check_arguments`, called
by the server's dispatch): a malformed argument is answered with InvalidParams and a message that
says what was expected, never a TypeError or KeyError from deep inside a handler. The handler
then receives the typed argument the check built (NoteArguments, ActionArguments, …), not the JSON. Results are
TypedDicts, so the fields the clients read are named here, and tests compare them with the
clients (tests/e2e/test_protocol_contract.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

from lsprotocol import types

ActionName = Literal["expand", "rephrase", "continue", "variants"]
ACTIONS: tuple[ActionName, ...] = ("expand", "rephrase", "continue", "variants")


class ArgumentError(ValueError):
    """A command's argument does not have the shape the protocol defines."""


# --- arguments ---------------------------------------------------------------------------------
def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**31 - 1:
        raise ArgumentError(f"{where} must be a whole number ≥ 0, got {value!r}"[:200])
    return value


def position_from(value: Any, where: str) -> types.Position:
    if not isinstance(value, dict):
        raise ArgumentError(f"{where} must be {{\"line\": L, \"character\": C}}, got {value!r}"[:200])
    return types.Position(line=_whole(value.get("line"), f"{where}.line"),
                          character=_whole(value.get("character"), f"{where}.character"))


def range_from(value: Any, where: str = "range") -> types.Range:
    if not isinstance(value, dict) or "start" not in value or "end" not in value:
        raise ArgumentError(f"{where} must be {{\"start\": {{\"line\": L, \"character\": C}}, \"end\": {{…}}}}, "
                            f"got {value!r}"[:200])
    return types.Range(position_from(value["start"], f"{where}.start"), position_from(value["end"], f"{where}.end"))


@dataclass(frozen=True)
class NoteArguments:
    """`{uri, range?, position?, version?}`: where an action or the context viewer works."""

    uri: str
    range: types.Range | None = None
    position: types.Position | None = None
    version: int | None = None

    @property
    def selection(self) -> types.Range | None:
        """The range, or the position as an empty range, or None."""
        if self.range is not None:
            return self.range
        return types.Range(self.position, self.position) if self.position is not None else None


@dataclass(frozen=True)
class ActionArguments(NoteArguments):
    """penna.expand, .rephrase, .continue, .variants: `{uri, range?, position?, version?,
    preview?, draftId?}`, and which action. With `preview` nothing is applied and the text so far
    is sent as `penna/draft` notifications carrying `draftId`."""

    action: ActionName = "expand"
    preview: bool = False
    draft_id: str | int | None = None


def _one_object(command: str, args: list[Any] | tuple[Any, ...]) -> dict[str, Any]:
    if not args or not isinstance(args[0], dict):
        raise ArgumentError(f"{command} takes one argument object, e.g. {{\"uri\": …, \"range\": …}}")
    return args[0]


def note_arguments(command: str, args: list[Any] | tuple[Any, ...]) -> NoteArguments:
    raw = _one_object(command, args)
    uri = raw.get("uri")
    if not isinstance(uri, str) or not uri:
        raise ArgumentError(f"{command}: uri must be a document URI string, got {uri!r}"[:200])
    rng = range_from(raw["range"]) if raw.get("range") is not None else None
    position = position_from(raw["position"], "position") if raw.get("position") is not None else None
    version = raw.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ArgumentError(f"{command}: version must be an integer or null, got {version!r}"[:200])
    return NoteArguments(uri, rng, position, version)


def action_arguments(command: str, args: list[Any] | tuple[Any, ...]) -> ActionArguments:
    """The argument of `penna.<action>` (the action is the command's name), or of a code action's
    `data` (`{"action": …, …}`, checked with `command` = "codeAction/resolve")."""
    raw = _one_object(command, args)
    name = command.removeprefix("penna.") if command.startswith("penna.") else raw.get("action")
    action = next((a for a in ACTIONS if a == name), None)
    if action is None:
        raise ArgumentError(f"{command}: action must be one of {', '.join(ACTIONS)}, got {name!r}"[:200])
    note = note_arguments(command, args)
    preview = raw.get("preview", False)
    if not isinstance(preview, bool):
        raise ArgumentError(f"{command}: preview must be true or false, got {preview!r}"[:200])
    draft_id = raw.get("draftId")
    if draft_id is not None and (isinstance(draft_id, bool) or not isinstance(draft_id, (str, int))):
        raise ArgumentError(f"{command}: draftId must be a string or an integer, got {draft_id!r}"[:200])
    return ActionArguments(note.uri, note.range, note.position, note.version, action=action, preview=preview,
                           draft_id=draft_id)


def no_arguments(command: str, args: list[Any] | tuple[Any, ...]) -> None:
    """Commands without arguments ignore any they are given (clients send `{}` or nothing)."""


@dataclass(frozen=True)
class AcceptedArguments:
    """penna.accepted: `{uri, text, generated?}`."""

    uri: str
    text: str
    generated: str | None = None


def accepted_arguments(command: str, args: list[Any] | tuple[Any, ...]) -> AcceptedArguments:
    if not args or not isinstance(args[0], dict):
        raise ArgumentError(f"{command} takes one argument object {{uri, text, generated?}}")
    raw = args[0]
    if not isinstance(raw.get("uri"), str) or not isinstance(raw.get("text"), str):
        raise ArgumentError(f"{command}: uri and text must be strings")
    if raw.get("generated") is not None and not isinstance(raw["generated"], str):
        raise ArgumentError(f"{command}: generated must be a string")
    return AcceptedArguments(raw["uri"], raw["text"], raw.get("generated"))


# Every penna command and how its argument is checked. A command missing here is a test failure
# (tests/e2e/test_protocol_contract.py), so a new command cannot skip validation.
ARGUMENTS: dict[str, Callable[[str, list[Any] | tuple[Any, ...]], object]] = {
    **{f"penna.{action}": action_arguments for action in ACTIONS},
    "penna.showContext": note_arguments,
    "penna.status": no_arguments,
    "penna.forgetRewrites": no_arguments,
    "penna.accepted": accepted_arguments,
}


def check_arguments(command: str, args: list[Any] | tuple[Any, ...]) -> object:
    """The typed argument of `command` (None for a command without one, or one penna does not
    define); raises ArgumentError when `args` do not fit `command`."""
    checker = ARGUMENTS.get(command)
    return checker(command, args) if checker is not None else None


# --- results ---------------------------------------------------------------------------------
class ActionResult(TypedDict):
    """penna.expand, .rephrase, .continue, .variants. A preview's answer adds where the text goes
    (`range` in the document at `version`, replacing `original`) and, for variants, each variant
    and the sentences a writer stitches from."""

    applied: bool
    text: str
    message: NotRequired[str]
    range: NotRequired[dict[str, Any]]
    version: NotRequired[int | None]
    original: NotRequired[str | None]
    variants: NotRequired[list[str]]
    sentences: NotRequired[dict[str, Any]]


class AcceptedResult(TypedDict):
    """penna.accepted."""

    learning: bool
    stored: NotRequired[bool]


class ContextResult(TypedDict):
    """penna.showContext."""

    markdown: str


class ModelStatus(TypedDict):
    state: str  # "not loaded" | "loading" | "ready" | "error"
    setting: str
    name: NotRequired[str]
    path: NotRequired[str]
    source: NotRequired[str]
    error: NotRequired[str]
    drafting: NotRequired[str]  # how the loaded model drafts a sentence from a note (its trial, when run)


class CollectedFolder(TypedDict):
    """A folder whose notes look collected (pasted), not written: a readingFolders suggestion."""

    folder: str
    notes: int
    why: str


class VaultStatus(TypedDict):
    path: str
    notes: int
    written: int
    read: int
    index: str
    indexed: bool  # the start-up indexing has finished and no re-index for new settings runs; counts move until then
    collected: list[CollectedFolder]


class StatusResult(TypedDict):
    """penna.status, and the `penna/status` notification (pushed when it changes)."""

    model: ModelStatus
    vaults: list[VaultStatus]
    indexing: bool  # any vault still indexing
    lastCancelSeconds: float | None


class ForgetResult(TypedDict):
    """penna.forgetRewrites."""

    forgotten: int


STATUS_NOTIFICATION = "penna/status"  # params: StatusResult


RESULT_NOTIFICATION = "penna/result"


class ResultNotification(TypedDict):
    """`penna/result`: a generation whose edit could not be applied, kept for the writer."""

    uri: str
    action: str
    text: str
    reason: Literal["closed", "changed"]
    message: str
