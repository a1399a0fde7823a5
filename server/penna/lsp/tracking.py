"""Following inserted drafts through the author's edits (the state behind learning from
rewrites; features/rewrites.py feeds it document events, the actions feed it drafts).

Spans are followed by diffing each new buffer against the previous one (common prefix and
suffix), which works whatever the client's change format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from penna.engine import Engine


@dataclass
class TrackedSpan:
    rel: str
    engine: Engine
    generated: str
    start: int = -1  # -1 until the inserted text is seen in the buffer
    end: int = -1
    edited: bool = False


def shift(span: TrackedSpan, old: str, new: str) -> None:
    """Move or grow `span` for the change that turned `old` into `new`."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    old_end, new_end, delta = len(old) - suffix, len(new) - suffix, len(new) - len(old)
    if old_end <= span.start:  # before the span (an insertion exactly at its start is too)
        span.start += delta
        span.end += delta
    elif prefix >= span.end:  # after it
        return
    else:  # the author edited the draft itself
        span.start = min(span.start, prefix)
        span.end = max(span.end + delta, new_end)
        span.edited = True


class RewriteTracker:
    def __init__(self) -> None:
        self.spans: dict[str, list[TrackedSpan]] = {}
        self.texts: dict[str, str] = {}

    def expect(self, uri: str, rel: str, engine: Engine, generated: str) -> None:
        if generated.strip():
            self.spans.setdefault(uri, []).append(TrackedSpan(rel, engine, generated))

    def changed(self, uri: str, text: str) -> None:
        old = self.texts.get(uri)
        self.texts[uri] = text
        for span in self.spans.get(uri, []):
            if span.start < 0:
                if text.count(span.generated) == 1:  # the edit has just been applied
                    span.start = text.index(span.generated)
                    span.end = span.start + len(span.generated)
            elif old is not None and old != text:
                shift(span, old, text)

    def saved(self, uri: str, text: str) -> int:
        """Store every edited draft of this document; returns how many were stored."""
        stored = 0
        keep = []
        for span in self.spans.get(uri, []):
            if span.start < 0:
                keep.append(span)
                continue
            if span.edited and span.engine.record_rewrite(span.rel, span.generated, text[span.start:span.end].strip()):
                stored += 1
            elif not span.edited:
                keep.append(span)
        self.spans[uri] = keep
        return stored

    def closed(self, uri: str) -> None:
        self.spans.pop(uri, None)
        self.texts.pop(uri, None)
