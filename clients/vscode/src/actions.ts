// Code actions (lightbulb, Ctrl+.) that rewrite prose go through the same drafts as the palette
// commands: nothing enters the note until the writer accepts. Pure (no `vscode` import) so it is
// unit-tested.
//
// The server offers each action either with `data`, its edit computed in `codeAction/resolve`
// (the text written directly), or, when the client does not resolve edits, with the
// `penna.<action>` command (docs/protocol.md). The extension takes the second way: without
// `resolveSupport` every prose action carries its command, and the extension's command
// middleware runs that command as a preview, exactly as the palette does. The action that uses a
// hover's rephrasing already written carries its edit and stays an instant, undoable edit.

/** The part of the client capabilities this touches (LSP `ClientCapabilities`). */
export interface CodeActionCapabilities {
  textDocument?: { codeAction?: { resolveSupport?: { properties: string[] } } };
}

/** Stop asking the server to resolve code actions' edits, so that they carry commands instead. */
export function draftCodeActions<T extends CodeActionCapabilities>(capabilities: T): T {
  const codeAction = capabilities.textDocument?.codeAction;
  if (codeAction) {
    delete codeAction.resolveSupport;
  }
  return capabilities;
}

/** The argument a code action's command carries (`{action, uri, range, version}`) as the
 * argument of the `penna.<action>` command it names: the `action` key is the command's name. */
export function commandArgument(given: Record<string, unknown>): Record<string, unknown> {
  const argument = { ...given };
  delete argument.action;
  return argument;
}
