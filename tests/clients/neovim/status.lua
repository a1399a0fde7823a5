-- The plugin follows the server's pushed status (`penna/status`): the `User PennaStatus`
-- autocommand fires, and `statusline()` says "penna: indexing" until the vault is indexed.
--   nvim --headless -u NONE -l status.lua PLUGIN_DIR VAULT NOTE SERVER_CMD_JSON MODEL
-- The model setting names a missing file: nothing is loaded. Prints `PENNA_RESULT {json}`.
local plugin_dir, vault, note, cmd_json, model = unpack(arg)
local H = dofile(vim.fs.dirname(arg[0]) .. "/harness.lua")
local result = { ok = true, failures = {}, pushes = 0, lines = {}, notifications = {} }

vim.notify = function(msg, level)
  table.insert(result.notifications, { msg = tostring(msg), level = level })
end

local ok, err = pcall(function()
  vim.opt.rtp:prepend(plugin_dir)
  vim.o.swapfile = false
  vim.cmd("filetype plugin on")
  vim.cmd("runtime! plugin/penna.lua")
  local penna = require("penna")
  penna.setup({ cmd = vim.json.decode(cmd_json), settings = { model = model } })
  vim.api.nvim_create_autocmd("User", {
    pattern = "PennaStatus",
    callback = function(args)
      result.pushes = result.pushes + 1
      assert(type(args.data.status) == "table", "the autocommand carries the status")
      table.insert(result.lines, penna.statusline())
    end,
  })
  vim.cmd.edit(vim.fs.joinpath(vault, note))
  local buf = vim.api.nvim_get_current_buf()
  assert(vim.wait(60000, function()
    local client = penna.client(buf)
    return client ~= nil and client.initialized
  end, 100), "no penna client attached within 60 s")
  -- Pushed, never asked: wait for a status saying the vault is indexed.
  local indexed = vim.wait(120000, function()
    local status = penna.status(buf)
    return status ~= nil and #(status.vaults or {}) == 1 and status.vaults[1].indexed == true
  end, 100)
  assert(indexed, "no pushed status with the vault indexed: " .. vim.inspect(penna.status(buf)))
  result.vault = penna.status(buf).vaults[1]
  -- Opening the note warmed the model up; the missing model's failure is pushed too.
  assert(vim.wait(120000, function()
    local status = penna.status(buf)
    return status.model and status.model.state == "error"
  end, 100), "no pushed status with the model failed: " .. vim.inspect(penna.status(buf)))
  result.final = penna.statusline(buf)
end)
H.finish(result, ok, err)
