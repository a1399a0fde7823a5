// penna for VS Code: starts the penna language server and adds commands, a context viewer and
// a status bar item. Every writing behaviour lives in the server (docs/protocol.md).

import * as os from "os";
import * as vscode from "vscode";
import {
  LSPErrorCodes,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  State,
  StaticFeature,
  TransportKind,
} from "vscode-languageclient/node";
import { commandArgument, draftCodeActions } from "./actions";
import { nodeHost, resolveServer, ServerSettings } from "./server";
import { needsRestart, pennaSettings } from "./settings";
import { DraftNotification, PreviewResult } from "./drafts";
import { DRAFT_NOTIFICATION, Previews } from "./preview";
import { ContextDocuments, Generations, ServerStatus, StatusBar, statusSettled } from "./ui";

type Action = "expand" | "rephrase" | "continue" | "variants";
const ACTIONS: readonly string[] = ["expand", "rephrase", "continue", "variants"];

/** Pushed by the server when its status changes (docs/protocol.md). */
const STATUS_NOTIFICATION = "penna/status";
/** A generation whose edit could not be applied: `{uri, action, text, reason, message}`. */
const RESULT_NOTIFICATION = "penna/result";
/** Sent when a hover's rephrasing is written: `{uri, range}`. */
const HOVER_READY_NOTIFICATION = "penna/hoverReady";
/** Until the server pushes its status, it is asked again this often while it is still settling. */
const STATUS_SETTLING_MS = 2_000;

/** Lightbulb actions as drafts (see actions.ts): the client does not offer to resolve their
 * edits, so the server gives each its `penna.<action>` command, run as a preview below. */
const DRAFT_CODE_ACTIONS: StaticFeature = {
  fillClientCapabilities: (capabilities) => void draftCodeActions(capabilities),
  initialize: () => undefined,
  getState: () => ({ kind: "static" }),
  clear: () => undefined,
};

let extension: PennaExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new PennaExtension(context);
  await extension.start();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
  extension = undefined;
}

function settingsFor(scope?: vscode.Uri) {
  const config = vscode.workspace.getConfiguration("penna", scope);
  return pennaSettings((key) => config.get(key), os.availableParallelism?.() ?? os.cpus().length);
}

function serverSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration("penna");
  return { command: config.get<string[]>("server.command", []), pythonPath: config.get<string>("server.pythonPath", "") };
}

class PennaExtension {
  private client: LanguageClient | undefined;
  private readonly output = vscode.window.createOutputChannel("penna");
  private readonly generations = new Generations();
  private readonly statusBar = new StatusBar(this.generations);
  private readonly contexts = new ContextDocuments();
  private readonly previews = new Previews((message, text) => void this.say(message, text));
  private poll: NodeJS.Timeout | undefined;
  private pushed = false;

