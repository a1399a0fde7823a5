// Drafts in the editor: the text penna is writing shows as an inline decoration after the
// notes (its last words, the whole in the decoration's hover), and enters the note only on
// "penna: Accept draft" (Tab); "penna: Cancel draft" (Escape) drops it. Variants are stitched
// with one QuickPick per sentence first. The logic is in drafts.ts.

import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { acceptPlan, Draft, DraftNotification, Drafts, previewLine, PreviewResult, Range, stitch, StitchChoice, stitchPicks } from "./drafts";

export const DRAFT_NOTIFICATION = "penna/draft";
const CONTEXT_KEY = "penna.draftActive";

export class Previews implements vscode.Disposable {
  readonly drafts = new Drafts();
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor("editorCodeLens.foreground"), fontStyle: "italic", margin: "0 0 0 2em" },
    isWholeLine: false,
  });
  private readonly cancels = new Map<string, vscode.CancellationTokenSource>();

  constructor(private readonly say: (message: string, text?: string) => void) {}

  /** Run `penna.<action>` as a preview; `send` sends the executeCommand with a token. */
  async run(uri: vscode.Uri, action: string, argument: Record<string, unknown>,
    send: (argument: unknown, token: vscode.CancellationToken) => Promise<PreviewResult | undefined>): Promise<void> {
    const old = this.drafts.get(uri.toString());
    if (old) {
      this.cancel(old, true);
    }
    const draft = this.drafts.start(uri.toString(), action, argument.range as Range);
    const source = new vscode.CancellationTokenSource();
    this.cancels.set(draft.id, source);
    this.render(draft);
    let result: PreviewResult | undefined;
    try {
      result = await send({ ...argument, preview: true, draftId: draft.id }, source.token);
    } finally {
      this.cancels.delete(draft.id);
      source.dispose();
    }
    if (!result) {
      this.remove(draft);
      return;
    }
    if (!this.drafts.finish(draft, result)) {
      this.remove(draft);
      if (result.text) {
        this.say(result.message ?? "nothing was replaced", result.text);
      } else if (result.message) {
        this.say(result.message);
      }
      return;
    }
    if (action === "variants" && result.sentences) {
      const picked = await this.pickSentences(result.sentences);
      if (!picked) {
        this.remove(draft);
        this.say("stitching stopped", (result.variants ?? []).join("\n\n"));
        return;
      }
      const stitched = stitch(picked, result.variants ?? []);
      draft.text = stitched.text;
      draft.generated = stitched.generated;
    }
    this.render(draft);
  }

  onDraft(params: DraftNotification): void {
    const draft = this.drafts.update(params);
    if (draft) {
      this.render(draft);
    }
  }

  /** One QuickPick per sentence position where the variants differ; the others are taken. */
  private pickSentences(sentences: { note: string[]; variants: string[][] }): Promise<StitchChoice[] | undefined> {
    return stitchPicks(sentences, (choices, position, positions) => vscode.window.showQuickPick(choices, {
      title: `penna: sentence ${position + 1} of ${positions}`,
      placeHolder: "Pick the sentence to keep at this place",
      ignoreFocusOut: true,
    }));
  }

  private render(draft: Draft): void {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === draft.uri);
    void vscode.commands.executeCommand("setContext", CONTEXT_KEY, this.drafts.all().length > 0);
    if (!editor) {
      return;
    }
    const end = new vscode.Position(draft.range.end.line, draft.range.end.character);
    const line = end.character === 0 && end.line > draft.range.start.line ? end.line - 1 : end.line;
    const at = editor.document.lineAt(Math.min(line, editor.document.lineCount - 1)).range.end;
    const hover = new vscode.MarkdownString();
    hover.appendMarkdown("**penna draft**\n\n");
    hover.appendText(draft.text ?? draft.partials.join("\n\n"));
    editor.setDecorations(this.decoration, [{
      range: new vscode.Range(at, at),
      hoverMessage: hover,
      renderOptions: { after: { contentText: previewLine(draft) } },
    }]);
  }

  private remove(draft: Draft): void {
    this.drafts.remove(draft);
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === draft.uri) {
        editor.setDecorations(this.decoration, []);
      }
    }
    void vscode.commands.executeCommand("setContext", CONTEXT_KEY, this.drafts.all().length > 0);
  }

  /** Write the active editor's draft; tell the server so it learns from what was kept. */
  async accept(client: LanguageClient | undefined): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const draft = editor && this.drafts.get(editor.document.uri.toString());
    if (!editor || !draft) {
      this.say("no draft to accept");
      return;
    }
    if (draft.text === undefined) {
      this.say("still writing; Escape or “penna: Cancel draft” stops it");
      return;
    }
    const doc = editor.document;
    const toRange = (r: Range) => new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
    const plan = acceptPlan(draft, doc.version, doc.getText(), (r) => doc.getText(toRange(r)));
    this.remove(draft);
    if (plan.kind === "keep") {
      this.say(plan.why, plan.text);
      return;
    }
    const applied = await editor.edit((builder) => builder.replace(toRange(plan.range), plan.text));
    if (!applied) {
      this.say("the editor refused the edit", plan.text);
      return;
    }
    if (client?.isRunning()) {
      void client.sendRequest("workspace/executeCommand", {
        command: "penna.accepted",
        arguments: [{ uri: client.code2ProtocolConverter.asUri(doc.uri), text: plan.text, generated: draft.generated }],
      });
    }
  }

  cancel(draft?: Draft, quiet = false): boolean {
    const editor = vscode.window.activeTextEditor;
    draft = draft ?? (editor && this.drafts.get(editor.document.uri.toString()));
    if (!draft) {
      return false;
    }
    this.cancels.get(draft.id)?.cancel();
    this.remove(draft);
    if (!quiet) {
      this.say("draft cancelled; nothing was written");
    }
    return true;
  }

  cancelAll(): number {
    let count = 0;
    for (const draft of this.drafts.all()) {
      count += this.cancel(draft, true) ? 1 : 0;
    }
    return count;
  }

  dispose(): void {
    this.cancelAll();
    this.decoration.dispose();
  }
}
