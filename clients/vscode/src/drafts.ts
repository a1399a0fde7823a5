// Drafts before they enter the note: what the server streams (`penna/draft`), what a preview
// command answers, how variants are stitched, and whether accepting can write the text or must
// keep it elsewhere. Pure (no `vscode` import) so it is unit-tested.

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

/** `penna/draft`: a draft's text so far (one variant's). */
export interface DraftNotification {
  draftId: string;
  uri: string;
  variant: number;
  variants: number;
  range: Range;
  text: string;
}

/** What `penna.<action>` answers with `preview: true` (docs/protocol.md). */
export interface PreviewResult {
  applied: boolean;
  text: string;
  message?: string;
  range?: Range;
  version?: number;
  original?: string;
  variants?: string[];
  sentences?: { note: string[]; variants: string[][] };
}

export interface Draft {
  id: string;
  uri: string;
  action: string;
  range: Range;
  partials: string[];
  result?: PreviewResult;
  /** What accepting writes: the answer, or the stitched variants. */
  text?: string;
  /** What the model wrote, compared with `text` to learn from the writer's choices. */
  generated?: string;
}

export type AcceptPlan = { kind: "apply"; range: Range; text: string } | { kind: "keep"; text: string; why: string };

export class Drafts {
  private readonly byUri = new Map<string, Draft>();
  private counter = 0;

  start(uri: string, action: string, range: Range): Draft {
    this.counter += 1;
    const draft: Draft = { id: `vscode-${process.pid}-${this.counter}`, uri, action, range, partials: [""] };
    this.byUri.set(uri, draft);
    return draft;
  }

  get(uri: string): Draft | undefined {
    return this.byUri.get(uri);
  }

  all(): Draft[] {
    return [...this.byUri.values()];
  }

  /** Apply a `penna/draft` notification; the draft it grew, if it is still showing. */
  update(params: DraftNotification): Draft | undefined {
    const draft = this.byUri.get(params.uri);
    if (!draft || draft.id !== params.draftId || draft.result) {
      return undefined;
    }
    draft.partials[params.variant] = params.text;
    draft.range = params.range;
    return draft;
  }

  /** The command's answer. False when it cannot be previewed (refused: keep its text). */
  finish(draft: Draft, result: PreviewResult): boolean {
    if (this.byUri.get(draft.uri) !== draft) {
      return false;
    }
    if (!result.range) {
      this.byUri.delete(draft.uri);
      return false;
    }
    draft.result = result;
    draft.range = result.range;
    draft.generated = result.text;
    if (result.variants) {
      draft.partials = result.variants;
    } else {
      draft.text = result.text;
    }
    return true;
  }

  remove(draft: Draft): void {
    if (this.byUri.get(draft.uri) === draft) {
      this.byUri.delete(draft.uri);
    }
  }
}

/** The preview as one line for an inline decoration: the last words written, and the keys. */
export function previewLine(draft: Draft, width = 90): string {
  const writing = !draft.result;
  const body = (draft.text ?? draft.partials.filter((p) => p).map((p, i) => (draft.partials.length > 1 ? `(${i + 1}) ${p}` : p)).join("  "))
    .replace(/\s+/g, " ")
    .trim();
  const hint = writing ? "penna is writing… Esc cancels" : "Tab accepts · Esc cancels";
  const room = Math.max(10, width - hint.length - 3);
  const shown = body.length > room ? "…" + body.slice(body.length - room + 1) : body;
  return `${shown}  — ${hint}`;
}

/**
 * Where the accepted text goes. `currentText` is the note now, `textAt(range)` reads it. The
 * range still holding what it held (and, for an insertion point, no edit since) is written;
 * otherwise the original found once elsewhere; otherwise the text is kept for the writer.
 */
export function acceptPlan(draft: Draft, currentVersion: number, currentText: string, textAt: (range: Range) => string): AcceptPlan {
  const result = draft.result;
  const text = draft.text;
  if (!result?.range || text === undefined) {
    return { kind: "keep", text: text ?? draft.partials.join("\n\n"), why: "the draft was not finished" };
  }
  const original = result.original ?? "";
  if (textAt(result.range) === original && (original !== "" || currentVersion === result.version)) {
    return { kind: "apply", range: result.range, text };
  }
  const first = original === "" ? -1 : currentText.indexOf(original);
  if (first >= 0 && currentText.indexOf(original, first + 1) < 0) {
    return { kind: "apply", range: rangeOf(currentText, first, first + original.length), text };
  }
  return { kind: "keep", text, why: "the text under the draft changed, so nothing was replaced" };
}

