// End to end over the real protocol, without VS Code: launch the server the way the extension
// resolves it, then do what the extension does for a code action: list, then run the command it
// carries as a preview (drafts stream, nothing is applied until the writer accepts).
// Needs the real server and model. The command comes from PENNA_SERVER_COMMAND (a JSON array,
// standing in for the penna.server.command setting) and PENNA_PYTHON (penna.server.pythonPath).
//   npm run compile && npm run test:e2e

import assert from "node:assert/strict";
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import {
  ApplyWorkspaceEditRequest,
  CodeAction,
  CodeActionRequest,
  ConfigurationRequest,
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  ProtocolConnection,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgressCreateRequest,
} from "vscode-languageserver-protocol/node";
import { commandArgument, draftCodeActions } from "../actions";
import { acceptPlan, DraftNotification, Drafts, PreviewResult } from "../drafts";
import { nodeHost, resolveServer } from "../server";

const GENERATION_MS = 300_000;
const SETTINGS = { maxTokens: 64, seed: 7 };

const NOTE = `# Winter bread

- the starter sulks below 20 degrees
- I proof overnight in the oven with the light on
- the crumb is tighter but the flavour is deeper

I bake on Saturdays because the week is too loud for dough.
`;
const BULLETS = { start: { line: 2, character: 0 }, end: { line: 4, character: 48 } };

let vault: string;
let server: ChildProcessWithoutNullStreams;
let connection: ProtocolConnection;
const messages: string[] = [];
const drafts: DraftNotification[] = [];
let applyEdits = 0;
let stderr = "";

before(async () => {
  vault = fs.mkdtempSync(path.join(os.tmpdir(), "penna-vscode-e2e-"));
  fs.mkdirSync(path.join(vault, ".obsidian"));
  fs.mkdirSync(path.join(vault, "Notes"));
  fs.writeFileSync(path.join(vault, "Winter bread.md"), NOTE);
  fs.writeFileSync(path.join(vault, "About me.md"), "# About me\n\nI bake, I walk, and I write short plain essays about both. I think recipes lie about time.\n");
  fs.writeFileSync(path.join(vault, "Notes", "Starter.md"), "# Starter\n\nMy starter is called Gus. He is slow in winter and I've stopped apologising for him.\n");

  const resolution = resolveServer(
    { command: JSON.parse(process.env.PENNA_SERVER_COMMAND ?? "[]") as string[], pythonPath: process.env.PENNA_PYTHON ?? "" },
    nodeHost(vault),
  );
  assert.ok(resolution.ok, resolution.ok ? "" : resolution.error);
  server = spawn(resolution.command, resolution.args, { stdio: "pipe" });
  server.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  // What VS Code answers to the server's own requests.
  connection.onRequest(WorkDoneProgressCreateRequest.type, () => null);
  connection.onRequest(RegistrationRequest.type, () => null);
  // Short generations: the machine running the tests is shared.
  connection.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => SETTINGS));
  connection.onRequest(ApplyWorkspaceEditRequest.type, () => {
    applyEdits += 1;
    return { applied: false, failureReason: "not expected in this test" };
  });
  connection.onNotification("penna/draft", (params: DraftNotification) => drafts.push(params));
  connection.onNotification("window/showMessage", (params: { message: string }) => messages.push(params.message));
  connection.listen();

  const folder = pathToFileURL(vault).toString();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: folder,
    workspaceFolders: [{ uri: folder, name: "vault" }],
    initializationOptions: SETTINGS,
    // VS Code's own code action capabilities, as the extension changes them.
    capabilities: draftCodeActions({
      window: { workDoneProgress: true },
      workspace: { applyEdit: true, configuration: true, workspaceFolders: true, workspaceEdit: { documentChanges: true } },
      textDocument: {
        codeAction: {
          dataSupport: true,
          resolveSupport: { properties: ["edit"] },
          codeActionLiteralSupport: { codeActionKind: { valueSet: ["refactor", "refactor.rewrite", "quickfix"] } },
        },
      },
    }),
  });
  await connection.sendNotification(InitializedNotification.type, {});
});

after(async () => {
  if (connection) {
    await Promise.race([connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 5000))]);
    await connection.sendNotification(ExitNotification.type);
    connection.dispose();
  }
  server?.kill();
  fs.rmSync(vault, { recursive: true, force: true });
});

