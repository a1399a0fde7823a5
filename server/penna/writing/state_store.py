"""Long prompt evaluations kept on disk, so that a restarted editor starts warm.

Opening a note evaluates its stable prefix (about 1,300 tokens on the sample vault: 3 s on two
cores, 9 s for a 2,000-token prompt) and keeps llama.cpp's state in memory. That state was lost
when the server stopped, so the first action on a note after every restart paid for it again.
The model now writes the state of a prompt it evaluated from (nearly) the start, cold, to the
user cache (`DISK_SAVE_MIN` in `writing/model.py`), about 18 KB per token on the default model,
and a later server loads it in milliseconds. Loading gives back the evaluated cells, though llama.cpp
may lay them out in another order in its cache: sums then differ in the last bits, and a near-tie
between two fillings can fall the other way, as with another thread count. The command line does
not use the store, so the same command writes the same text.

A file is used only by the same model file, context size and llama.cpp version (the folder is
named by their fingerprint), and only if its checksums hold (the data's sha1, and the file's
name for its tokens); a damaged file, or one llama.cpp refuses, is deleted and the prompt is
evaluated as usual. The store keeps the `MAX_FILES` most recently used states and at most
`MAX_BYTES` in all, over every model's folder. Nothing here can stop a generation: a disk that
cannot be written or read only costs the time the store would have saved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import struct
import tempfile
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"PENNAKV1"
MAX_FILES = 8
MAX_BYTES = 400 * 1024 * 1024  # eight 2,000-token prefixes of the default model fit
MIN_GAIN = 64  # tokens a stored state must cover beyond what is cached already to be worth loading
SUFFIX = ".kv"
FINGERPRINT = re.compile(r"[0-9a-f]{16}")  # a model folder's name (`fingerprint`)
STALE_WRITE_NS = 3600 * 10**9  # a temporary file this old is a write that never finished


@dataclass(frozen=True)
class StoredState:
    path: Path
    tokens: tuple[int, ...]
    size: int  # bytes of llama.cpp state data
    digest: str  # sha1 of the data
    offset: int  # where the data starts in the file


def fingerprint(model_path: Path, n_ctx: int, runtime: str) -> str:
    """What a state depends on: the model file (path, size, modification time), the context
    size and the llama.cpp build."""
    stat = model_path.stat()
    key = json.dumps([str(model_path.resolve()), stat.st_size, stat.st_mtime_ns, n_ctx, runtime])
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def file_name(tokens: Sequence[int]) -> str:
    return hashlib.sha1(array("i", tokens).tobytes()).hexdigest()[:24] + SUFFIX


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class StateStore:
    """The states of one model at one context size, in `folder` (created when first written)."""

    def __init__(self, folder: Path, *, max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES) -> None:
        self.folder = folder
        self.max_files = max_files
        self.max_bytes = max_bytes
        self._headers: dict[Path, tuple[int, StoredState | None]] = {}  # by file, with its mtime

    @classmethod
    def for_model(cls, root: Path, model_path: Path, n_ctx: int) -> StateStore | None:
        """The store under `root` for this model, or None when the model file cannot be read."""
        import llama_cpp

        try:
            return cls(root / fingerprint(model_path, n_ctx, str(getattr(llama_cpp, "__version__", "?"))))
        except OSError:
            return None

    def save(self, tokens: Sequence[int], data: bytes) -> None:
        """Write one state (atomically: a reader sees the old file or the new one), then drop the
        least recently used beyond the limits, over every model's folder."""
        if len(data) > self.max_bytes:
            return  # a state larger than the whole store (a large model's long prompt): not kept
        target = self.folder / file_name(tokens)
        try:
            if target.is_file():  # kept already (loaded from here, or another server wrote it)
                _touch(target)
                return
            digest = hashlib.sha1(data).hexdigest()
            header = json.dumps({"tokens": len(tokens), "size": len(data), "sha1": digest}).encode()
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".writing-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(MAGIC + struct.pack("<I", len(header)) + header)
                    out.write(array("i", tokens).tobytes())
                    out.write(data)
                os.replace(temporary, target)
            except BaseException:
                _remove(Path(temporary))
                raise
            self._evict()
        except OSError as error:
            log.warning("could not keep the evaluated prompt on disk (%s): the next start evaluates it again", error)

    def best(self, tokens: Sequence[int], covered: int) -> tuple[StoredState, int] | None:
        """The stored state sharing the longest prefix with `tokens`, if it covers at least
        `MIN_GAIN` tokens more than `covered` (what is cached already), with that length."""
        found: tuple[StoredState, int] | None = None
        for state in self._states():
            shared = common_prefix(state.tokens, tokens)
            if shared >= covered + MIN_GAIN and (found is None or shared > found[1]):
                found = (state, shared)
        return found

    def read(self, state: StoredState) -> bytes | None:
        """The state's data if its checksum holds; a damaged file is deleted."""
        try:
            with state.path.open("rb") as source:
                source.seek(state.offset)
                data = source.read(state.size)
        except OSError:
            return None
        if len(data) != state.size or hashlib.sha1(data).hexdigest() != state.digest:
            log.warning("a kept prompt state is damaged (%s): deleted", state.path.name)
            self.discard(state)
            return None
        _touch(state.path)  # recently used: kept longest (a read-only store is still read)
        self._headers.pop(state.path, None)  # its modification time moved: read its header again
        return data

    def discard(self, state: StoredState) -> None:
        """Delete a state that is damaged or that llama.cpp refused."""
        _remove(state.path)
        self._headers.pop(state.path, None)

    def _states(self) -> list[StoredState]:
        try:
            files = [f for f in self.folder.iterdir() if f.suffix == SUFFIX]
        except OSError:
            return []
        for gone in set(self._headers) - set(files):  # deleted by another server's eviction
            del self._headers[gone]
        found = []
        for file in files:
            try:
                mtime = file.stat().st_mtime_ns
            except OSError:
                continue
            known = self._headers.get(file)
            if known is None or known[0] != mtime:
                known = (mtime, _read_header(file))
                self._headers[file] = known
            if known[1] is not None:
                found.append(known[1])
        return found

    def _evict(self) -> None:
        """Keep the `max_files` most recently used states and `max_bytes` in all, counted over the
        folders of every model and context size (a folder left by an upgrade empties in time)."""
        root = self.folder.parent
        files = []
        now = time.time_ns()
        for file in (f for folder in _model_folders(root) for f in folder.iterdir()):
            try:
                stat = file.stat()
            except OSError:
                continue
            if file.suffix == SUFFIX:
                files.append((stat.st_mtime_ns, stat.st_size, file))
            elif file.name.startswith(".writing-") and now - stat.st_mtime_ns > STALE_WRITE_NS:
                _remove(file)  # a write a killed process left half done
        files.sort(reverse=True)  # newest first
        total = kept = 0
        for _mtime, size, file in files:
            if kept < self.max_files and total + size <= self.max_bytes:
                total, kept = total + size, kept + 1
                continue
            _remove(file)
            self._headers.pop(file, None)
        for folder in _model_folders(root):
            if folder != self.folder and not any(folder.iterdir()):
                try:
                    folder.rmdir()
                except OSError:
                    pass


