// VS Code's `penna.*` configuration → the `penna` settings object of docs/protocol.md, sent as
// initializationOptions, on workspace/configuration and on workspace/didChangeConfiguration.
// Pure (no `vscode` import): `get` reads one key of the `penna` section.

/** The server's settings keys (docs/protocol.md). `penna.server.*` is the client's own. */
export const SETTING_KEYS = [
  "model",
  "remoteUrl",
  "modelFolders",
  "nCtx",
  "threads",
  "temperature",
  "maxTokens",
  "seed",
  "authorName",
  "profileNote",
  "readingFolders",
  "exclude",
  "halfLifeDays",
  "hover",
  "diagnostics",
  "learnFromRewrites",
] as const;

export type SettingKey = (typeof SETTING_KEYS)[number];
export type PennaSettings = Partial<Record<SettingKey, unknown>>;

/**
 * Every key with its effective value (defaults included), so removing a user setting resets
 * it on the server, which merges pushed settings onto its current ones. `threads` has no fixed
 * default (it is the number of cores): unset, it is sent as `cores`.
 */
export function pennaSettings(get: (key: string) => unknown, cores: number): PennaSettings {
  const out: PennaSettings = {};
  for (const key of SETTING_KEYS) {
    const value = get(key);
    if (value !== undefined && value !== null) {
      out[key] = value;
    }
  }
  if (out.threads === undefined) {
    out.threads = Math.max(1, cores);
  }
  return out;
}

/** Settings whose change needs a new server process rather than a live update. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects("penna.server");
}
