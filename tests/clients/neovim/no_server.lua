-- The plugin without a server: commands exist and explain themselves, :checkhealth penna runs.
--   nvim --headless -u NONE -l no_server.lua PLUGIN_DIR
local plugin_dir = arg[1]
local result = { ok = true, failures = {}, notifications = {} }

vim.notify = function(msg, level)
  table.insert(result.notifications, { msg = tostring(msg), level = level })
end

local ok, err = pcall(function()
  vim.opt.rtp:prepend(plugin_dir)
  vim.cmd("filetype plugin on")
  vim.cmd("runtime! plugin/penna.lua")
  require("penna").setup({ cmd = { "penna-not-installed", "serve" } })

  for _, name in ipairs({ "PennaExpand", "PennaRephrase", "PennaVariants", "PennaContext", "PennaRestart" }) do
    assert(vim.fn.exists(":" .. name) == 2, name .. " is not defined")
  end
  assert(vim.lsp.config.penna.filetypes[1] == "markdown", "lsp/penna.lua not found on the runtimepath")

  local note = vim.fn.tempname() .. ".md"
  vim.fn.writefile({ "- a bullet" }, note)
  vim.cmd.edit(note)
  vim.cmd("PennaExpand")
  local said = vim.tbl_map(function(n) return n.msg end, result.notifications)
  assert(table.concat(said, "\n"):find("no penna server is attached", 1, true), vim.inspect(said))

  vim.cmd("checkhealth penna")
  vim.wait(10000, function() return vim.bo.filetype == "checkhealth" end, 50)
  result.checkhealth = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
end)
if not ok then
  table.insert(result.failures, tostring(err))
end
result.ok = #result.failures == 0
io.stdout:write("PENNA_RESULT " .. vim.json.encode(result) .. "\n")
os.exit(result.ok and 0 or 1)
