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
  TransportKind,
} from "vscode-languageclient/node";
import { nodeHost, resolveServer, ServerSettings } from "./server";
import { needsRestart, pennaSettings } from "./settings";
import { ContextDocuments, Generations, ServerStatus, StatusBar } from "./ui";

type Action = "expand" | "rephrase" | "continue" | "variants";

/** What the generation commands answer. */
interface ActionResult {
  applied: boolean;
  text: string;
  message?: string;
}

const STATUS_POLL_MS = 10_000;

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
  private poll: NodeJS.Timeout | undefined;

  constructor(context: vscode.ExtensionContext) {
    const command = (id: string, fn: () => unknown) => vscode.commands.registerCommand(id, fn);
    context.subscriptions.push(
      this.output,
      this.generations,
      this.statusBar,
      this.contexts,
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
      command("penna.expandBullets", () => this.generate("expand")),
      command("penna.rephraseInMyVoice", () => this.generate("rephrase")),
      command("penna.continueParagraph", () => this.generate("continue")),
      command("penna.threeVariants", () => this.generate("variants")),
      command("penna.openContext", () => this.showContext()),
      command("penna.restartServer", () => this.restart()),
      command("penna.cancelGeneration", () => this.cancel()),
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
    await this.refreshStatus();
    this.poll = setInterval(() => void this.refreshStatus(), STATUS_POLL_MS);
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
        // Generation happens in codeAction/resolve: show it in the status bar and let a click cancel it.
        resolveCodeAction: (item, token, next) =>
          this.generations.run((mine) => Promise.resolve(next(item, mine)), token).finally(() => void this.refreshStatus()),
      },
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.poll);
    this.poll = undefined;
    const client = this.client;
    this.client = undefined;
    this.generations.cancelAll();
    if (client?.isRunning()) {
      await client.stop();
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private cancel(): void {
    if (this.generations.cancelAll() === 0) {
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

  private async execute<T>(client: LanguageClient, command: string, argument: unknown, generation: boolean): Promise<T | undefined> {
    const send = (token?: vscode.CancellationToken) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [argument] }, token) as Promise<T>;
    try {
      return generation ? await this.generations.run(send) : await send();
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

  private async generate(action: Action): Promise<void> {
    const target = this.target();
    if (!target) {
      return;
    }
    const { client, editor } = target;
    // The server applies the edit itself (workspace/applyEdit), bound to the document version.
    const result = await this.execute<ActionResult>(client, `penna.${action}`, this.argument(client, editor), true);
    if (result && !result.applied) {
      const message = result.message ?? "penna: nothing was applied.";
      const choice = await vscode.window.showWarningMessage(message, ...(result.text ? ["Copy Text"] : []));
      if (choice) {
        await vscode.env.clipboard.writeText(result.text);
      }
    }
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