def _model_folders(root: Path) -> list[Path]:
    """The store's folders under `root`, one per fingerprint: nothing else there is penna's."""
    try:
        return [f for f in root.iterdir() if FINGERPRINT.fullmatch(f.name) and f.is_dir()]
    except OSError:
        return []


def _touch(file: Path) -> None:
    try:
        os.utime(file)
    except OSError:
        pass


def _remove(file: Path) -> None:
    try:
        file.unlink(missing_ok=True)
    except OSError as error:  # a folder penna may read but not write: the file stays, unused or not
        log.warning("could not delete %s (%s)", file.name, error)


def _read_header(file: Path) -> StoredState | None:
    """A state file's header and tokens, or None (and the file deleted) if it is not one."""
    try:
        with file.open("rb") as source:
            head = source.read(len(MAGIC) + 4)
            if len(head) < len(MAGIC) + 4 or head[: len(MAGIC)] != MAGIC:
                raise ValueError("not a state file")
            (length,) = struct.unpack("<I", head[len(MAGIC):])
            header = json.loads(source.read(length))
            count, size, digest = int(header["tokens"]), int(header["size"]), str(header["sha1"])
            tokens = array("i")
            tokens.frombytes(source.read(4 * count))
            if len(tokens) != count or count <= 0 or size <= 0:
                raise ValueError("truncated")
            if file_name(tokens) != file.name:
                raise ValueError("its tokens are not the ones it is named for")
            return StoredState(file, tuple(tokens), size, digest, len(MAGIC) + 4 + length + 4 * count)
    except OSError:
        return None
    except (ValueError, KeyError, TypeError, struct.error):
        log.warning("%s is not a prompt state penna can read: deleted", file.name)
        _remove(file)
        return None
