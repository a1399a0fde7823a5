"""Specification of following a generated span through the author's edits."""

from __future__ import annotations

from penna.lsp.tracking import RewriteTracker, TrackedSpan, shift


class FakeEngine:
    def __init__(self) -> None:
        self.stored: list[tuple[str, str, str]] = []

    def record_rewrite(self, rel: str, generated: str, final: str) -> bool:
        self.stored.append((rel, generated, final))
        return True


def test_edits_before_the_span_shift_it_and_after_leave_it() -> None:
    span = TrackedSpan("n.md", None, "Draft.", 10, 16)
    shift(span, "0123456789Draft.tail", "XX0123456789Draft.tail")
    assert (span.start, span.end, span.edited) == (12, 18, False)
    shift(span, "XX0123456789Draft.tail", "XX0123456789Draft.tail and more")
    assert (span.start, span.end, span.edited) == (12, 18, False)


def test_edits_inside_the_span_grow_it_and_mark_it_edited() -> None:
    span = TrackedSpan("n.md", None, "It is very slow.", 4, 20)
    shift(span, "Hi. It is very slow. Bye", "Hi. It is slow, honestly. Bye")
    assert span.edited and "Hi. It is slow, honestly. Bye"[span.start:span.end] == "It is slow, honestly."


def test_tracker_stores_the_final_text_on_save_only_when_edited() -> None:
    engine = FakeEngine()
    tracker = RewriteTracker()
    tracker.changed("u", "# T\n\n- a\n- b\n")
    tracker.expect("u", "n.md", engine, "Generated words, furthermore.")
    tracker.changed("u", "# T\n\nGenerated words, furthermore.\n")
    assert tracker.saved("u", "# T\n\nGenerated words, furthermore.\n") == 0  # untouched: nothing learned
    tracker.changed("u", "# T\n\nMy words.\n")
    assert tracker.saved("u", "# T\n\nMy words.\n") == 1
    assert engine.stored == [("n.md", "Generated words, furthermore.", "My words.")]
