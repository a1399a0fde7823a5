-- The plugin without a server: commands exist and explain themselves, :checkhealth penna runs.
--   nvim --headless -u NONE -l no_server.lua PLUGIN_DIR
local plugin_dir = arg[1]
local H = dofile(vim.fs.dirname(arg[0]) .. "/harness.lua")
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

  -- The command argument from a charwise visual selection, in the client's encoding (UTF-16
  -- by default): "café au" on line 2 is characters 0..7 although it is 8 bytes.
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { "- a bullet", "café au lait" })
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  vim.cmd("normal! vee\27")
  local fake_client = { offset_encoding = "utf-16" }
  local penna = require("penna")
  local got = penna.arguments(0, fake_client, { range = 2, line1 = 2, line2 = 2 })
  assert(vim.deep_equal(got.range, { start = { line = 1, character = 0 }, ["end"] = { line = 1, character = 7 } }),
    "charwise range: " .. vim.inspect(got.range))
  -- Linewise (V, or :1,2PennaExpand): whole lines.
  vim.cmd("normal! ggVj\27")
  got = penna.arguments(0, fake_client, { range = 2, line1 = 1, line2 = 2 })
  assert(vim.deep_equal(got.range, { start = { line = 0, character = 0 }, ["end"] = { line = 1, character = 12 } }),
    "linewise range: " .. vim.inspect(got.range))
  -- No range: the cursor, as an empty range.
  vim.api.nvim_win_set_cursor(0, { 2, 6 })
  got = penna.arguments(0, fake_client, nil)
  assert(vim.deep_equal(got.range, { start = { line = 1, character = 5 }, ["end"] = { line = 1, character = 5 } }),
    "cursor range: " .. vim.inspect(got.range))
  assert(got.uri == vim.uri_from_bufnr(0) and type(got.version) == "number", vim.inspect(got))

  vim.cmd("checkhealth penna")
  vim.wait(10000, function() return vim.bo.filetype == "checkhealth" end, 50)
  result.checkhealth = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
end)
H.finish(result, ok, err)
