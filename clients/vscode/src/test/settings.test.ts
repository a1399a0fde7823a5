// The settings sent to the server, and their agreement with package.json and docs/protocol.md.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { needsRestart, pennaSettings, SETTING_KEYS } from "../settings";

const root = path.resolve(__dirname, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown; description?: string; markdownDescription?: string }> } };
};
const properties = manifest.contributes.configuration.properties;

test("every key is sent with its value; client-only and unknown keys are not", () => {
  const values: Record<string, unknown> = { model: "~/m.gguf", nCtx: 4096, threads: 2, "server.command": ["x"], stray: 1 };
  const sent = pennaSettings((key) => values[key], 8);
  assert.deepEqual(sent, { model: "~/m.gguf", nCtx: 4096, threads: 2 });
});

test("threads left empty (null) is the number of cores", () => {
  assert.equal(pennaSettings((key) => (key === "threads" ? null : undefined), 6).threads, 6);
  assert.equal(pennaSettings(() => undefined, 0).threads, 1);
});

test("with VS Code's defaults the server gets exactly the documented defaults", () => {
  const sent = pennaSettings((key) => properties[`penna.${key}`]?.default, 4);
  assert.deepEqual(sent, {
    model: "default", remoteUrl: "", modelFolders: [], nCtx: 2048, threads: 4, temperature: 0.7, maxTokens: 256, seed: -1,
    authorName: "", profileNote: "About me.md", readingFolders: ["Clippings", "Readwise", "References", "Sources"],
    exclude: [], halfLifeDays: 14, hover: "generate", diagnostics: true, learnFromRewrites: true,
  });
});

test("package.json contributes every server setting plus penna.server.*, each described", () => {
  const contributed = Object.keys(properties).sort();
  const expected = [...SETTING_KEYS.map((k) => `penna.${k}`), "penna.server.command", "penna.server.pythonPath",
    "penna.trace.server"].sort();
  assert.deepEqual(contributed, expected);
  for (const [key, spec] of Object.entries(properties)) {
    assert.ok(spec.description || spec.markdownDescription, `${key} has no description`);
    assert.ok("default" in spec, `${key} has no default`);
  }
});

test("the keys are those of docs/protocol.md's settings table", (t) => {
  const protocol = path.resolve(root, "..", "..", "docs", "protocol.md");
  if (!fs.existsSync(protocol)) {
    t.skip(`${protocol} is not beside this checkout`);
    return;
  }
  const section = fs.readFileSync(protocol, "utf8").split("## Settings")[1].split("\n## ")[0];
  const documented = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), [...SETTING_KEYS].sort());
});

test("only penna.server.* restarts the server", () => {
  assert.equal(needsRestart((s) => ["penna", "penna.server", "penna.server.command"].includes(s)), true);
  assert.equal(needsRestart((s) => ["penna", "penna.model"].includes(s)), false);
});

test("what belongs to a vault can be set per workspace folder (resource scope)", () => {
  const scopes = properties as Record<string, { scope?: string }>;
  for (const key of ["readingFolders", "exclude", "profileNote", "authorName", "halfLifeDays"]) {
    assert.equal(scopes[`penna.${key}`].scope, "resource", key);
  }
  assert.deepEqual((properties["penna.trace.server"] as { enum?: string[] }).enum, ["off", "messages", "verbose"]);
});

test("one command namespace: every contributed command is penna.<name>, the actions are the server's", () => {
  const contributes = (manifest as unknown as { contributes: { commands: { command: string }[]; keybindings: { command: string; when: string }[] } }).contributes;
  const ids = contributes.commands.map((c) => c.command);
  for (const id of ids) {
    assert.match(id, /^penna\.[a-zA-Z]+$/);
  }
  for (const action of ["expand", "rephrase", "continue", "variants", "showContext"]) {
    assert.ok(ids.includes(`penna.${action}`), action);
  }
  assert.ok(!ids.some((id) => /expandBullets|rephraseInMyVoice|threeVariants|openContext/.test(id)), ids.join(","));
  const keys = contributes.keybindings.map((k) => `${k.command} when ${k.when}`);
  assert.ok(keys.some((k) => k.startsWith("penna.acceptDraft when") && k.includes("penna.draftActive")), keys.join("; "));
  assert.ok(keys.some((k) => k.startsWith("penna.cancelDraft when") && k.includes("penna.draftActive")), keys.join("; "));
});
