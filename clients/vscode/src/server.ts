// Where the penna server comes from. Pure (no `vscode` import) so it is unit-tested and the
// end-to-end test launches the server exactly as the extension would.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const NOT_FOUND =
  "penna server not found: install with `pip install penna` or set penna.server.command";

export interface ServerSettings {
  /** `penna.server.command`: the full command line; empty means auto. */
  command: readonly string[];
  /** `penna.server.pythonPath`: an interpreter whose environment has penna installed. */
  pythonPath: string;
}

export interface Host {
  platform: NodeJS.Platform;
  /** The PATH variable of the extension host. */
  pathEnv: string;
  home: string;
  /** The first workspace folder, for `${workspaceFolder}` in settings. */
  workspaceFolder?: string;
  isExecutable(file: string): boolean;
}

export type Resolution =
  | { ok: true; command: string; args: string[]; source: "setting" | "python" | "path" }
  | { ok: false; error: string };

export function nodeHost(workspaceFolder?: string): Host {
  return {
    platform: process.platform,
    pathEnv: process.env.PATH ?? "",
    home: os.homedir(),
    workspaceFolder,
    isExecutable(file: string): boolean {
      try {
        fs.accessSync(file, process.platform === "win32" ? fs.constants.F_OK : fs.constants.X_OK);
        return fs.statSync(file).isFile();
      } catch {
        return false;
      }
    },
  };
}

/** `~`, `${userHome}` and `${workspaceFolder}`, as users write them in settings. */
export function expandVariables(value: string, host: Host): string {
  let out = value.replace(/\$\{userHome\}/g, host.home);
  if (host.workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, host.workspaceFolder);
  }
  if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
    out = host.home + out.slice(1);
  }
  return out;
}

function scriptNames(platform: NodeJS.Platform): string[] {
  return platform === "win32" ? ["penna.exe", "penna.cmd", "penna"] : ["penna"];
}

function pathApi(platform: NodeJS.Platform): path.PlatformPath {
  return platform === "win32" ? path.win32 : path.posix;
}

/**
 * The server command, in order: `penna.server.command`; `penna` beside
 * `penna.server.pythonPath` (a venv's bin/ or Scripts\); `penna` on PATH. Otherwise an error
 * that says how to fix it.
 */
export function resolveServer(settings: ServerSettings, host: Host): Resolution {
  const command = settings.command.filter((part) => part.trim() !== "").map((part) => expandVariables(part, host));
  if (command.length > 0) {
    return { ok: true, command: command[0], args: command.slice(1), source: "setting" };
  }
  const p = pathApi(host.platform);
  const names = scriptNames(host.platform);
  const python = settings.pythonPath.trim();
  if (python !== "") {
    const dir = p.dirname(expandVariables(python, host));
    for (const name of names) {
      const candidate = p.join(dir, name);
      if (host.isExecutable(candidate)) {
        return { ok: true, command: candidate, args: ["serve"], source: "python" };
      }
    }
  }
  const delimiter = host.platform === "win32" ? ";" : ":";
  for (const dir of host.pathEnv.split(delimiter)) {
    if (dir === "") {
      continue;
    }
    for (const name of names) {
      const candidate = p.join(dir, name);
      if (host.isExecutable(candidate)) {
        return { ok: true, command: candidate, args: ["serve"], source: "path" };
      }
    }
  }
  const hint = python !== "" ? ` (no penna script beside ${python})` : "";
  return { ok: false, error: NOT_FOUND + hint };
}
