-- :checkhealth penna renders what `penna.status` answers, with a stand-in client (no server, no
-- model): one checkhealth per status given, so a field's line shows when present and only then.
--   nvim --headless -u NONE -l health_status.lua PLUGIN_DIR VAULT STATUSES_JSON
-- Prints `PENNA_RESULT {json}` with `checkhealth`, one text per status.
local plugin_dir, vault, statuses_json = unpack(arg)
local H = dofile(vim.fs.dirname(arg[0]) .. "/harness.lua")
local result = { ok = true, failures = {}, checkhealth = {} }

local ok, err = pcall(function()
  vim.opt.rtp:prepend(plugin_dir)
  vim.cmd("filetype plugin on")
  vim.cmd("runtime! plugin/penna.lua")
  require("penna").setup({ cmd = { "penna-not-installed", "serve" } })
  local statuses = vim.json.decode(statuses_json)
  local answer
  local client = {
    id = 1,
    attached_buffers = {},
    root_dir = vault,
    config = { settings = { penna = {} } },
    request_sync = function(_, method, params)
      assert(method == "workspace/executeCommand" and params.command == "penna.status", method)
      return { result = answer }
    end,
  }
  vim.lsp.get_clients = function(filter)
    return (filter or {}).name == "penna" and { client } or {}
  end
  for i, status in ipairs(statuses) do
    answer = status
    vim.cmd("tab checkhealth penna") -- in its own tab page, closed after, whatever the window holds
    assert(vim.wait(10000, function() return vim.bo.filetype == "checkhealth" end, 50), "checkhealth did not finish")
    result.checkhealth[i] = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    vim.cmd("tabclose")
  end
end)
H.finish(result, ok, err)
