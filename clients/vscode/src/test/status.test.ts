// The status bar says when the vault is still indexing and when notes look collected.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeStatus, statusSettled, stillIndexing } from "../status";

test("a vault still indexing shows in the text, not only in the tooltip", () => {
  const status = { model: { state: "ready" }, vaults: [{ path: "/v", notes: 12, indexed: false }] };
  assert.ok(stillIndexing(status));
  const shown = describeStatus(status);
  assert.match(shown.text, /indexing/);
  assert.match(shown.tooltip, /still indexing/);
  assert.equal(statusSettled(status), false);
});

test("without per-vault fields the overall `indexing` flag counts; indexed and ready is settled", () => {
  assert.ok(stillIndexing({ indexing: true, vaults: [{ path: "/v" }] }));
  const done = { indexing: false, model: { state: "ready" }, vaults: [{ path: "/v", notes: 3, indexed: true }] };
  assert.ok(statusSettled(done));
  assert.doesNotMatch(describeStatus(done).text, /indexing/);
  assert.equal(statusSettled({ model: { state: "loading" } }), false);
});

test("collected folders are suggested for readingFolders", () => {
  const status = { model: { state: "ready" }, vaults: [{ path: "/v", notes: 2000, indexed: true,
    collected: [{ folder: "06. Collected Knowledge", notes: 1254, why: "folder name" }] }] };
  const shown = describeStatus(status);
  assert.match(shown.tooltip, /“06\. Collected Knowledge”: 1254 notes look collected/);
  assert.match(shown.tooltip, /penna\.readingFolders/);
  assert.match(shown.text, /\$\(info\)/);
});

test("the tooltip says how the model drafts when the server says, and nothing when it does not", () => {
  const drafting = "Gemma 3 270m: its own sentences keepable 0 of 3, restored 2 of 3; it writes by restoring the note first";
  const shown = describeStatus({ model: { state: "ready", name: "gemma.gguf", drafting }, vaults: [{ path: "/v", indexed: true }] });
  assert.ok(shown.tooltip.split("\n").includes(`Drafting: ${drafting}`), shown.tooltip);
  const without = describeStatus({ model: { state: "ready", name: "gemma.gguf" }, vaults: [{ path: "/v", indexed: true }] });
  assert.doesNotMatch(without.tooltip, /Drafting/);
  assert.match(without.tooltip, /^Model: gemma\.gguf \(ready\)/);
});