  constructor(context: vscode.ExtensionContext) {
    const command = (id: string, fn: () => unknown) => vscode.commands.registerCommand(id, fn);
    context.subscriptions.push(
      this.output,
      this.generations,
      this.statusBar,
      this.contexts,
      this.previews,
      vscode.workspace.registerTextDocumentContentProvider(ContextDocuments.scheme, this.contexts),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme === ContextDocuments.scheme) {
          this.contexts.forget(doc.uri);
        }
      }),
      // penna.server.* decides which process runs: restart. Everything else reaches the running
      // server through synchronize.configurationSection (see the middleware below).
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (needsRestart((section) => event.affectsConfiguration(section))) {
          void this.restart();
        }
      }),
      // penna.expand, .rephrase, .continue, .variants and .showContext are the server's own
      // commands (registered by the language client); the middleware below runs them here.
      command("penna.acceptDraft", () => this.previews.accept(this.client)),
      command("penna.cancelDraft", () => this.previews.cancel()),
      command("penna.restart", () => this.restart()),
      command("penna.cancel", () => this.cancel()),
      command("penna.showLog", () => this.output.show()),
    );
  }

  async start(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const resolution = resolveServer(serverSettings(), nodeHost(folder));
    if (!resolution.ok) {
      this.statusBar.fail(resolution.error);
      void vscode.window.showErrorMessage(resolution.error, "Open Settings").then((choice) => {
        if (choice) {
          void vscode.commands.executeCommand("workbench.action.openSettings", "penna.server");
        }
      });
      return;
    }
    this.output.appendLine(`starting ${resolution.command} ${resolution.args.join(" ")} (from ${resolution.source})`);
    const serverOptions: ServerOptions = {
      command: resolution.command,
      args: resolution.args,
      transport: TransportKind.stdio,
    };
    const client = new LanguageClient("penna", "penna", serverOptions, this.clientOptions());
    client.registerFeature(DRAFT_CODE_ACTIONS); // after the built-in features, so its capabilities win
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped && this.client === client) {
        this.statusBar.fail("The penna server stopped.");
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.statusBar.fail(`The penna server did not start: ${String(error)}`);
      void vscode.window.showErrorMessage(`penna: the server did not start (${String(error)})`, "Show Log").then((choice) => {
        if (choice) {
          this.output.show();
        }
      });
      return;
    }
    client.onNotification(DRAFT_NOTIFICATION, (params: DraftNotification) => this.previews.onDraft(params));
    // A result the server could not apply (the note changed or closed while it wrote): kept.
    client.onNotification(RESULT_NOTIFICATION, (params: { text?: string; message?: string }) => {
      if (params.text) {
        void this.say(params.message ?? "nothing was replaced", params.text);
      }
    });
    client.onNotification(STATUS_NOTIFICATION, (status: ServerStatus) => {
      this.pushed = true;
      this.statusBar.update(status ?? {});
    });
    client.onNotification(HOVER_READY_NOTIFICATION, (params: { uri: string; range: { start: { line: number }; end: { line: number } } }) => {
      const editor = vscode.window.activeTextEditor;
      const line = editor?.selection.active.line ?? -1;
      if (editor && editor.document.uri.toString() === client.protocol2CodeConverter.asUri(params.uri).toString()
        && line >= params.range.start.line && line <= params.range.end.line) {
        void vscode.commands.executeCommand("editor.action.showHover");
      }
    });
    await this.refreshStatus();
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [{ scheme: "file", language: "markdown" }],
      synchronize: { configurationSection: "penna" },
      initializationOptions: () => settingsFor(),
      outputChannel: this.output,
      middleware: {
        workspace: {
          // The `penna` section carries client-only keys (penna.server.*): answer with the
          // server's settings object instead of the raw section.
          configuration: async (params, token, next) => {
            const answers: unknown = await next(params, token);
            if (answers instanceof ResponseError || !Array.isArray(answers)) {
              return answers as ResponseError<void>;
            }
            return params.items.map((item, i): unknown =>
              item.section === "penna" ? settingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined) : answers[i],
            );
          },
          // Push nothing but a "changed" signal: the server then pulls through `configuration` above.
          didChangeConfiguration: (_sections, next) => next(undefined),
        },
        // The server's action commands (palette, or a code action or quick fix carrying one) run
        // as previews: drafts the writer accepts or cancels.
        executeCommand: (command, args: unknown[], next): Promise<unknown> => {
          const action = command.replace(/^penna\./, "");
          if (ACTIONS.includes(action)) {
            return this.generate(action as Action, args[0] as Record<string, unknown> | undefined);
          }
          if (command === "penna.showContext" && args.length === 0) {
            return this.showContext();
          }
          return Promise.resolve(next(command, args) as unknown);
        },
        // Code actions carry commands (DRAFT_CODE_ACTIONS), so none waits here for a generation; a
        // server that resolves one all the same shows it in the status bar, and a click cancels it.
        resolveCodeAction: (item, token, next) =>
          this.generations.run((mine) => Promise.resolve(next(item, mine)), token).finally(() => void this.refreshStatus()),
      },
    };
  }

  async stop(): Promise<void> {
    clearTimeout(this.poll);
    this.poll = undefined;
    const client = this.client;
    this.client = undefined;
    this.generations.cancelAll();
    this.previews.cancelAll();
    if (client?.isRunning()) {
      await client.stop();
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private cancel(): void {
    if (this.previews.cancelAll() + this.generations.cancelAll() === 0) {
      void vscode.window.showInformationMessage("penna: nothing to cancel");
    }
  }

  private async refreshStatus(): Promise<void> {
    const client = this.client;
    if (!client?.isRunning()) {
      return;
    }
    try {
      const status = (await client.sendRequest(ExecuteCommandRequest.type, { command: "penna.status", arguments: [{}] })) as ServerStatus;
      this.statusBar.update(status ?? {});
      // A server that pushes its status needs no asking; one that does not is asked again
      // only while it is still indexing or loading its model.
      clearTimeout(this.poll);
      if (!this.pushed && !statusSettled(status ?? {})) {
        this.poll = setTimeout(() => void this.refreshStatus(), STATUS_SETTLING_MS);
      }
    } catch (error) {
      this.output.appendLine(`penna.status failed: ${String(error)}`);
    }
  }

  /** The running client and the active Markdown editor, or a message saying what is missing. */
  private target(): { client: LanguageClient; editor: vscode.TextEditor } | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== "markdown" || editor.document.uri.scheme !== "file") {
      void vscode.window.showWarningMessage("penna: open a Markdown note of your vault first.");
      return undefined;
    }
    if (!this.client?.isRunning()) {
      void vscode.window.showWarningMessage("penna: the server is not running.", "Show Log").then((c) => c && this.output.show());
      return undefined;
    }
    return { client: this.client, editor };
  }

  /** `{uri, range, version}`: the selection, or the cursor (the server picks the block). */
  private argument(client: LanguageClient, editor: vscode.TextEditor) {
    const c2p = client.code2ProtocolConverter;
    return {
      uri: c2p.asUri(editor.document.uri),
      range: c2p.asRange(editor.selection),
      version: editor.document.version,
    };
  }

  private async execute<T>(client: LanguageClient, command: string, argument: unknown, generation: boolean,
    outer?: vscode.CancellationToken): Promise<T | undefined> {
    const send = (token?: vscode.CancellationToken) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [argument] }, token) as Promise<T>;
    try {
      return generation ? await this.generations.run(send, outer) : await send(outer);
    } catch (error) {
      if (error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled) {
        return undefined; // the user cancelled; the server applied nothing
      }
      const message = error instanceof Error ? error.message : String(error);
      void vscode.window.showErrorMessage(`penna: ${message}`);
      return undefined;
    } finally {
      if (generation) {
        void this.refreshStatus();
      }
    }
  }

  /** A draft of `action` on the selection (or on `given`, a code action's argument). */
  private async generate(action: Action, given?: Record<string, unknown>): Promise<void> {
    const target = this.target();
    if (!target) {
      return;
    }
    const { client, editor } = target;
    const argument: Record<string, unknown> = given ? commandArgument(given) : this.argument(client, editor);
    await this.previews.run(editor.document.uri, action, argument, (arg, token) =>
      this.execute<PreviewResult>(client, `penna.${action}`, arg, true, token));
  }

  /** Say something once, prefixed once; a result that could not be written goes to the clipboard. */
  private async say(message: string, text?: string): Promise<void> {
    const said = `penna: ${message.replace(/^penna: /, "")}`;
    if (!text) {
      void vscode.window.showInformationMessage(said);
      return;
    }
    await vscode.env.clipboard.writeText(text);
    const why = said.replace(/;? the text is kept here\.?$/, "").replace(/[.;]\s*$/, "");
    void vscode.window.showWarningMessage(`${why}; the text is on the clipboard.`);
  }

  private async showContext(): Promise<void> {
    const target = this.target();
    if (!target) {
      return;
    }
    const { client, editor } = target;
    const argument = { ...this.argument(client, editor), position: client.code2ProtocolConverter.asPosition(editor.selection.active) };
    const result = await this.execute<{ markdown?: string }>(client, "penna.showContext", argument, false);
    if (typeof result?.markdown === "string") {
      await this.contexts.show(editor.document.uri, result.markdown);
    }
  }
}
