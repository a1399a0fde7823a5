// Code actions become drafts: the extension stops asking for resolved edits, so the server's
// prose actions carry `penna.<action>` commands, which run as previews.
import assert from "node:assert/strict";
import { test } from "node:test";
import { commandArgument, draftCodeActions } from "../actions";

test("code actions are not resolved into edits; everything else the client says is kept", () => {
  const capabilities = {
    workspace: { applyEdit: true },
    textDocument: {
      codeAction: {
        dataSupport: true,
        resolveSupport: { properties: ["edit"] },
        codeActionLiteralSupport: { codeActionKind: { valueSet: ["refactor.rewrite", "quickfix"] } },
      },
      hover: { contentFormat: ["markdown"] },
    },
  };
  const result = draftCodeActions(capabilities);
  assert.equal(result, capabilities);
  assert.equal("resolveSupport" in capabilities.textDocument.codeAction, false);
  assert.deepEqual(capabilities.textDocument.codeAction.codeActionLiteralSupport.codeActionKind.valueSet, ["refactor.rewrite", "quickfix"]);
  assert.equal(capabilities.textDocument.codeAction.dataSupport, true);
  assert.deepEqual(capabilities.textDocument.hover, { contentFormat: ["markdown"] });
  assert.deepEqual(draftCodeActions({}), {}, "a client without code actions is left alone");
});

test("a code action's argument becomes the command's argument without its action name", () => {
  const range = { start: { line: 2, character: 0 }, end: { line: 3, character: 4 } };
  const given = { action: "rephrase", uri: "file:///v/a.md", range, version: 3 };
  assert.deepEqual(commandArgument(given), { uri: "file:///v/a.md", range, version: 3 });
  assert.equal(given.action, "rephrase", "the code action itself is not changed");
});