test("The lightbulb's Expand bullets into prose carries penna.expand, which runs as a preview of the bullets' prose", { timeout: GENERATION_MS + 60_000 }, async () => {
  const uri = pathToFileURL(path.join(vault, "Winter bread.md")).toString();
  await connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "markdown", version: 7, text: NOTE },
  });

  const cursor = { line: 3, character: 4 };
  const actions = (await connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: { start: cursor, end: cursor },
    context: { diagnostics: [], triggerKind: 1 },
  })) as CodeAction[];
  const titles = actions.map((a) => a.title);
  const expand = actions.find((a) => a.title === "Expand bullets into prose");
  assert.ok(expand, `no expand action among ${JSON.stringify(titles)}; server said ${JSON.stringify(messages)}; stderr: ${stderr}`);
  assert.equal(expand.kind, "refactor.rewrite");
  assert.equal(expand.edit, undefined, "a prose action never carries a ready edit");
  assert.equal(expand.command?.command, "penna.expand", `no command: ${JSON.stringify(expand)}`);
  const given = expand.command?.arguments?.[0] as Record<string, unknown>;

  // What the extension's command middleware sends: the action's argument, as a preview.
  const store = new Drafts();
  const draft = store.start(uri, "expand", BULLETS);
  const started = Date.now();
  const result = (await connection.sendRequest(ExecuteCommandRequest.type, {
    command: expand.command?.command,
    arguments: [{ ...commandArgument(given), preview: true, draftId: draft.id }],
  })) as PreviewResult;
  const seconds = (Date.now() - started) / 1000;
  assert.equal(applyEdits, 0, "a code action run as a preview must not apply an edit");
  assert.equal(result.applied, false);
  assert.deepEqual(result.range, BULLETS, `the draft replaces exactly the bullet block: ${JSON.stringify(result)}`);
  assert.equal(result.version, 7, "the draft is placed in the version the server saw");
  assert.ok(drafts.some((d) => d.draftId === draft.id), "no penna/draft notification arrived");
  const prose = result.text;
  assert.ok(!/^\s*[-*+] /m.test(prose), `still bullets: ${prose}`);
  assert.ok(prose.trim().split(/\s+/).length >= 5, `not prose: ${JSON.stringify(prose)}`);
  console.log(`# previewed in ${seconds.toFixed(1)} s: ${JSON.stringify(prose)}`);
});

test("A preview streams the growing draft, applies nothing, and answers where the text goes", { timeout: GENERATION_MS + 60_000 }, async () => {
  const uri = pathToFileURL(path.join(vault, "Winter bread.md")).toString();
  const store = new Drafts();
  const draft = store.start(uri, "expand", BULLETS);
  const result = (await connection.sendRequest(ExecuteCommandRequest.type, {
    command: "penna.expand",
    arguments: [{ uri, range: { start: { line: 3, character: 4 }, end: { line: 3, character: 4 } }, version: 7, preview: true, draftId: draft.id }],
  })) as PreviewResult;
  assert.equal(applyEdits, 0, "a preview must not apply an edit");
  assert.equal(result.applied, false);
  assert.deepEqual(result.range, BULLETS, `the draft replaces the bullets: ${JSON.stringify(result)}`);
  assert.equal(result.version, 7);
  assert.equal(result.original, NOTE.split("\n").slice(2, 5).join("\n"));
  const mine = drafts.filter((d) => d.draftId === draft.id);
  assert.ok(mine.length > 0, "no penna/draft notification arrived");
  for (const notification of mine) {
    store.update(notification);
  }
  assert.ok(mine.every((d) => d.uri === uri && d.variants === 1) && mine[mine.length - 1].text.trim() !== "", JSON.stringify(mine));
  assert.ok(store.finish(draft, result));
  const plan = acceptPlan(draft, 7, NOTE, () => result.original ?? "");
  assert.deepEqual(plan, { kind: "apply", range: BULLETS, text: result.text });
  const accepted = (await connection.sendRequest(ExecuteCommandRequest.type, {
    command: "penna.accepted",
    arguments: [{ uri, text: result.text, generated: result.text }],
  })) as { learning: boolean };
  assert.equal(accepted.learning, true);
});
