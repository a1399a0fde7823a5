// The extension's own UI: the context viewer, the status bar item and the set of running
// generations it shows (and cancels on click).

import * as vscode from "vscode";
import { describeStatus, ServerStatus } from "./status";

export { ServerStatus, statusSettled } from "./status";

/** `penna.showContext` results as read-only virtual Markdown documents (`penna-context:`). */
export class ContextDocuments implements vscode.TextDocumentContentProvider {
  static readonly scheme = "penna-context";
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? "This context is gone; run “penna: Show context” again.";
  }

  /** Open (or refresh) the context of `note` beside it. One document per note. */
  async show(note: vscode.Uri, markdown: string): Promise<void> {
    const name = note.path.split("/").pop()?.replace(/\.(md|markdown)$/i, "") ?? "note";
    // The .md ending makes VS Code treat it as Markdown (highlighting, preview).
    const uri = vscode.Uri.from({ scheme: ContextDocuments.scheme, path: `/${name} (penna context).md`, query: note.toString() });
    this.contents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
  }

  forget(uri: vscode.Uri): void {
    this.contents.delete(uri.toString());
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Generations in flight, each with its own cancellation, so one click can stop them all. */
export class Generations {
  private readonly running = new Set<vscode.CancellationTokenSource>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Run `work` with a token cancelled by `cancelAll()` or by `outer` (e.g. VS Code's own). */
  async run<T>(work: (token: vscode.CancellationToken) => Thenable<T>, outer?: vscode.CancellationToken): Promise<T> {
    const source = new vscode.CancellationTokenSource();
    const link = outer?.onCancellationRequested(() => source.cancel());
    this.running.add(source);
    this.changed.fire();
    try {
      return await work(source.token);
    } finally {
      link?.dispose();
      this.running.delete(source);
      source.dispose();
      this.changed.fire();
    }
  }

  cancelAll(): number {
    const count = this.running.size;
    for (const source of this.running) {
      source.cancel();
    }
    return count;
  }

  dispose(): void {
    this.cancelAll();
    this.changed.dispose();
  }
}

/** Model state and generation progress; click cancels while writing, else shows the log. */
export class StatusBar {
  private readonly item = vscode.window.createStatusBarItem("penna.status", vscode.StatusBarAlignment.Right, 100);
  private status: ServerStatus | undefined;
  private problem: string | undefined;

  constructor(private readonly generations: Generations) {
    this.item.name = "penna";
    generations.onDidChange(() => this.render());
    this.render();
    this.item.show();
  }

  update(status: ServerStatus): void {
    this.status = status;
    this.problem = undefined;
    this.render();
  }

  /** A server that cannot run (not found, crashed); cleared by the next `update`. */
  fail(problem: string): void {
    this.problem = problem;
    this.render();
  }

  private render(): void {
    const item = this.item;
    if (this.generations.busy) {
      item.text = "$(sync~spin) penna: writing…";
      item.tooltip = "penna is writing. Click to cancel.";
      item.command = "penna.cancel";
      return;
    }
    item.command = "penna.showLog";
    if (this.problem) {
      item.text = "$(error) penna";
      item.tooltip = `${this.problem}\n\nClick to show the log.`;
      return;
    }
    const described = describeStatus(this.status);
    item.text = described.text;
    item.tooltip = described.tooltip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
