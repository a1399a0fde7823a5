-- Headless end-to-end check of the penna Neovim plugin against the real server and model.
-- Run by tests/clients/test_neovim.py as:
--   nvim --headless -u NONE -l e2e.lua PLUGIN_DIR VAULT NOTE SERVER_CMD_JSON EXPECTED_TITLES_JSON
-- Prints one line `PENNA_RESULT {json}` and exits non-zero when any check failed.

local plugin_dir, vault, note, cmd_json, titles_json = unpack(arg)
local server_cmd = vim.json.decode(cmd_json)
local expected_titles = vim.json.decode(titles_json)

local result = { ok = true, failures = {}, steps = {}, notifications = {} }

local function finish()
  result.ok = #result.failures == 0
  io.stdout:write("PENNA_RESULT " .. vim.json.encode(result) .. "\n")
  io.stdout:flush()
  os.exit(result.ok and 0 or 1)
end

local function fail(step, message)
  table.insert(result.failures, step .. ": " .. message)
end

-- Run a step; a Lua error in it is a failure of that step, not a crash of the script.
local function step(name, fn)
  local ok, err = pcall(fn)
  if not ok then
    fail(name, tostring(err))
  end
end

-- Messages from the plugin and from Neovim's LSP handlers (showMessage, apply errors).
vim.notify = function(msg, level)
  table.insert(result.notifications, { msg = tostring(msg), level = level })
end

-- Stitching asks with vim.ui.select; a headless run has nobody to answer, so stop it.
vim.ui.select = function(_, _, on_choice)
  vim.schedule(function() on_choice(nil) end)
end

-- A draft shows under the notes until accepted: wait for it to be written, then accept it.
local function accept_draft(buf, timeout)
  local preview = require("penna.preview")
  local written = vim.wait(timeout, function()
    local draft = preview.get(buf)
    return draft ~= nil and draft.text ~= nil
  end, 200)
  assert(written, "the draft was not written within " .. timeout / 1000 .. " s")
  assert(preview.accept(), "the draft could not be accepted")
end

local function lines(buf)
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

local function bullet_lines(buf, first, last)
  local found = {}
  for i, line in ipairs(lines(buf)) do
    if i >= first and i <= last and line:match("^%s*[-*+] ") then
      table.insert(found, line)
    end
  end
  return found
end

local function find_line(buf, pattern)
  for i, line in ipairs(lines(buf)) do
    if line:find(pattern, 1, true) then
      return i
    end
  end
end

-- Prose: a non-bullet line of several words between two markers (heading lines).
local function prose_between(buf, from_marker, to_marker)
  local first, last = find_line(buf, from_marker), find_line(buf, to_marker)
  if not first or not last then
    return nil
  end
  local words = 0
  for i = first + 1, last - 1 do
    local line = lines(buf)[i]
    if not line:match("^%s*[-*+] ") then
      words = words + select(2, line:gsub("%S+", ""))
    end
  end
  return words, first, last
end

vim.opt.rtp:prepend(plugin_dir)
vim.o.swapfile = false
vim.cmd("filetype plugin on")
vim.cmd("runtime! plugin/penna.lua")
require("penna").setup({ cmd = server_cmd })

vim.cmd.edit(vim.fs.joinpath(vault, note))
local buf = vim.api.nvim_get_current_buf()

local client
vim.wait(60000, function()
  client = require("penna").client(buf)
  return client ~= nil and client.initialized
end, 100)
if not client then
  fail("attach", "no penna client attached within 60 s")
  finish()
end
result.steps.attach = { client_id = client.id, root_dir = client.root_dir }
result.steps.completion_enabled = vim.b[buf].penna_completion == true
if not result.steps.completion_enabled then
  fail("completion", "built-in completion was not enabled on LspAttach")
end

local GENERATION_MS = 300000

-- 1. The code action, applied exactly as Neovim applies a chosen action.
step("code action", function()
  local row = find_line(buf, "- walking before work")
  vim.api.nvim_win_set_cursor(0, { row, 3 })
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = {}, triggerKind = 1 }
  local response = assert(client:request_sync("textDocument/codeAction", params, 10000, buf), "no answer")
  assert(not response.err, vim.inspect(response.err))
  local titles = vim.tbl_map(function(a) return a.title end, response.result or {})
  result.steps.code_action_titles = titles
  assert(vim.tbl_contains(titles, "Expand bullets into prose"), "no expand action in " .. vim.inspect(titles))

  local started = vim.uv.hrtime()
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(a) return a.title == "Expand bullets into prose" end,
  })
  accept_draft(buf, GENERATION_MS)
  local done = vim.wait(GENERATION_MS, function()
    return #bullet_lines(buf, 1, find_line(buf, "## Later") or 1) == 0
  end, 200)
  assert(done, "bullets still there after " .. GENERATION_MS / 1000 .. " s: " .. table.concat(lines(buf), "\n"))
  local words = prose_between(buf, "# Morning walks", "## Later")
  result.steps.code_action = { seconds = (vim.uv.hrtime() - started) / 1e9, prose_words = words }
  assert(words and words >= 5, "no prose where the bullets were: " .. table.concat(lines(buf), "\n"))
  assert(find_line(buf, "I keep a notebook"), "the paragraph after the bullets was damaged")
end)

