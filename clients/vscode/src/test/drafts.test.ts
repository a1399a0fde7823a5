// Drafts: streamed text, the preview line, where accepting writes, and stitching variants.
import assert from "node:assert/strict";
import { test } from "node:test";
import { acceptPlan, Drafts, previewLine, stitch, stitchChoices, stitchPositions } from "../drafts";

const NOTE = "# Walks\n\n- the dog sets the pace\n- cold hands\n\nAfter.";
const RANGE = { start: { line: 2, character: 0 }, end: { line: 3, character: 12 } };
const ORIGINAL = "- the dog sets the pace\n- cold hands";

function textAt(text: string) {
  return (r: typeof RANGE) => {
    const lines = text.split("\n");
    if (r.start.line === r.end.line) {
      return lines[r.start.line].slice(r.start.character, r.end.character);
    }
    return [lines[r.start.line].slice(r.start.character), ...lines.slice(r.start.line + 1, r.end.line), lines[r.end.line].slice(0, r.end.character)].join("\n");
  };
}

function finished(text = "The dog sets the pace.") {
  const drafts = new Drafts();
  const draft = drafts.start("file:///v/Walks.md", "expand", RANGE);
  drafts.update({ draftId: draft.id, uri: draft.uri, variant: 0, variants: 1, range: RANGE, text: "The dog" });
  assert.equal(draft.partials[0], "The dog");
  assert.ok(drafts.finish(draft, { applied: false, text, range: RANGE, version: 3, original: ORIGINAL }));
  return { drafts, draft };
}

test("a draft grows from notifications of its own id only, and stops growing once answered", () => {
  const drafts = new Drafts();
  const draft = drafts.start("file:///v/a.md", "rephrase", RANGE);
  assert.equal(drafts.update({ draftId: "other", uri: draft.uri, variant: 0, variants: 1, range: RANGE, text: "x" }), undefined);
  drafts.update({ draftId: draft.id, uri: draft.uri, variant: 0, variants: 1, range: RANGE, text: "Growing" });
  assert.match(previewLine(draft), /Growing\s+— penna is writing… Esc cancels/);
  drafts.finish(draft, { applied: false, text: "Done.", range: RANGE, version: 1, original: ORIGINAL });
  assert.equal(drafts.update({ draftId: draft.id, uri: draft.uri, variant: 0, variants: 1, range: RANGE, text: "late" }), undefined);
  assert.match(previewLine(draft), /^Done\.\s+— Tab accepts · Esc cancels$/);
});

test("a refused answer (no range) cannot be previewed: the caller keeps its text", () => {
  const drafts = new Drafts();
  const draft = drafts.start("file:///v/a.md", "rephrase", RANGE);
  assert.equal(drafts.finish(draft, { applied: false, text: "Kept.", message: "the text changed while writing" }), false);
  assert.equal(drafts.get(draft.uri), undefined);
});

test("accepting writes over the unchanged notes", () => {
  const { draft } = finished();
  assert.deepEqual(acceptPlan(draft, 3, NOTE, textAt(NOTE)), { kind: "apply", range: RANGE, text: "The dog sets the pace." });
});

test("typing above the notes moves them: the notes are found again and replaced there", () => {
  const { draft } = finished();
  const moved = "# Walks\nnew line\n\n" + NOTE.slice("# Walks\n\n".length);
  const plan = acceptPlan(draft, 5, moved, textAt(moved));
  assert.deepEqual(plan, { kind: "apply", range: { start: { line: 3, character: 0 }, end: { line: 4, character: 12 } }, text: "The dog sets the pace." });
});

test("notes edited under the draft: nothing is written, the text is kept", () => {
  const { draft } = finished();
  const edited = NOTE.replace("cold hands", "cold, cold hands");
  const plan = acceptPlan(draft, 5, edited, textAt(edited));
  assert.equal(plan.kind, "keep");
  assert.ok(plan.kind === "keep" && plan.text === "The dog sets the pace." && /changed/.test(plan.why));
});

test("stitching: one choice per source and a way to leave a sentence out; the text follows the picks", () => {
  const sentences = { note: ["Mine one.", "Mine two."], variants: [["A one.", "A two.", "A three."], ["B one."], []] };
  assert.equal(stitchPositions(sentences), 3);
  const first = stitchChoices(sentences, 0);
  assert.deepEqual(first.map((c) => c.source), [0, 1, 2, -1]);
  assert.match(first[2].label, /^variant 2: B one\.$/);
  const third = stitchChoices(sentences, 2);
  assert.deepEqual(third.map((c) => c.source), [1, -1]);
  const picks = [first[2], stitchChoices(sentences, 1)[0], third[1]];
  const stitched = stitch(picks, ["A one. A two. A three.", "B one.", ""]);
  assert.equal(stitched.text, "B one. Mine two.");
  assert.equal(stitched.generated, "B one.");
});
