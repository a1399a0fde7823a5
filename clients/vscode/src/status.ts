// What the server says about itself (penna.status, penna/status), as the status bar shows it.
// Pure (no `vscode` import) so it is unit-tested.

/** A folder whose notes look collected (pasted), not written by the writer. */
export interface CollectedSuggestion {
  folder: string;
  notes?: number;
  why?: string;
}

/** What `penna.status` answers (docs/protocol.md); fields beyond these are ignored. */
export interface ServerStatus {
  model?: { state?: string; name?: string; path?: string; error?: string; drafting?: string };
  vaults?: { path: string; notes?: number; indexed?: boolean; collected?: CollectedSuggestion[] }[];
  indexing?: boolean;
}

/** Whether a vault is still being indexed (per vault when the server says, else overall). */
export function stillIndexing(status: ServerStatus): boolean {
  const vaults = status.vaults ?? [];
  if (vaults.some((v) => v.indexed !== undefined)) {
    return vaults.some((v) => v.indexed === false);
  }
  return status.indexing === true;
}

/** Nothing left to wait for: indexed, and the model not loading. */
export function statusSettled(status: ServerStatus): boolean {
  return !stillIndexing(status) && status.model?.state !== "loading";
}

/** The status bar's text and tooltip for a status (no generation running, no failure). */
export function describeStatus(status: ServerStatus | undefined): { text: string; tooltip: string } {
  const model = status?.model;
  const state = model?.state ?? "starting";
  const icons: Record<string, string> = { ready: "$(pencil)", loading: "$(loading~spin)", error: "$(warning)" };
  const indexing = status !== undefined && stillIndexing(status);
  let text = `${icons[state] ?? "$(pencil)"} penna${state === "ready" ? "" : `: ${state === "error" ? "model error" : state}`}`;
  if (indexing) {
    text = "$(sync~spin) penna: indexing";
  }
  const lines = [`Model: ${model?.name ?? "default"} (${state})`];
  if (model?.error) {
    lines.push(`Error: ${model.error}`);
  }
  if (model?.drafting) {
    lines.push(`Drafting: ${model.drafting}`);
  }
  for (const vault of status?.vaults ?? []) {
    const still = vault.indexed === false || (vault.indexed === undefined && indexing);
    lines.push(`Vault: ${vault.path}, ${vault.notes ?? "?"} notes${still ? " (still indexing: answers use what is indexed so far)" : ""}`);
    for (const c of vault.collected ?? []) {
      lines.push(`“${c.folder}”: ${c.notes ?? "?"} notes look collected, not yours (${c.why ?? "pasted text"}). ` +
        "If so, add it to penna.readingFolders.");
    }
  }
  const collected = (status?.vaults ?? []).some((v) => (v.collected ?? []).length > 0);
  if (collected && !indexing) {
    text += " $(info)";
  }
  lines.push("", "Click to show the log.");
  return { text, tooltip: lines.join("\n") };
}
