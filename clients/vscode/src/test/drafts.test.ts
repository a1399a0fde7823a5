// Drafts: streamed text, the preview line, where accepting writes, and stitching variants.
import assert from "node:assert/strict";
import { test } from "node:test";
import { acceptPlan, Drafts, previewLine, stitch, StitchChoice, stitchChoices, stitchPicks, stitchPositions } from "../drafts";

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

test("stitching: one choice per distinct sentence and a way to leave a sentence out; the text follows the picks", () => {
  const sentences = {
    note: ["Mine one.", "Mine two."],
    variants: [["A one.", "A two.", "A three."], ["B one.", "B two."], ["C one."]],
  };
  assert.equal(stitchPositions(sentences), 3);
  const first = stitchChoices(sentences, 0);
  assert.deepEqual(first.map((c) => c.source), [0, 1, 2, 3, -1]);
  assert.deepEqual(first.map((c) => c.label), [
    "your note: Mine one.", "variant 1: A one.", "variant 2: B one.", "variant 3: C one.", "(leave this sentence out)",
  ]);
  const second = stitchChoices(sentences, 1);
  assert.deepEqual(second.map((c) => c.source), [0, 1, 2, -1]);
  // Only variant 1 has a third sentence: nothing to choose between, so it is taken.
  const third = stitchChoices(sentences, 2);
  assert.deepEqual(third.map((c) => [c.text, c.source, c.agreed]), [["A three.", 0, true]]);
  const picks = [first[2], second[0], second[3]];
  const stitched = stitch(picks, ["A one. A two. A three.", "B one. B two.", "C one."]);
  assert.equal(stitched.text, "B one. Mine two.");
  assert.equal(stitched.generated, "B one. B two.");
});

const THREE = ["I tried it. It worked.", "I tried it. It held.", "I tried it. It worked."];
const THREE_SENTENCES = {
  note: ["- tried it", "It worked."],
  variants: [["I tried it.", "It worked."], ["I tried it.", "It held."], ["I tried it.", "It worked."]],
};

/** The stitch with `answer` picking at each question; the questions asked, and the result. */
async function stitchWith(sentences: typeof THREE_SENTENCES, variants: string[],
  answer: (choices: StitchChoice[]) => StitchChoice | undefined) {
  const asked: { position: number; positions: number; labels: string[] }[] = [];
  const picks = await stitchPicks(sentences, (choices, position, positions) => {
    asked.push({ position, positions, labels: choices.map((c) => c.label) });
    return Promise.resolve(answer(choices));
  });
  return { asked, picks, stitched: picks && stitch(picks, variants) };
}

test("stitching: a sentence every variant has is taken without asking, and counts for no variant", async () => {
  const { asked, picks, stitched } = await stitchWith(THREE_SENTENCES, THREE, (choices) => choices.find((c) => c.source === 2));
  assert.deepEqual(asked.map((a) => [a.position, a.positions]), [[1, 2]]);
  assert.deepEqual(picks?.map((p) => [p.text, p.source, p.agreed ?? false]), [["I tried it.", 0, true], ["It held.", 2, false]]);
  assert.equal(stitched?.text, "I tried it. It held.");
  assert.equal(stitched?.generated, THREE[1]); // variant 2 had the one vote; the agreed sentence had none
});

test("stitching: two variants agreeing are one choice labelled with both, and picking it votes for the first", async () => {
  const sentences = { note: ["- tried it", "- it held"], variants: THREE_SENTENCES.variants };
  const choices = stitchChoices(sentences, 1);
  assert.deepEqual(choices.map((c) => c.label), [
    "your note: - it held", "variants 1, 3: It worked.", "variant 2: It held.", "(leave this sentence out)",
  ]);
  assert.deepEqual(choices.map((c) => c.sources), [[0], [1, 3], [2], []]);
  const { asked, stitched } = await stitchWith(sentences, THREE, (cs) => cs.find((c) => c.sources.includes(3)));
  assert.equal(asked.length, 1);
  assert.equal(stitched?.text, "I tried it. It worked.");
  assert.equal(stitched?.generated, THREE[0]);
  // Two of three variants agree, and the note has none of their sentences: its own, three choices.
  const [onlyTwo] = await stitchWith({ note: [], variants: [["X."], ["X."], ["Y."]] }, ["X.", "X.", "Y."], (cs) => cs[0])
    .then((r) => r.asked);
  assert.deepEqual(onlyTwo.labels, ["variants 1, 2: X.", "variant 3: Y.", "(leave this sentence out)"]);
});

test("stitching: the note's sentence, when a variant has it, is merged into that variant's choice", async () => {
  const choices = stitchChoices(THREE_SENTENCES, 1);
  assert.deepEqual(choices.map((c) => c.label), [
    "your note, variants 1, 3: It worked.", "variant 2: It held.", "(leave this sentence out)",
  ]);
  assert.deepEqual(choices.map((c) => c.source), [1, 2, -1]); // a vote for the lowest variant in it
  const { stitched } = await stitchWith(THREE_SENTENCES, THREE, (cs) => cs[0]);
  assert.equal(stitched?.text, "I tried it. It worked.");
  assert.equal(stitched?.generated, THREE[0]);
  // Leaving the sentence out is still there, and stopping stops.
  assert.equal((await stitchWith(THREE_SENTENCES, THREE, (cs) => cs[cs.length - 1])).stitched?.text, "I tried it.");
  assert.equal((await stitchWith(THREE_SENTENCES, THREE, () => undefined)).picks, undefined);
});

test("stitching: when all variants are the same, nothing is asked and their text is the result", async () => {
  const same = "I tried it. It worked.\n\nThen I stopped.";
  const sentences = { note: ["- tried it"], variants: [0, 1, 2].map(() => ["I tried it.", "It worked.", "Then I stopped."]) };
  const { asked, stitched } = await stitchWith(sentences, [same, same, same], () => assert.fail("asked"));
  assert.deepEqual(asked, []);
  assert.deepEqual(stitched, { text: same, generated: same });
});