-- 2. Hover on a prose paragraph.
step("hover", function()
  local row = assert(find_line(buf, "I keep a notebook"))
  vim.api.nvim_win_set_cursor(0, { row, 5 })
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local response = assert(client:request_sync("textDocument/hover", params, 30000, buf), "no answer")
  assert(not response.err, vim.inspect(response.err))
  local contents = response.result and response.result.contents
  local text = type(contents) == "table" and (contents.value or vim.inspect(contents)) or tostring(contents)
  result.steps.hover = text
  assert(contents and #vim.trim(text) > 0, "empty hover")
end)

-- 3. `[[` completion lists the vault's note titles.
step("completion", function()
  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_buf_set_lines(buf, last, last, false, { "", "See [[" })
  -- Where the insert-mode cursor is after typing `[[` (normal mode cannot sit past the end).
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = last + 1, character = #"See [[" },
    context = { triggerKind = 2, triggerCharacter = "[" },
  }
  local response = assert(client:request_sync("textDocument/completion", params, 10000, buf), "no answer")
  assert(not response.err, vim.inspect(response.err))
  local items = response.result and (response.result.items or response.result) or {}
  local labels = vim.tbl_map(function(i) return i.label end, items)
  result.steps.completion = labels
  for _, title in ipairs(expected_titles) do
    assert(vim.tbl_contains(labels, title), ("%q not among %s"):format(title, vim.inspect(labels)))
  end
  vim.api.nvim_buf_set_lines(buf, last, -1, false, {})
end)

-- 4. :PennaContext opens the context read-only beside the note.
step("context", function()
  vim.api.nvim_win_set_cursor(0, { assert(find_line(buf, "- the kettle")), 2 })
  vim.cmd("PennaContext")
  local ctx
  vim.wait(60000, function()
    ctx = vim.fn.bufnr("penna://context/")
    return ctx ~= -1 and #lines(ctx) > 3
  end, 100)
  assert(ctx ~= -1, "no context buffer opened")
  result.steps.context = { lines = #lines(ctx), first = lines(ctx)[1] }
  assert(#lines(ctx) > 3, "context buffer is (nearly) empty")
  assert(not vim.bo[ctx].modifiable and vim.bo[ctx].buftype == "nofile", "context buffer is not a read-only scratch")
  vim.cmd("close")
  vim.api.nvim_set_current_buf(buf)
end)

-- 5. :PennaExpand on the second bullet block (the executeCommand + workspace/applyEdit path).
step("PennaExpand", function()
  local row = assert(find_line(buf, "- the kettle"))
  vim.api.nvim_win_set_cursor(0, { row, 2 })
  local started = vim.uv.hrtime()
  vim.cmd("PennaExpand")
  accept_draft(buf, GENERATION_MS)
  local later = assert(find_line(buf, "## Later"))
  local done = vim.wait(GENERATION_MS, function()
    return #bullet_lines(buf, later, vim.api.nvim_buf_line_count(buf)) == 0
  end, 200)
  assert(done, "bullets still there: " .. table.concat(lines(buf), "\n"))
  -- The second block is the note's tail, after the notebook paragraph.
  local tail = table.concat(vim.list_slice(lines(buf), assert(find_line(buf, "I keep a notebook")) + 1), " ")
  local words = select(2, tail:gsub("%S+", ""))
  result.steps.penna_expand = { seconds = (vim.uv.hrtime() - started) / 1e9, prose_words = words }
  assert(words >= 5, "no prose where the second bullets were")
end)

-- 6. :PennaCancel stops a running generation and nothing is applied.
step("cancel", function()
  local row = assert(find_line(buf, "I keep a notebook"))
  vim.api.nvim_win_set_cursor(0, { row, 3 })
  local before = table.concat(lines(buf), "\n")
  local penna = require("penna")
  local reports = 0
  vim.api.nvim_create_autocmd("LspProgress", {
    callback = function(ev)
      local value = ev.data.params.value
      if value.kind == "report" then reports = reports + 1 end
      if value.kind == "end" then result.steps.cancel_progress_end = value.message end
    end,
  })
  vim.cmd("PennaVariants")
  assert(penna.busy(), "no generation started")
  -- Cancel once the server reports partial text, i.e. while the model is writing.
  local writing = vim.wait(120000, function() return reports > 0 end, 10)
  result.steps.cancel_while_writing = writing
  vim.cmd("PennaCancel")
  local stopped = vim.wait(30000, function() return not penna.busy() end, 50)
  assert(stopped, "still busy 30 s after :PennaCancel")
  vim.wait(1000) -- an edit arriving late would land now
  local said = table.concat(vim.tbl_map(function(n) return n.msg end, result.notifications), "\n")
  result.steps.cancel = said
  assert(said:find("penna: cancelled", 1, true), "no cancellation reported: " .. said)
  assert(table.concat(lines(buf), "\n") == before, "the buffer changed after cancelling")
end)

-- 7. :checkhealth penna, with the server attached and the model loaded.
step("checkhealth", function()
  vim.cmd("checkhealth penna")
  local hb
  vim.wait(30000, function()
    hb = vim.api.nvim_get_current_buf()
    return vim.bo[hb].filetype == "checkhealth"
  end, 100)
  local text = table.concat(lines(hb), "\n")
  result.steps.checkhealth = text
  assert(vim.bo[hb].filetype == "checkhealth", "checkhealth did not finish")
  assert(text:find("OK", 1, true), "no OK in checkhealth")
  assert(not text:find("ERROR", 1, true), "ERROR in checkhealth")
  assert(text:find("model ready", 1, true), "model not reported ready")
  vim.cmd("tabclose")
end)

-- 8. :PennaRestart brings up a new client for the open note.
step("restart", function()
  local old = client.id
  vim.api.nvim_set_current_buf(buf)
  vim.cmd("PennaRestart")
  local new
  vim.wait(30000, function()
    new = require("penna").client(buf)
    return new ~= nil and new.id ~= old and new.initialized
  end, 100)
  assert(new and new.id ~= old, "no new client after :PennaRestart")
  result.steps.restart = { old = old, new = new.id }
  new:stop()
end)

finish()
