"""The engine: one vault, its index, its four Ps, the model, and the writing tasks.

The CLI, the language server and the benchmarks all drive this same object, so what the editor
does and what `penna bench` measures are the same code. Nothing here knows about LSP.

Threading: queries may come from any thread (each gets its own SQLite connection); generation
is serialised by the model's lock; the model loads in the background on first need.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from penna.config import Settings
from penna.context.late import rare_terms
from penna.context.render import demo_pairs
from penna.context.assemble import (AssembledContext, Budget, FittedSection, assemble, fit_pinned, fit_stable,
                                    stable_prefix)
from penna.knowledge.index import Index
from penna.knowledge.indexer import Indexer, Progress, SyncReport
from penna.knowledge.items import Item, Section, query_terms
from penna.knowledge.participatory import author_name, find_profile_note, participatory_section
from penna.knowledge.perspectival import CurrentNote, perspectival_section, salience
from penna.knowledge.procedural import Profile, ProfileCache, procedural_section, style_card
from penna.knowledge.propositional import propositional_section
from penna.knowledge.rewrites import avoid_words, rewrite_items, store_rewrite
from penna.knowledge.tokens import count_tokens
from penna.knowledge.watcher import BatchReport, VaultWatcher
from penna.paths import index_path
from penna.vault.classify import classify_note
from penna.vault.files import normalise_rel
from penna.vault.markdown import parse_note
from penna.vault.note import note_title
from penna.writing.backend import Backend, counts_exactly, estimate_reason, fitting_counter, leave_room, window
from penna.writing.model import Cancelled, CancelToken, GenerationStats, LlamaModel, ModelError
from penna.writing.registry import ModelChoice, effective_choice, resolve_model
from penna.writing.tasks import (TaskKind, TaskRequest, TaskResult, budget_tail, notes_for, run_chat,
                                 run_continue, run_sentences)

log = logging.getLogger("penna.engine")


SALIENCE_TTL = 30.0  # seconds
MODEL_LOAD_POLL = 0.02  # seconds between looks at the cancel token while a model loads


class VaultError(ValueError):
    """The vault cannot be used (missing, not a folder). The message is for the user."""


@dataclass
class ModelState:
    state: str = "not loaded"  # not loaded | loading | ready | error
    error: str | None = None
    choice: ModelChoice | None = None
    load_seconds: float | None = None


@dataclass
class Generation:
    texts: list[str]
    context: AssembledContext
    stats: list[GenerationStats] = field(default_factory=list)


@dataclass
class _StableEntry:
    key: str
    author: str
    sections: list[Section]
    fitted: list[FittedSection]
    demo: str
    pinned: FittedSection | None = None  # the note's own propositional passages, part of the prefix


class Engine:
    def __init__(self, vault: Path, settings: Settings | None = None, *, db_path: Path | None = None) -> None:
        vault = Path(vault).expanduser()
        if not vault.exists():
            raise VaultError(f"vault folder not found: {vault}")
        if not vault.is_dir():
            raise VaultError(f"not a folder: {vault}")
        self.vault = vault.resolve()
        self.settings = settings or Settings()
        self.index = Index(db_path or index_path(self.vault), self.vault)
        self.indexer = Indexer(self.index, self.settings)
        self.profiles = ProfileCache()
        self.buffers: dict[str, str] = {}  # open editor buffers win over disk (see set_buffer)
        self.watcher: VaultWatcher | None = None  # see start_watching
        self._catch_up: threading.Thread | None = None  # the watcher's start-up sync
        self._profile_soon = False  # a save or a close: rebuild the profile after the next change
        # Told of every model state change (from whichever thread loads it): the server reports
        # loading as progress and a failure once.
        self.model_listeners: list[Callable[[ModelState], None]] = []
        self._model_state = ModelState()
        self._model: Backend | None = None
        self._tokenizer: LlamaModel | None = None
        self._model_key: tuple[str, str] | None = None  # (model, remote URL) the loaded model is for
        self._model_lock = threading.RLock()
        self._stable: dict[str, _StableEntry] = {}
        self._salience_cache: tuple[float, Any, dict[str, float]] | None = None  # (when, latest change, salience)

    def close(self) -> None:
        self.stop_watching(timeout=0.0)
        self.profiles.close()
        self.index.close()

    @property
    def model_state(self) -> ModelState:
        return self._model_state

    @model_state.setter
    def model_state(self, state: ModelState) -> None:
        self._model_state = state
        for listener in list(self.model_listeners):
            try:
                listener(state)
            except Exception:  # noqa: BLE001 - a listener's bug must not break loading
                log.exception("model state listener failed")

    # --- settings and index ------------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        model_changed = (settings.model, settings.remote_url, settings.n_ctx, settings.threads) != (
            self.settings.model, self.settings.remote_url, self.settings.n_ctx, self.settings.threads)
        rules = self.indexer.rules()
        self.settings = settings
        self.indexer.settings = settings
        self._salience_cache = None  # the half-life may have changed
        self._stable.clear()
        if self.indexer.rules() != rules and self.watcher is not None:
            self._resync()  # exclusions, reading folders or the author's name: notes change class
        if model_changed:
            with self._model_lock:
                self._model = self._tokenizer = None
                self.model_state = ModelState()

    def sync(self, progress: Progress | None = None) -> SyncReport:
        return self.indexer.sync(progress)

    def profile(self) -> Profile:
        return self.profiles.get(self.index)

    def profile_if_ready(self, *, now: bool = False) -> Profile | None:
        """The profile without waiting (editor requests): maybe a version old, or None. A stale
        one is rebuilt in the background, rate-limited unless `now` (a save or a close)."""
        return self.profiles.peek(self.index, now=now)

    # --- following the vault and the editor ---------------------------------------------------
    def start_watching(self, *, debounce: float = 0.3, sync: bool = True, background: bool = True,
                       progress: Progress | None = None, on_missing: Callable[[], None] | None = None,
                       on_error: Callable[[str], None] | None = None,
                       on_batch: Callable[[BatchReport], None] | None = None,
                       on_synced: Callable[[SyncReport], None] | None = None) -> VaultWatcher:
        """Keep the index following the vault and the open buffers. The watcher starts first, then
        the start-up sync runs under it (events seen meanwhile are applied after it, against what
        it wrote), then the buffers' text goes back over what the sync read from disk and the
        style profile is rebuilt in the background. With `background` all this runs on a thread
        of its own and a failure goes to `on_error`; without, a failed sync raises. `on_error`
        also hears once that the vault cannot be watched or the index cannot be written. A watcher
        already running (the vault came back) is stopped first."""
        self.stop_watching()
        watcher = VaultWatcher(self.indexer, debounce=debounce, buffers=self.buffers, on_indexed=self._indexed,
                               on_batch=on_batch, on_vault_missing=on_missing, on_error=on_error)
        self.watcher = watcher

        def catch_up() -> None:
            watcher.start()
            if watcher.unwatched and on_error:
                on_error(f"cannot watch {self.vault} for changes ({watcher.unwatched}); changes made outside "
                         "the editor are indexed at the next start")
            if sync:
                with watcher.paused():
                    report = self.sync(progress)
                if on_synced:
                    on_synced(report)
            watcher.touch(list(self.buffers))  # the sync read these from disk; the editor's text wins
            self.refresh_all()
            self.profile_if_ready(now=True)

        if not background:
            catch_up()
            return watcher

        def run() -> None:
            try:
                catch_up()
            except Exception as error:  # noqa: BLE001 - a vault problem must not kill the caller
                log.warning("indexing %s failed: %s", self.vault, error)
                if on_error:
                    on_error(f"indexing {self.vault} failed: {error}")
            finally:
                self.index.close_thread()

        self._catch_up = threading.Thread(target=run, daemon=True, name="penna-index")
        self._catch_up.start()
        return watcher

    def _resync(self) -> None:
        """Sync again under the running watcher, on a thread (after any start-up sync still under
        way): the vault's rules changed, so notes whose bytes did not may still change class."""
        watcher, previous = self.watcher, self._catch_up
        if watcher is None:
            return

        def run() -> None:
            try:
                if previous is not None:
                    previous.join()
                with watcher.paused():
                    self.sync()
                watcher.touch(list(self.buffers))  # the editor's text wins over what the sync read
                self.refresh_all()
                self.profile_if_ready(now=True)
            except Exception as error:  # noqa: BLE001 - a vault problem must not kill the caller
                log.warning("re-indexing %s for the new settings failed: %s", self.vault, error)
            finally:
                self.index.close_thread()

        self._catch_up = threading.Thread(target=run, daemon=True, name="penna-resync")
        self._catch_up.start()

    def stop_watching(self, timeout: float = 2.0) -> None:
        """Stop the watcher (its threads are joined briefly) and wait at most `timeout` seconds
        for its start-up sync, which writes the same index."""
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()
        catch_up = self._catch_up
        if catch_up is not None and catch_up is not threading.current_thread():
            catch_up.join(timeout)

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
        if self.watcher is not None:
            self.watcher.touch([rel_path])

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
    def _choice_key(self) -> tuple[str, str]:
        """(model reference, remote URL): the settings, or what `penna model use` saved."""
        model, remote, _saved = effective_choice(self.settings.model, self.settings.remote_url)
        return model, remote

    def model(self, cancel: CancelToken | None = None) -> Backend:
        """The loaded model (or the connected model server, when remoteUrl is set), loading it on
        first call. Raises ModelError with a clear reason. With `cancel`, a load under way is
        waited for on the side: llama.cpp cannot interrupt a load (seconds for a large model), so
        a cancel returns at once and the load goes on for the next request."""
        if cancel is None or self._model is not None:
            return self._load_model()
        outcome: list[Backend | BaseException] = []
        done = threading.Event()

        def load() -> None:
            try:
                outcome.append(self._load_model())
            except BaseException as error:  # noqa: BLE001 - handed to the waiting request
                outcome.append(error)
            finally:
                done.set()

        threading.Thread(target=load, daemon=True, name="penna-model-load").start()
        while not done.wait(MODEL_LOAD_POLL):
            if cancel.cancelled:
                raise Cancelled()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def _load_model(self) -> Backend:
        with self._model_lock:
            try:
                key = self._choice_key()
            except ModelError as error:  # a damaged saved choice
                self.model_state = ModelState("error", str(error))
                raise
            if self._model is not None and key == self._model_key:
                return self._model
            self._model = self._tokenizer = None  # `penna model use` changed the choice meanwhile
            self.model_state = ModelState("loading")
            started = time.perf_counter()
            model_ref, remote = key
            try:
                if remote:  # the only network penna ever uses: the server the user configured
                    from penna.writing.remote import RemoteModel

                    self._model = RemoteModel.connect(remote, n_ctx=self.settings.n_ctx, model=model_ref)
                    choice = ModelChoice(self._model.path, "remote", remote)
                else:
                    choice = resolve_model(model_ref, folders=self.settings.model_folders)
                    self._model = LlamaModel.load(choice.path, n_ctx=self.settings.n_ctx, threads=self.settings.threads)
            except ModelError as error:
                self.model_state = ModelState("error", str(error))
                raise
            self._model_key = key
            self.model_state = ModelState("ready", None, choice, time.perf_counter() - started)
            return self._model

    def counter(self) -> tuple[Callable[[str], int], bool]:
        """Exact token counting with the model's tokenizer (vocabulary only, fast to load),
        or tiktoken when the model is unavailable. A model server counts with its /tokenize
        endpoint when it has one (else tiktoken, and the flag says so)."""
        with self._model_lock:  # never load two llama.cpp models at once (the worker may be loading)
            try:
                model_ref, remote = self._choice_key()
            except ModelError:
                return count_tokens, False
            if self._model is not None and (model_ref, remote) == self._model_key:
                return self._model.count, counts_exactly(self._model)
            if remote:
                try:
                    backend = self.model()
                except ModelError:
                    return count_tokens, False
                return backend.count, counts_exactly(backend)
            if self._tokenizer is None and self.model_state.state != "error":
                try:
                    choice = resolve_model(model_ref, folders=self.settings.model_folders)
                    self._tokenizer = LlamaModel.load(choice.path, n_ctx=self.settings.n_ctx, threads=1,
                                                      vocab_only=True)
                except ModelError as error:
                    self.model_state = ModelState("error", str(error))
            if self._tokenizer is not None:
                return self._tokenizer.count, True
            return count_tokens, False

    # --- the current note --------------------------------------------------------------------
    def rel_path(self, path: Path | str) -> str | None:
        """Vault-relative path of a file, or None if it lies outside the vault."""
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.vault / candidate
        try:
            # NFC, as the index spells it (a note may be saved under an NFD name).
            return normalise_rel(candidate.resolve().relative_to(self.vault).as_posix())
        except (ValueError, OSError):
            return None

    def current_note(self, rel_path: str | None) -> CurrentNote:
        text = self.buffers.get(rel_path) if rel_path else None
        if text is not None:
            parsed = parse_note(text)
            return CurrentNote(rel_path, note_title(rel_path or "Draft"), [h.text for h in parsed.headings],
                               parsed.tags, parsed.frontmatter)
        row = self.index.note(rel_path) if rel_path else None
        if row:
            return CurrentNote(rel_path, row.title, [h["text"] for h in row.headings], row.tags, row.frontmatter)
        return CurrentNote(rel_path, note_title(rel_path) if rel_path else "Draft", [], [], {})

    # --- context -----------------------------------------------------------------------------
    def _stable_for(self, current: CurrentNote, count: Callable[[str], int], budget: Budget) -> _StableEntry:
        """The stable prefix sections for a note, cached until the note's outline, the author's
        writing or the settings change, or the note is reopened (`refresh`)."""
        neighbours = sorted(set(self.index.outgoing(current.path) + self.index.backlinks(current.path))) if current.path else []
        profile, style_key = self._prefix_style()
        fingerprint = json.dumps([current.title, list(current.headings), list(current.tags), current.frontmatter,
                                  neighbours, style_key, self.index.rewrite_count(), budget.n_ctx, budget.max_new_tokens,
                                  self.settings.author_name, self.settings.profile_note], sort_keys=True, default=str)
        key = hashlib.sha1(fingerprint.encode()).hexdigest()
        entry = self._stable.get(current.path or "")
        if entry and entry.key == key:
            return entry
        topic = query_terms(current.title, " ".join(current.headings), " ".join(current.tags))
        exclude = [current.path] if current.path else []
        rewrites = self.rewrite_exemplars()
        scores = salience(self.index, self.settings.half_life_days)
        sections = [
            participatory_section(self.index, configured_name=self.settings.author_name,
                                  profile_note=self.settings.profile_note, topic_terms=topic,
                                  current_frontmatter=current.frontmatter, exclude_paths=exclude),
            procedural_section(self.index, profile, topic, exclude_paths=exclude, extra_exemplars=rewrites),
            perspectival_section(self.index, current, scores, half_life_days=self.settings.half_life_days,
                                 open_paths=list(self.buffers)),
        ]
        author = author_name(self.index, self.settings.author_name,
                             find_profile_note(self.index, self.settings.profile_note))
        fitted = fit_stable(sections, budget, count)
        exemplars = [i.text for f in fitted if f.name == "procedural" for i in f.kept if i.label in ("exemplar", "rewrite")]
        # What the vault says about the note's topic, and its linked notes, is per note as well:
        # it joins the prefix (warmed on open), so a request evaluates only its own few passages.
        pinned = fit_pinned(propositional_section(self.index, topic, current_path=current.path, salience=scores),
                            budget, count)
        entry = _StableEntry(key, author, sections, fitted, demo_pairs(exemplars), pinned)
        self._stable[current.path or ""] = entry
        return entry

    def _prefix_style(self) -> tuple[Profile, str]:
        """What the prefix shows of the author's style: the style card. Typing in a written note
        bumps `written_version` at every pause, but the card (rounded figures, phrases) rarely
        moves, and only a real change may cost every note its KV-cached prefix (~9 s to refill).
        The profile is the last one built (rebuilt in the background), so no request waits."""
        profile = self.profiles.peek(self.index) or self.profile()
        return profile, hashlib.sha1("\n".join(style_card(profile)).encode()).hexdigest()

    def refresh(self, rel_path: str | None) -> None:
        """Forget a note's cached prefix (on open): its perspective is recomputed next time."""
        self._stable.pop(rel_path or "", None)

    def refresh_all(self) -> None:
        self._stable.clear()

    def notes_changed(self, paths: list[str]) -> None:
        """Notes changed in the index (the watcher): forget the cached prefixes that show one of
        them. A note's own outline, its links and the author's style are in the cache key already."""
        changed = set(paths)
        for key, entry in list(self._stable.items()):
            shown = [*entry.fitted, entry.pinned] if entry.pinned else entry.fitted  # the note's passages too
            if any(item.source in changed for fitted in shown for item in fitted.kept if item.source != key):
                self._stable.pop(key, None)

    def rewrite_exemplars(self) -> list[Item]:
        """The author's rewrites of penna's drafts, and the words they keep cutting."""
        if not self.settings.learn_from_rewrites:
            return []
        items = rewrite_items(self.index)
        avoid = avoid_words(self.index)
        if avoid:
            items.insert(0, Item("Words I cut from drafts: " + ", ".join(avoid), None, "written", "avoid"))
        return items

    def avoid_list(self) -> list[str]:
        return avoid_words(self.index) if self.settings.learn_from_rewrites else []

    def record_rewrite(self, rel_path: str, generated: str, final: str) -> bool:
        if not self.settings.learn_from_rewrites:
            return False
        return store_rewrite(self.index, rel_path, generated, final)

    def context(self, rel_path: str | None, kind: TaskKind, text: str) -> AssembledContext:
        count, exact = self.counter()
        fit = fitting_counter(self._model, count)  # a model server: estimates, then one exact count
        budget, notes = window(self._model, self.settings.n_ctx, self.settings.max_tokens)
        current = self.current_note(rel_path)
        stable = self._stable_for(current, fit, budget)
        # The request's own passages: few, and after the note's, so only they and the task are new;
        # searched on the request's rarer words (the note's topic words are pinned already).
        topic = query_terms(current.title, " ".join(current.headings), " ".join(current.tags))
        late = propositional_section(self.index, rare_terms(self.index, query_terms(text), exclude=topic),
                                     current_path=rel_path, salience=self._salience(), linked=False)
        context = assemble(author=stable.author, stable=stable.fitted, propositional=late, pinned=stable.pinned,
                           task=budget_tail(kind, current.title, text, demo=stable.demo), budget=budget, count=fit,
                           exact=exact)
        context.estimate_reason = "" if exact else estimate_reason(self._model)
        context.demo = stable.demo  # not looked up again later: the watcher may drop the cached entry meanwhile
        return leave_room(context, count, notes)  # never truncated silently: a shorter answer is said

    def _salience(self) -> dict[str, float]:
        """Salience for ranking a request's passages, recomputed at most every SALIENCE_TTL
        seconds: it decays over days, and on a large vault it costs ~15 ms a request."""
        now = time.monotonic()
        latest = self.index.latest_change()
        cached = self._salience_cache
        if cached is None or now - cached[0] > SALIENCE_TTL or cached[1] != latest:
            cached = self._salience_cache = (now, latest, salience(self.index, self.settings.half_life_days))
        return cached[2]

    def all_sections(self, rel_path: str | None) -> list[Section]:
        """The unfitted sections behind a note's stable prefix (for the context viewer)."""
        entry = self._stable.get(rel_path or "")
        return entry.sections if entry else []

    # --- writing -----------------------------------------------------------------------------
    def warm(self, rel_path: str | None, cancel: CancelToken | None = None) -> GenerationStats:
        """Evaluate the note's stable prefix now, so the first action on it starts fast."""
        model = self.model(cancel)
        count, _exact = self.counter()
        current = self.current_note(rel_path)
        stable = self._stable_for(current, fitting_counter(self._model, count),
                                  window(self._model, self.settings.n_ctx, self.settings.max_tokens)[0])
        return model.warm(stable_prefix(stable.author, stable.fitted, stable.pinned), cancel)

    def generate(self, kind: TaskKind, rel_path: str | None, text: str, *, variants: int = 1,
                 cancel: CancelToken | None = None, on_text: Callable[[int, str], None] | None = None,
                 candidates: int = 1, seed: int | None = None) -> Generation:
        if not text.strip():
            raise ValueError("nothing to write from: the selection is empty")
        if kind != "continue" and not notes_for(kind, text):
            raise ValueError("no bullets or sentences found in the selection")
        if cancel is not None and cancel.cancelled:  # cancelled while queued: nothing to do
            raise Cancelled()
        model = self.model(cancel)
        context = self.context(rel_path, kind, text)
        if cancel is not None and cancel.cancelled:  # cancelled while assembling: stop before the model
            raise Cancelled()
        title = self.current_note(rel_path).title
        exemplars = [i.text for s in context.sections if s.name == "procedural" for i in s.kept if i.label == "exemplar"]
        # The last profile built, as the prefix uses: typing moves the author's writing at every
        # pause, and a rebuild here would cost seconds before the first word on a large vault.
        style = (self.profiles.peek(self.index) or self.profile()).style
        base_seed = self.settings.seed if seed is None else seed
        texts: list[str] = []
        stats: list[GenerationStats] = []
        for number in range(max(1, variants)):
            request = TaskRequest(kind, text, title, demo=context.demo,
                                  max_tokens=context.budget.max_new_tokens,  # maxTokens, or less to fit (noted)
                                  temperature=self.settings.temperature + (0.15 * number if variants > 1 else 0.0),
                                  seed=base_seed + 101 * number if base_seed >= 0 else -1, candidates=candidates,
                                  variant=number)
            progress = (lambda partial, n=number: on_text(n, partial)) if on_text else None
            if model.is_chat:
                result: TaskResult = run_chat(model, context, request, cancel=cancel, on_text=progress)
            elif kind == "continue":
                result = run_continue(model, context.body, request, cancel=cancel, on_text=progress)
            else:
                result = run_sentences(model, context.body, request, notes_for(kind, text), profile=style,
                                       exemplars=exemplars, cancel=cancel, on_text=progress, avoid=self.avoid_list())
            texts.append(result.text)
            stats.extend(result.stats)
        return Generation(texts, context, stats)

