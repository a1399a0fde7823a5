// Server resolution: setting, then `penna` beside the configured Python, then PATH, then a clear error.
import assert from "node:assert/strict";
import { test } from "node:test";
import { expandVariables, Host, NOT_FOUND, resolveServer } from "../server";

function host(executables: string[], overrides: Partial<Host> = {}): Host {
  return {
    platform: "linux",
    pathEnv: "/usr/local/bin:/usr/bin",
    home: "/home/me",
    workspaceFolder: "/home/me/vault",
    isExecutable: (file) => executables.includes(file),
    ...overrides,
  };
}

test("the configured command wins and is used as given", () => {
  const r = resolveServer({ command: ["/opt/py/bin/python", "-m", "penna", "serve"], pythonPath: "/x/python" }, host(["/usr/bin/penna"]));
  assert.deepEqual(r, { ok: true, command: "/opt/py/bin/python", args: ["-m", "penna", "serve"], source: "setting" });
});

test("the configured command expands ~ and ${workspaceFolder}", () => {
  const r = resolveServer({ command: ["~/venv/bin/penna", "serve", "${workspaceFolder}"], pythonPath: "" }, host([]));
  assert.deepEqual(r, { ok: true, command: "/home/me/venv/bin/penna", args: ["serve", "/home/me/vault"], source: "setting" });
});

test("blank entries in the command count as no command", () => {
  const r = resolveServer({ command: ["  "], pythonPath: "" }, host(["/usr/bin/penna"]));
  assert.equal(r.ok && r.source, "path");
});

test("penna beside the configured interpreter comes before PATH", () => {
  const r = resolveServer({ command: [], pythonPath: "/home/me/.venv/bin/python3" }, host(["/home/me/.venv/bin/penna", "/usr/bin/penna"]));
  assert.deepEqual(r, { ok: true, command: "/home/me/.venv/bin/penna", args: ["serve"], source: "python" });
});

test("an interpreter without penna beside it falls back to PATH", () => {
  const r = resolveServer({ command: [], pythonPath: "/usr/bin/python3" }, host(["/usr/local/bin/penna"]));
  assert.deepEqual(r, { ok: true, command: "/usr/local/bin/penna", args: ["serve"], source: "path" });
});

test("PATH is searched in order, skipping empty entries", () => {
  const r = resolveServer({ command: [], pythonPath: "" }, host(["/b/penna", "/c/penna"], { pathEnv: "::/a:/b:/c" }));
  assert.equal(r.ok && r.command, "/b/penna");
});

test("on Windows the venv's Scripts\\penna.exe and ; separated PATH are used", () => {
  const win = { platform: "win32" as const, pathEnv: "C:\\Tools;C:\\Py\\Scripts" };
  const beside = resolveServer({ command: [], pythonPath: "C:\\v\\Scripts\\python.exe" }, host(["C:\\v\\Scripts\\penna.exe"], win));
  assert.deepEqual(beside, { ok: true, command: "C:\\v\\Scripts\\penna.exe", args: ["serve"], source: "python" });
  const onPath = resolveServer({ command: [], pythonPath: "" }, host(["C:\\Py\\Scripts\\penna.exe"], win));
  assert.equal(onPath.ok && onPath.command, "C:\\Py\\Scripts\\penna.exe");
});

test("nothing found: the error says how to install or configure", () => {
  const r = resolveServer({ command: [], pythonPath: "" }, host([]));
  assert.deepEqual(r, { ok: false, error: NOT_FOUND });
  assert.match(NOT_FOUND, /pip install penna/);
  assert.match(NOT_FOUND, /penna\.server\.command/);
  const withPython = resolveServer({ command: [], pythonPath: "/usr/bin/python3" }, host([]));
  assert.ok(!withPython.ok && withPython.error.startsWith(NOT_FOUND) && withPython.error.includes("/usr/bin/python3"));
});

test("variables are left alone when there is nothing to put in", () => {
  assert.equal(expandVariables("${workspaceFolder}/x", host([], { workspaceFolder: undefined })), "${workspaceFolder}/x");
  assert.equal(expandVariables("${userHome}/m.gguf", host([])), "/home/me/m.gguf");
  assert.equal(expandVariables("a~b", host([])), "a~b");
});
