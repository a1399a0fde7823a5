"""The engine: one vault, its index, its four Ps, the model, and the writing tasks.

The CLI, the language server and the benchmarks all drive this same object, so what the editor
does and what `penna bench` measures are the same code. Nothing here knows about LSP. The engine
holds the vault session (index, open buffers, the follower that keeps the index current) and
writes; the model's lifecycle is the ModelHost's, a request's prompt the PromptBuilder's, which
draft the model writes first its stored calibration's (writing/calibration_session.py).

Threading: queries may come from any thread (each gets its own SQLite connection); generation
is serialised by the model's lock; the model loads in the background on first need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from penna.config import Settings
from penna.context.assemble import AssembledContext
from penna.knowledge.following import VaultFollower
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer, Progress, SyncReport
from penna.knowledge.items import Section
from penna.knowledge.perspectival import CurrentNote, current_note
from penna.knowledge.procedural import Profile, ProfileCache
from penna.knowledge.rewrites import avoid_words, store_rewrite
from penna.knowledge.style import StyleProfile
from penna.knowledge.watcher import BatchReport, VaultWatcher
from penna.paths import index_path
from penna.vault.classify import classify_note
from penna.vault.files import VaultError, vault_folder, vault_relative
from penna.vault.markdown import parse_note
from penna.writing.backend import Backend, Cancelled, CancelToken, Counter, GenerationStats
from penna.writing.calibration import TRIAL_SENTENCES, Calibration, DraftOrder
from penna.writing.calibration_session import draft_order, run_calibration, settled_calibration
from penna.writing.model_host import ModelHost, ModelState
from penna.writing.prompt import PromptBuilder
from penna.writing.tasks import (
    TaskKind,
    TaskRequest,
    TaskResult,
    join_sentences,
    notes_for,
    run_chat,
    run_continue,
    run_sentences,
    stitched_variant,
    warm_opening,
)

__all__ = ["Engine", "Generation", "ModelState", "VaultError"]

log = logging.getLogger(__name__)
CLOSE_WAIT = 5.0  # seconds `close` waits for a sync under way to end after its note


@dataclass
class Generation:
    texts: list[str]
    context: AssembledContext
    stats: list[GenerationStats] = field(default_factory=list)


class Engine:
    def __init__(self, vault: Path, settings: Settings | None = None, *, db_path: Path | None = None,
                 state_dir: Path | None = None) -> None:
        """`state_dir`: where the model keeps long prompt evaluations for the next start (the
        server's engines; a command-line run starts cold, so the same run writes the same text)."""
        self.vault = vault_folder(vault)  # raises VaultError
        self.settings = settings or Settings()
        self.index = Index(db_path or index_path(self.vault), self.vault)
        self.indexer = Indexer(self.index, self.settings)
        self.profiles = ProfileCache()
        self.buffers: dict[str, str] = {}  # open editor buffers win over disk (see set_buffer)
        self.follower = VaultFollower(self.indexer, self.buffers, on_caught_up=self._caught_up,
                                      on_indexed=self._indexed)
        self._profile_soon = False  # a save or a close: rebuild the profile after the next change
        self.model_host = ModelHost(self.settings, state_dir=state_dir)
        self.prompts = PromptBuilder(self.index)

    def close(self) -> None:
        """Stop following the vault and close the index. A sync under way ends after its note; if
        it has not ended within `CLOSE_WAIT` seconds its connection stays open (closing a
        connection another thread is writing through crashes the process), and the operating
        system closes it at exit."""
        self.stop_watching(timeout=CLOSE_WAIT)
        self.profiles.close()
        if self.follower.syncing:
            log.warning("the index of %s is still being written; it is left open", self.vault)
            return
        self.index.close()

    @property
    def model_state(self) -> ModelState:
        return self.model_host.state

    @property
    def model_listeners(self) -> list[Callable[[ModelState], None]]:
        """Told of every model state change, from whichever thread loads the model."""
        return self.model_host.listeners

    # --- settings and index ------------------------------------------------------------------
    def apply_settings(self, settings: Settings, *, on_reindexed: Callable[[], None] | None = None) -> bool:
        """Returns whether the vault is re-indexed for the new settings: on a thread, `reindexing`
        meanwhile, then `on_reindexed` is called there (exclusions, reading folders or the author's
        name changed: notes change class)."""
        rules = self.indexer.rules()
        self.settings = settings
        self.indexer.settings = settings
        self.prompts.salience.clear()  # the half-life may have changed
        self.prompts.prefixes.clear()
        reindex = self.indexer.rules() != rules and self.follower.resync(on_reindexed)
        self.model_host.configure(settings)
        return reindex

    @property
    def reindexing(self) -> bool:
        """Whether the vault is being re-indexed for new settings (see `apply_settings`)."""
        return self.follower.resyncing

    def sync(self, progress: Progress | None = None) -> SyncReport:
        return self.indexer.sync(progress)

    def profile(self) -> Profile:
        return self.profiles.get(self.index)

    def profile_if_ready(self, *, now: bool = False) -> Profile | None:
        """The profile without waiting (editor requests): maybe a version old, or None. A stale
        one is rebuilt in the background, rate-limited unless `now` (a save or a close)."""
        return self.profiles.peek(self.index, now=now)

    # --- following the vault and the editor ---------------------------------------------------
    @property
    def watcher(self) -> VaultWatcher | None:
        return self.follower.watcher

    def start_watching(self, *, debounce: float = 0.3, sync: bool = True, background: bool = True,
                       progress: Progress | None = None, on_missing: Callable[[], None] | None = None,
                       on_error: Callable[[str], None] | None = None,
                       on_batch: Callable[[BatchReport], None] | None = None,
                       on_synced: Callable[[SyncReport], None] | None = None) -> VaultWatcher:
        """Keep the index following the vault and the open buffers (see VaultFollower.start); once
        caught up, the prefixes are dropped and the style profile is rebuilt in the background."""
        return self.follower.start(debounce=debounce, sync=sync, background=background, progress=progress,
                                   on_missing=on_missing, on_error=on_error, on_batch=on_batch, on_synced=on_synced)

    def stop_watching(self, timeout: float = 2.0) -> None:
        self.follower.stop(timeout)

    def _caught_up(self) -> None:
        self.refresh_all()
        self.profile_if_ready(now=True)

    def _indexed(self, paths: list[str]) -> None:
        """On the watcher's thread, after notes changed in the index: drop the prefixes that
        showed them, and have the style profile follow (rate-limited; at once after a save or a
        close), so that no request waits for it."""
        self.notes_changed(paths)
        soon, self._profile_soon = self._profile_soon, False
        self.profile_if_ready(now=soon)

    def set_buffer(self, rel_path: str, text: str | None) -> None:
        """An editor buffer opened or changed (`text`), or closed (None: the note falls back to
        disk). The index follows after the watcher's debounce, off the caller's thread."""
        if text is None:
            self.buffers.pop(rel_path, None)
            self.note_saved(rel_path)
        else:
            self.buffers[rel_path] = text
        self.follower.touch([rel_path])

    def note_saved(self, rel_path: str) -> None:
        """A save (or a close): a natural pause, so a pending style-profile rebuild runs now, and
        the next change to reach the index rebuilds it at once. No index access (event loop)."""
        self._profile_soon = True
        self.profiles.hurry()

    def note_origin(self, rel_path: str) -> str:
        """read or written: from the index, or from the open buffer when the note is not indexed
        yet (opened while the start-up sync runs, or never saved)."""
        row = self.index.note(rel_path)
        if row is not None:
            return row.origin
        parsed = parse_note(self.buffers.get(rel_path, ""))
        return classify_note(rel_path, parsed.frontmatter, parsed.tags, self.settings.reading_folders,
                             self.settings.author_name)[0]

    # --- the model ---------------------------------------------------------------------------
    def model(self, cancel: CancelToken | None = None) -> Backend:
        """The loaded model, loading it on first call (see ModelHost.get); raises ModelError."""
        return self.model_host.get(cancel)

    def counter(self) -> tuple[Counter, bool]:
        """How to count tokens, and whether exactly (see ModelHost.counter)."""
        return self.model_host.counter()

    # --- the current note --------------------------------------------------------------------
    def rel_path(self, path: Path | str) -> str | None:
        """Vault-relative path of a file, or None if it lies outside the vault."""
        return vault_relative(self.vault, path)

    def current_note(self, rel_path: str | None) -> CurrentNote:
        return current_note(self.index, rel_path, self.buffers.get(rel_path) if rel_path else None)

    # --- context -----------------------------------------------------------------------------
    def refresh(self, rel_path: str | None) -> None:
        """Forget a note's cached prefix (on open): its perspective is recomputed next time."""
        self.prompts.prefixes.forget(rel_path)

    def refresh_all(self) -> None:
        self.prompts.prefixes.clear()

    def notes_changed(self, paths: list[str]) -> None:
        """Notes changed in the index (the watcher): forget the cached prefixes that show one."""
        self.prompts.prefixes.notes_changed(paths)

    def _style(self) -> Profile:
        """The last profile built (rebuilt in the background), so that no request waits for it:
        typing moves the author's writing at every pause, and a rebuild costs seconds on a large vault."""
        return self.profiles.peek(self.index) or self.profile()

    def _avoid(self) -> list[str]:
        return avoid_words(self.index) if self.settings.learn_from_rewrites else []

    def record_rewrite(self, rel_path: str, generated: str, final: str) -> bool:
        if not self.settings.learn_from_rewrites:
            return False
        return store_rewrite(self.index, rel_path, generated, final)

    def context(self, rel_path: str | None, kind: TaskKind, text: str) -> AssembledContext:
        count, exact = self.counter()
        return self.prompts.context(self.settings, self.current_note(rel_path), self._style(), list(self.buffers), kind,
                                    text, count=count, exact=exact, backend=self.model_host.backend)

    def all_sections(self, rel_path: str | None) -> list[Section]:
        """The unfitted sections behind a note's stable prefix (for the context viewer)."""
        return self.prompts.prefixes.sections(rel_path)

    # --- writing -----------------------------------------------------------------------------
    def warm(self, rel_path: str | None, cancel: CancelToken | None = None) -> GenerationStats:
        """Evaluate the note's stable prefix now, so the first action on it starts fast."""
        model = self.model(cancel)
        count, _exact = self.counter()
        prefix = self.prompts.prefix_prompt(self.settings, self.current_note(rel_path), self._style(),
                                            list(self.buffers), count, model)
        return model.warm(prefix, cancel)

    def warm_request(self, kind: TaskKind, rel_path: str | None, text: str,
                     cancel: CancelToken | None = None) -> GenerationStats | None:
        """Evaluate what an action on `text` reads before its first words (the note's prefix, its
        demo pairs, the request's own passages), so that it starts at once when the writer picks
        it. Nothing for a chat model or a continuation, whose prompts are built differently."""
        if kind == "continue" or not text.strip() or not notes_for(kind, text):
            return None
        model = self.model(cancel)
        if model.is_chat:
            return None
        context = self.context(rel_path, kind, text)
        if cancel is not None and cancel.cancelled:  # a real request came while assembling
            raise Cancelled()
        stats = model.warm(context.document, cancel, remember=False)
        request = self._task_request(kind, text, self.current_note(rel_path).title, context,
                                     order=draft_order(self.index, model), number=0, variants=1)
        warm_opening(model, context.document, request, notes_for(kind, text), cancel=cancel)
        return stats

    def _task_request(self, kind: TaskKind, text: str, title: str, context: AssembledContext, *, order: DraftOrder,
                      number: int, variants: int, candidates: int = 1, seed: int | None = None) -> TaskRequest:
        """Answer `number` of `variants` to an action (the warm-up asks for the first one)."""
        base_seed = self.settings.seed if seed is None else seed
        # The demo pairs are in `context.document` already, before the request's passages
        # (cached with the note's prefix), so the task's tail carries none.
        return TaskRequest(kind, text, title, demo="",
                           max_tokens=context.budget.max_new_tokens,  # maxTokens, or less to fit (noted)
                           temperature=self.settings.temperature + (0.15 * number if variants > 1 else 0.0),
                           seed=base_seed + 101 * number if base_seed >= 0 else -1, candidates=candidates,
                           variant=number, order=order)

    def calibrate(self, *, count: int = TRIAL_SENTENCES, cancel: CancelToken | None = None,
                  again: bool = False) -> Calibration:
        """Try the model on the author's sentences after this vault's prompt and store which draft it
        writes first (`writing/calibration_session.py`); the stored result unless `again`."""
        model = self.model(cancel)
        if (settled := settled_calibration(self.index, model, again=again)) is not None:
            return settled
        context = self.context(None, "expand", "")
        return run_calibration(self.index, model, context, title=self.current_note(None).title, settings=self.settings,
                               style=self._style().style, count=count, cancel=cancel,
                               on_stored=self.model_host.announce)  # the status shows how the model drafts

    def generate(self, kind: TaskKind, rel_path: str | None, text: str, *, variants: int = 1,
                 cancel: CancelToken | None = None, on_text: Callable[[int, str], None] | None = None,
                 candidates: int = 1, seed: int | None = None, growing: bool = False) -> Generation:
        """`on_text` is told each variant's text so far: whole sentences as they are chosen, and
        with `growing` (an editor's progress and preview) also a restored sentence word by word,
        which the sentence chosen for its note then replaces (so a later text need not extend an
        earlier one)."""
        _check_request(kind, text, cancel)
        model = self.model(cancel)
        context = self.context(rel_path, kind, text)
        if cancel is not None and cancel.cancelled:  # cancelled while assembling: stop before the model
            raise Cancelled()
        title = self.current_note(rel_path).title
        style = self._style().style  # the last profile built, as the prefix uses
        order = draft_order(self.index, model)
        texts: list[str] = []
        chosen: list[list[str]] = []  # each variant's sentences
        stats: list[GenerationStats] = []
        first: TaskResult | None = None
        for number in range(max(1, variants)):
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            stitched = stitched_variant(first, number) if number and first is not None else None
            if stitched is not None:  # the model's close second opinions, judged as the first draft was
                variant = join_sentences(stitched, style)
                chosen.append(stitched)
            else:
                request = self._task_request(kind, text, title, context, order=order, number=number,
                                             variants=variants, candidates=candidates, seed=seed)
                if number == 0 and variants > 1 and kind == "expand":
                    request = replace(request, alternatives=variants - 1)
                request = replace(request, taken=tuple(zip(*chosen, strict=False)))
                shown = len(texts)  # its number among the variants the writer is shown
                progress = (lambda partial, n=shown: on_text(n, partial)) if on_text else None
                result = self._run(model, context, request, style, cancel, progress, growing)
                variant = result.text
                chosen.append(result.pieces)
                stats.extend(result.stats)
                if number == 0 and any(result.alternatives):
                    first = result
            if variant in texts:
                continue  # a copy of an earlier variant: the writer is shown fewer, all different
            texts.append(variant)
            if on_text and stitched is not None:
                on_text(len(texts) - 1, variant)
        return Generation(texts, context, stats)

    def _run(self, model: Backend, context: AssembledContext, request: TaskRequest, style: StyleProfile | None,
             cancel: CancelToken | None, progress: Callable[[str], None] | None,
             growing: bool = False) -> TaskResult:
        """One answer to a request, by the task's runner for this kind of model."""
        if model.is_chat:
            return run_chat(model, context, request, cancel=cancel, on_text=progress)
        if request.kind == "continue":
            return run_continue(model, context.document, request, cancel=cancel, on_text=progress)
        return run_sentences(model, context.document, request, notes_for(request.kind, request.text), profile=style,
                             exemplars=context.exemplars(), cancel=cancel, on_text=progress, avoid=self._avoid(),
                             growing=growing)


def _check_request(kind: TaskKind, text: str, cancel: CancelToken | None) -> None:
    """A request worth starting: something to write from, and not cancelled while queued."""
    if not text.strip():
        raise ValueError("nothing to write from: the selection is empty")
    if kind != "continue" and not notes_for(kind, text):
        raise ValueError("no bullets or sentences found in the selection")
    if cancel is not None and cancel.cancelled:  # cancelled while queued: nothing to do
        raise Cancelled()