function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

export function rangeOf(text: string, start: number, end: number): Range {
  return { start: positionOf(text, start), end: positionOf(text, end) };
}

/** A choice for a sentence position: a sentence with every source that has it, or leaving it out. */
export interface StitchChoice {
  label: string;
  /** undefined: leave this sentence out. */
  text?: string;
  /** What learning counts the pick as: k > 0 a vote for variant k (the lowest-numbered variant
   *  with this sentence); 0 no vote (the note's own sentence, or one every variant agrees on);
   *  -1 left out. */
  source: number;
  /** Every source with this sentence: 0 the note, k variant k (none for leaving it out). */
  sources: number[];
  /** Every variant with a sentence at this position has this one: taken without asking. */
  agreed?: boolean;
}

type Sentences = { note: string[]; variants: string[][] };

export function stitchPositions(sentences: Sentences): number {
  return Math.max(sentences.note.length, ...sentences.variants.map((v) => v.length));
}

/** "your note", "variant 2", "variants 1, 3", "your note, variants 1, 3". */
function sourceNames(sources: number[]): string {
  const variants = sources.filter((s) => s > 0);
  const names = sources.includes(0) ? ["your note"] : [];
  if (variants.length > 0) {
    names.push(`${variants.length === 1 ? "variant" : "variants"} ${variants.join(", ")}`);
  }
  return names.join(", ");
}

/** The choices at a sentence position. Where every variant with a sentence there has the same
 *  one, that sentence alone (`agreed`, no vote). Otherwise each distinct sentence once, labelled
 *  with its sources (the note's first, then the variants'), and leaving the sentence out. */
export function stitchChoices(sentences: Sentences, position: number): StitchChoice[] {
  const sources = [sentences.note, ...sentences.variants];
  const choices: StitchChoice[] = [];
  sources.forEach((list, source) => {
    const sentence = list[position];
    if (sentence === undefined) {
      return;
    }
    const same = choices.find((c) => c.text === sentence);
    if (same) {
      same.sources.push(source);
    } else {
      choices.push({ label: "", text: sentence, source: 0, sources: [source] });
    }
  });
  const fromVariants = choices.filter((c) => c.sources.some((s) => s > 0));
  if (fromVariants.length === 1) {
    const agreed = fromVariants[0];
    return [{ ...agreed, label: `${sourceNames(agreed.sources)}: ${agreed.text}`, source: 0, agreed: true }];
  }
  for (const choice of choices) {
    choice.source = choice.sources.find((s) => s > 0) ?? 0;
    choice.label = `${sourceNames(choice.sources)}: ${choice.text}`;
  }
  choices.push({ label: "(leave this sentence out)", source: -1, sources: [] });
  return choices;
}

/** One pick per sentence position: `ask` (one question, e.g. a QuickPick) only where the variants
 *  differ; undefined when the writer stopped. */
export async function stitchPicks(
  sentences: Sentences,
  ask: (choices: StitchChoice[], position: number, positions: number) => PromiseLike<StitchChoice | undefined>,
): Promise<StitchChoice[] | undefined> {
  const picks: StitchChoice[] = [];
  const positions = stitchPositions(sentences);
  for (let position = 0; position < positions; position++) {
    const choices = stitchChoices(sentences, position);
    const pick = choices[0].agreed ? choices[0] : await ask(choices, position, positions);
    if (!pick) {
      return undefined;
    }
    picks.push(pick);
  }
  return picks;
}

/** The stitched paragraph, and the variant most taken from (what learning compares it with). */
export function stitch(picks: StitchChoice[], variants: string[]): { text: string; generated: string } {
  const votes = new Map<number, number>();
  for (const pick of picks) {
    if (pick.source > 0) {
      votes.set(pick.source, (votes.get(pick.source) ?? 0) + 1);
    }
  }
  let best = 1;
  for (const [source, count] of votes) {
    if (count > (votes.get(best) ?? 0)) {
      best = source;
    }
  }
  const generated = variants[best - 1] ?? variants[0] ?? "";
  if (picks.every((p) => p.agreed) && variants.every((v) => v === variants[0])) {
    return { text: generated, generated }; // nothing differed: the variants' own text, paragraphs kept
  }
  const text = picks.filter((p) => p.text !== undefined).map((p) => p.text).join(" ");
  return { text, generated };
}
