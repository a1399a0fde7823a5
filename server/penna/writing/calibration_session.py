"""Calibration on a vault: the loaded model's stored trial, whether a trial is due, which draft
generation writes first, and running the trial on the vault's own prompt.

What the trial measures and how its result decides the order is `writing/calibration.py`; the
trial itself is `run_trial` in `writing/tasks.py`. The engine supplies the vault's index, the
model and the prompt; the result is stored in the index, keyed by the model.
"""

from __future__ import annotations

from collections.abc import Callable

from penna.config import Settings
from penna.context.assemble import AssembledContext
from penna.knowledge.index import Index
from penna.knowledge.style import StyleProfile
from penna.writing.backend import Backend, CancelToken
from penna.writing.bridge import bridge_for
from penna.writing.calibration import (
    TRIAL_SENTENCES,
    Calibration,
    DraftOrder,
    model_key,
    store,
    stored,
    vault_trial_notes,
)
from penna.writing.model_host import ModelHost
from penna.writing.tasks import TaskRequest, run_trial

__all__ = ["draft_order", "needs_calibration", "run_calibration", "settled_calibration", "stored_calibration"]


def stored_calibration(index: Index, backend: Backend | None) -> Calibration | None:
    """The stored trial of the loaded model (`backend`, None when none is loaded) on this vault, if it was run."""
    return stored(index, backend) if backend is not None else None


def needs_calibration(index: Index, host: ModelHost) -> bool:
    """The loaded model could restore notes and has not been tried on this vault. The embedded
    default is not tried on its own: its order is measured (docs/voice.md); `penna calibrate`
    tries it on request."""
    backend, choice = host.backend, host.state.choice
    return (backend is not None and not backend.is_chat and bridge_for(backend) is not None
            and (choice is None or choice.source != "default") and stored(index, backend) is None)


def draft_order(index: Index, model: Backend) -> DraftOrder:
    """What the model drafts first for a note: as its trial decided, else restoring (measured
    right for the 270M default, docs/voice.md)."""
    found = stored(index, model)
    return found.order if found is not None else "restore" if bridge_for(model) is not None else "free"


def settled_calibration(index: Index, model: Backend, *, again: bool = False) -> Calibration | None:
    """The model's calibration when no trial is to run: the stored one (unless `again`), or, for a
    chat model (its own prompt, whole paragraphs), an empty one that writes freely. None: run it."""
    if not again and (found := stored(index, model)) is not None:
        return found
    if model.is_chat:
        return Calibration(model.name, model_key(model), [], restores=False)
    return None


def run_calibration(index: Index, model: Backend, context: AssembledContext, *, title: str, settings: Settings,
                    style: StyleProfile, count: int = TRIAL_SENTENCES, cancel: CancelToken | None = None,
                    on_stored: Callable[[], None] | None = None) -> Calibration:
    """Try the model on `count` of the author's sentences, jotted into notes, after the prompt of
    an expansion with no note (`context`, the note titled `title`), and store which draft it
    writes first. The trial's sentences are ones the prompt does not show, so that neither draft
    can copy them. Stored (then `on_stored`) only when there were trials: a vault with too little
    of the author's prose is tried again when it has more."""
    restores = bridge_for(model) is not None
    notes = vault_trial_notes(index, context.document, count)
    request = TaskRequest("expand", "", title, max_tokens=context.budget.max_new_tokens,
                          temperature=settings.temperature, seed=settings.seed, candidates=0)
    trials = run_trial(model, context.document, request, notes, profile=style, exemplars=context.exemplars(),
                       cancel=cancel)
    calibration = Calibration(model.name, model_key(model), trials, restores)
    if trials:
        store(index, calibration)
        if on_stored is not None:
            on_stored()
    return calibration
