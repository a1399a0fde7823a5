"""Nothing lost: a hypothesis state machine interleaves the user's edits with generations that
start, get cancelled, and land, driving the real targeting and re-anchoring code
(`penna.lsp.edits`) exactly as `actions.perform` does.

The test tracks each generation's target through every edit, as an editor tracks a marker,
and checks after every step:
- an applied result replaces only text equal to the original target (never newer text);
- when the target survived untouched, the result lands exactly on it;
- when the target is gone or ambiguous, the result is refused, or it lands on the one
  remaining copy of the identical text (the user moved it);
- a target that survived and is unique is never refused (the re-anchoring is not just "refuse").

`PENNA_FUZZ_EXAMPLES` raises the example count for a longer run (see docs/reliability.md).
The real-server counterpart is tests/e2e/test_lsp_server.py::test_typing_during_generation_reanchors_or_refuses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from penna.lsp.edits import Span, _occurrences, find_target, reanchor

EXAMPLES = int(os.environ.get("PENNA_FUZZ_EXAMPLES", "150"))
LINES = ["- a", "- b", "- ab", "  - a", "a b.", "b a.", "ab", "", "", "# h"]
ACTIONS = ["expand", "rephrase", "continue", "variants"]
CONTEXT = 80  # what reanchor anchors an insertion point on


@dataclass
class Pending:
    original: str
    span: Span
    start: int  # the target tracked through edits, as an editor's marker
    end: int
    context_start: int  # for insertion points: the anchoring text before them
    intact: bool = True

    @property
    def needle(self) -> str:
        return self.span.text(self.original)

    def shift(self, edit_start: int, edit_end: int, inserted: int) -> None:
        """Follow one edit (replace [edit_start, edit_end) with `inserted` characters)."""
        if not self.intact:
            return
        low = self.start if self.needle else self.context_start
        delta = inserted - (edit_end - edit_start)
        if edit_end <= low and not (edit_start == edit_end == low and not self.needle and low == self.start):
            self.start, self.end, self.context_start = self.start + delta, self.end + delta, self.context_start + delta
        elif edit_start >= self.end:
            pass  # after the target (typing right after an insertion point leaves it before the typing)
        else:
            self.intact = False


class EditsDuringGenerations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.doc = ""
        self.pending: list[Pending] = []
        self.applied = 0
        self.refused = 0

    @initialize(lines=st.lists(st.sampled_from(LINES), min_size=1, max_size=12))
    def start(self, lines: list[str]) -> None:
        self.doc = "\n".join(lines) + "\n"

    def _edit(self, start: int, end: int, text: str) -> None:
        self.doc = self.doc[:start] + text + self.doc[end:]
        for job in self.pending:
            job.shift(start, end, len(text))

    @rule(data=st.data(), action=st.sampled_from(ACTIONS), selection=st.booleans())
    def start_generation(self, data: st.DataObject, action: str, selection: bool) -> None:
        a = data.draw(st.integers(0, len(self.doc)))
        b = data.draw(st.integers(a, len(self.doc))) if selection else a
        target = find_target(self.doc, action, a, b)  # type: ignore[arg-type]
        if target is None:
            return
        span, _shape = target
        assert 0 <= span.start <= span.end <= len(self.doc)
        self.pending.append(Pending(self.doc, span, span.start, span.end, max(0, span.start - CONTEXT)))

    @rule(data=st.data(), text=st.text(alphabet="ab -\n.", max_size=6))
    def user_types(self, data: st.DataObject, text: str) -> None:
        start = data.draw(st.integers(0, len(self.doc)))
        end = data.draw(st.integers(start, min(len(self.doc), start + 8)))
        self._edit(start, end, text)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        before = self.doc
        self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        assert self.doc == before  # a cancelled generation never touches the text

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def generation_lands(self, data: st.DataObject) -> None:
        job = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        result = reanchor(job.original, job.span, self.doc)
        needle = job.needle
        context = job.original[max(0, job.span.start - CONTEXT):job.span.start]
        anchor = needle or context
        findable = (job.intact and bool(anchor) and len(_occurrences(job.original, anchor)) == 1
                    and len(_occurrences(self.doc, anchor)) == 1)
        if result is None:
            self.refused += 1
            assert not findable, "a surviving, unique target was refused"
            return
        assert 0 <= result.start <= result.end <= len(self.doc)
        if needle:
            assert self.doc[result.start:result.end] == needle, "the edit would overwrite newer text"
            # The target was edited or moved: only its one identical copy may take it. (A document
            # back to exactly the text the job started from, e.g. a span replaced by the same text,
            # is the job's own document: its span is right.)
            if not job.intact and self.doc != job.original:
                assert len(_occurrences(self.doc, needle)) == 1, "landed on one of several copies"
        else:
            assert result.start == result.end
            assert self.doc[result.start - len(context):result.start] == context
        if job.intact:
            assert (result.start, result.end) == (job.start, job.end), "landed beside the target"
        self.applied += 1
        self._edit(result.start, result.end, "XYZ")  # the generated text replaces exactly the span

    @invariant()
    def markers_stay_inside_the_document(self) -> None:
        for job in self.pending:
            if job.intact:
                assert 0 <= job.start <= job.end <= len(self.doc)
                assert self.doc[job.start:job.end] == job.needle


EditsDuringGenerations.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_edits_during_generations = EditsDuringGenerations.TestCase


def test_a_deleted_target_never_lands_on_its_duplicate() -> None:
    original = "- a\n- b\n\n- a\n- b\n"
    span = Span(0, 7)
    assert reanchor(original, span, "\n- a\n- b\n") is None  # the user deleted the first copy


def test_overlapping_copy_created_by_typing_is_not_mistaken_for_the_target() -> None:
    # str.count("aba") sees one match in "x ababa"; there are two, and the first is not the target.
    assert reanchor("x aba", Span(2, 5), "x ababa") is None


def test_unchanged_document_keeps_the_span_and_typing_elsewhere_moves_it() -> None:
    original = "# t\n\n- one\n- two\n"
    span = Span(5, 16)
    assert reanchor(original, span, original) == span
    assert reanchor(original, span, "new line\n" + original) == Span(14, 25)
