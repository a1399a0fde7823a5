"""Warming an action before the writer asks for it: its request's own passages and first gap,
the part of its prompt that no cache holds, are evaluated while the writer is still choosing.

Two moments say what comes next: the editor lists the actions (a menu, a shortcut, a selection),
or the writer stops typing in a bullet list, which is what they will expand. Either way the
warm-up waits until that moment has lasted (`LISTED_SETTLE_SECONDS`, `TYPING_SETTLE_SECONDS`),
runs at warm-up priority (a real request cancels it, except the request for this very action once
the warm-up is at work: that request waits for it and starts from what it evaluated), and is
dropped as soon as the text it was for changes: a keystroke never waits for it, and no stale text
is evaluated.
"""

from __future__ import annotations

import contextlib
import threading
import time

from lsprotocol import types

from penna.lsp.edits import block_at, block_span
from penna.lsp.server import PennaServer
from penna.vault.markdown import LIST_ITEM
from penna.writing.backend import Cancelled, CancelToken, ModelError
from penna.writing.tasks import TaskKind

LISTED_SETTLE_SECONDS = 0.3  # how long an action list must stay current before its action is warmed
# A pause in typing this long, in a bullet list, usually ends the list: shorter pauses come
# between words, and each warm-up they started would be thrown away at the next keystroke.
TYPING_SETTLE_SECONDS = 1.0
# Finding the list means parsing the note on the event loop at each keystroke in a list: a draft
# is far smaller than this, and a larger note is not warmed from typing.
TYPING_MAX_CHARS = 200_000


def warm_action(ls: PennaServer, uri: str, kind: TaskKind, text: str, settle: float = LISTED_SETTLE_SECONDS,
                *, load: bool = True) -> None:
    """Once `text` has stayed the action's input for `settle` seconds, evaluate what the action
    reads before its first words. A newer call for other text makes this one stale, and so does
    any real request (the runner cancels it). `load` False: only with the model already loaded."""
    key = (uri, kind, text)
    found = ls.engine_for(uri)
    # Only for a note open in the editor (whose opening loaded the model): listing actions on a
    # file on disk must not load a model the writer has not asked for.
    if found is None or not ls.is_open(uri) or ls.shutting_down:
        return
    engine, rel = found
    if not load and engine.model_host.backend is None:
        if ls.warmed_action is not None and ls.warmed_action != key:
            forget_warmed(ls, uri)  # an older text's warm-up must not load the model later
        return  # a pause in typing never loads (or, for a model server, connects) on its own
    pending = ls.action_warmup
    sooner = ls.warm_due is not None and time.monotonic() + settle < ls.warm_due
    if ls.warmed_action == key and pending is not None and not pending.cancelled and not sooner:
        return  # already warmed, or warming at least as soon
    forget_warmed(ls)
    token = CancelToken()
    ls.runner.hold_warm(token)  # a real request cancels it even while it waits
    ls.warmed_action, ls.action_warmup, ls.warm_due = key, token, time.monotonic() + settle

    def job(token: CancelToken) -> None:
        try:
            engine.warm_request(kind, rel, text, token)
        except (Cancelled, ValueError):
            pass
        except ModelError as error:
            ls.report_model_error(error)

    def settled() -> None:
        # The wait is a timer, not the model's worker: other warm-ups (a hover's rephrasing) do
        # not queue behind a keystroke's. A request for this action that came meanwhile does the
        # work itself (`acted_on` replaced the token); under the lock, a request either finds the
        # warm-up handed over or stops it from being handed over.
        with ls.warm_lock:
            if not token.cancelled and ls.action_warmup is token and ls.warmed_action == key and ls.is_open(uri):
                with contextlib.suppress(RuntimeError):  # the server is shutting down: nothing to warm
                    ls.runner.submit_warm(job, token)
                    ls.warm_started = token

    ls.warm_timer = threading.Timer(settle, settled)
    ls.warm_timer.daemon = True
    ls.warm_timer.start()


def acted_on(ls: PennaServer, uri: str, kind: TaskKind, text: str) -> CancelToken | None:
    """A real action evaluated `text` for `kind`: it counts as warmed, so the edit it applies
    (variants leave the bullets in place) or a selection left on them does not warm it again.
    Returns the warm-up of this very action if it is already handed to the model's worker (its
    settling time over), which the action then waits for instead of cancelling it: it evaluates
    exactly what the action would first (asked 1.5 s after a pause in typing, the warm-up had run
    0.5 s of its 0.6, and the request searched the first gap again from the start)."""
    with ls.warm_lock:
        warm_up = ls.action_warmup
        at_work = warm_up if (ls.warmed_action == (uri, kind, text) and warm_up is not None
                              and not warm_up.cancelled and ls.warm_started is warm_up) else None
        forget_warmed(ls, keep=at_work)
        ls.warmed_action, ls.action_warmup = (uri, kind, text), CancelToken()  # never cancelled: done
    return at_work


def forget_warmed(ls: PennaServer, uri: str | None = None, *, keep: CancelToken | None = None) -> None:
    """Stop the warm-up under way or waiting (its text is stale) and forget what it was for;
    with `uri`, only one made for that document; `keep`: a warm-up left to finish."""
    if uri is not None and (ls.warmed_action is None or ls.warmed_action[0] != uri):
        return
    if ls.warm_timer is not None:
        ls.warm_timer.cancel()
    if ls.action_warmup is not None and ls.action_warmup is not keep:
        ls.action_warmup.cancel()
    ls.warmed_action, ls.action_warmup, ls.warm_timer, ls.warm_due = None, None, None, None
    ls.warm_started = None


def typed_bullets(text: str, line: int) -> str | None:
    """The bullet list the writer is typing in at `line`, as an expand at the cursor takes it
    (`edits.find_target`), or None when `line` is not in a list."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    current = lines[line]
    # Most keystrokes are in prose: a line that is neither a list item nor indented under one
    # cannot be in a list block, and the note need not be parsed.
    if not (LIST_ITEM.match(current) or current[:1].isspace()):
        return None
    block = block_at(text, line, ("list",))
    if block is None:
        return None
    return block_span(text, block).text(text)


def warm_typed(ls: PennaServer, uri: str, text: str, params: types.DidChangeTextDocumentParams) -> None:
    """After an edit that made the note `text`: warm the expand of the bullet list it was in,
    once typing has paused there, if the model is loaded; an edit anywhere else drops a warm-up
    made for this note's older text. A client that sends whole documents does not say where the
    edit was: nothing is warmed for it."""
    changes = params.content_changes
    last = changes[-1] if changes else None
    bullets = None
    if isinstance(last, types.TextDocumentContentChangePartial) and len(text) <= TYPING_MAX_CHARS:
        # Where the cursor is after the edit, or, when that is a line just opened below the
        # list (Enter after the last bullet), the line the edit began on.
        cursor = last.range.start.line + last.text.count("\n")
        bullets = typed_bullets(text, cursor) or typed_bullets(text, last.range.start.line)
    if bullets is not None and bullets.strip():
        warm_action(ls, uri, "expand", bullets, settle=TYPING_SETTLE_SECONDS, load=False)
    else:
        forget_warmed(ls, uri)
