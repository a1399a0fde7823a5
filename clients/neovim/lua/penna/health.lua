-- :checkhealth penna: is the server installed, is it running here, is its model ready.
local M = {}

local health = vim.health

-- `penna --version` from the configured command: the part before `serve`, so
-- { "/venv/bin/python", "-m", "penna", "serve" } asks the same interpreter.
local function version_cmd(cmd)
  local out = {}
  for _, part in ipairs(cmd) do
    if part == "serve" then
      break
    end
    out[#out + 1] = part
  end
  out[#out + 1] = "--version"
  return out
end

local function check_server()
  health.start("penna: server")
  if vim.fn.has("nvim-0.11") == 0 then
    health.error("Neovim 0.11 or newer is needed", { "Upgrade Neovim" })
    return
  end
  local config = vim.lsp.config.penna
  if not config then
    health.error("no `penna` LSP config found", { "Put clients/neovim on the runtimepath" })
    return
  end
  local cmd = config.cmd
  if type(cmd) == "function" then
    health.info("cmd is a function (custom transport); the server binary is not checked")
    return
  end
  if type(cmd) ~= "table" or type(cmd[1]) ~= "string" then
    health.error("cmd must be a list of strings, got " .. vim.inspect(cmd))
    return
  end
  local exe = vim.fn.exepath(cmd[1])
  if exe == "" then
    health.error(("server command not found: %s"):format(cmd[1]), {
      "Install the server: pip install penna",
      'Or point at it: require("penna").setup({ cmd = { "/path/to/venv/bin/penna", "serve" } })',
    })
    return
  end
  local ok, result = pcall(function()
    return vim.system(version_cmd(cmd), { text = true }):wait(15000)
  end)
  if not ok or result.code ~= 0 then
    local why = ok and vim.trim((result.stderr or "") .. (result.stdout or "")) or tostring(result)
    health.error(("`%s` failed: %s"):format(table.concat(version_cmd(cmd), " "), why))
    return
  end
  health.ok(("%s (%s)"):format(vim.trim(result.stdout), table.concat(cmd, " ")))
  if vim.lsp.is_enabled("penna") then
    health.ok("the penna config is enabled for " .. table.concat(config.filetypes or { "all" }, ", "))
  else
    health.warn("the penna config is not enabled", { 'Call require("penna").setup() in your config' })
  end
end

local function check_model(model)
  local name = model.name or model.setting or "?"
  if model.state == "ready" then
    health.ok(("model ready: %s%s"):format(name, model.path and (" (" .. model.path .. ")") or ""))
  elseif model.state == "error" or model.error then
    health.error(("model unavailable: %s"):format(model.error or "unknown error"), {
      "Check the `model` setting (a .gguf path, `ollama:NAME:TAG`, or `default`)",
    })
  else
    -- Loaded on first use; nothing is wrong yet.
    health.info(("model %s: %s"):format(model.state or "state unknown", name))
  end
  -- How the model turns a note into a sentence (its trial on this vault, once run).
  if type(model.drafting) == "string" and model.drafting ~= "" then
    health.info(("drafting: %s"):format(model.drafting))
  end
end

-- The profile note (settings.profileNote, default "About me.md") tells the model who writes.
local function check_profile_note(client, vault)
  local settings = vim.tbl_get(client.config, "settings", "penna") or {}
  local name = type(settings.profileNote) == "string" and settings.profileNote ~= "" and settings.profileNote
    or "About me.md"
  if vim.uv.fs_stat(vim.fs.joinpath(vault, name)) then
    health.ok(("profile note: %s"):format(name))
  else
    -- vim.health.info takes no advice list (only warn and error do), so the suggestion is its own line.
    health.info(("no profile note (%s) in %s"):format(name, vault))
    health.info(("Create `%s` in the vault: a few lines on who you are and what you write; penna tells the model")
      :format(name))
  end
end

local function check_vaults(client, status)
  local vaults = status.vaults or {}
  if #vaults == 0 then
    health.warn("no vault is open yet", { "Open a note inside your vault" })
  end
  for _, v in ipairs(vaults) do
    local counts = ("%s notes"):format(v.notes or "?")
    if v.written or v.read then
      counts = counts .. (" (%s written, %s read)"):format(v.written or "?", v.read or "?")
    end
    if v.indexed == false or (v.indexed == nil and status.indexing) then
      health.warn(("vault %s: still indexing, %s so far"):format(v.path, counts),
        { "Answers use what is indexed so far; run :checkhealth penna again in a moment" })
    else
      health.ok(("vault %s: %s indexed"):format(v.path, counts))
    end
    for _, suggestion in ipairs(v.collected or {}) do
      health.warn(("%s: %d notes look collected, not written by you (%s)"):format(
        suggestion.folder, suggestion.notes or 0, suggestion.why or "pasted text"), {
        ('If so, add it to readingFolders: settings = { readingFolders = { ..., "%s" } }'):format(suggestion.folder),
      })
    end
    check_profile_note(client, v.path)
  end
end

local function check_clients()
  health.start("penna: language server")
  local clients = vim.lsp.get_clients({ name = "penna" })
  if #clients == 0 then
    health.warn("no penna client is running", { "Open a Markdown note in your vault, then run :checkhealth penna again" })
    return
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_count(client.attached_buffers)
    health.ok(("client %d attached to %d buffer(s), root %s"):format(client.id, buffers, client.root_dir or "(none)"))
    local response, err = client:request_sync("workspace/executeCommand", {
      command = "penna.status",
      arguments = { vim.empty_dict() },
    }, 5000)
    if not response or response.err then
      health.warn("penna.status failed: " .. tostring(err or (response and response.err.message)))
    else
      local status = response.result or {}
      check_model(status.model or {})
      check_vaults(client, status)
    end
  end
end

function M.check()
  check_server()
  check_clients()
end

return M
