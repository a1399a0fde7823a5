-- What a writer meets in Neovim, with keys typed as a writer types them, against the real
-- server and model, with a plain `vim.lsp.enable("penna")` (no setup()).
-- Run by tests/clients/test_neovim.py as:
--   nvim --headless -u NONE -c "luafile writer.lua" (arguments in $PENNA_TEST_ARGS, JSON)
-- Steps run in a coroutine resumed from timers, so Neovim's main loop handles typed keys, LSP
-- answers and notifications between them as it does for a person.
-- Prints one line `PENNA_RESULT {json}` and exits non-zero when any check failed.

local args = vim.json.decode(vim.env.PENNA_TEST_ARGS)
local result = { ok = true, failures = {}, steps = {}, notifications = {} }

local function finish()
  result.ok = #result.failures == 0
  io.stdout:write("PENNA_RESULT " .. vim.json.encode(result) .. "\n")
  io.stdout:flush()
  os.exit(result.ok and 0 or 1)
end

vim.notify = function(msg, level)
  table.insert(result.notifications, { msg = tostring(msg), level = level })
end
-- Neovim's own window/showMessage handler echoes; record it as the writer would read it.
vim.lsp.handlers["window/showMessage"] = function(_, params)
  table.insert(result.notifications, { msg = "LSP: " .. params.message, level = params.type })
end

local function sleep(ms)
  local co = coroutine.running()
  vim.defer_fn(function() assert(coroutine.resume(co)) end, ms)
  coroutine.yield()
end

local function wait_until(fn, timeout_ms)
  local waited = 0
  while not fn() and waited < timeout_ms do
    sleep(50)
    waited = waited + 50
  end
  return fn()
end

local function keys(typed)
  vim.api.nvim_feedkeys(vim.keycode(typed), "t", false)
  sleep(120)
end

local function lines(buf)
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

local function text(buf)
  return table.concat(lines(buf), "\n")
end

local function find_line(buf, needle)
  for i, line in ipairs(lines(buf)) do
    if line:find(needle, 1, true) then
      return i
    end
  end
end

local function said(pattern)
  local found = {}
  for _, n in ipairs(result.notifications) do
    if n.msg:find(pattern, 1, true) then
      table.insert(found, n.msg)
    end
  end
  return found
end

local progress_log = vim.env.PENNA_TEST_PROGRESS and io.open(vim.env.PENNA_TEST_PROGRESS, "w")

-- PENNA_TEST_ONLY="hover,stitch" runs only those steps (for debugging one of them).
local only = vim.env.PENNA_TEST_ONLY and vim.split(vim.env.PENNA_TEST_ONLY, ",", { plain = true })

local function step(name, fn)
  if only and not vim.list_contains(only, name) then
    return
  end
  if progress_log then
    progress_log:write(os.date("!%H:%M:%S "), name, "\n")
    progress_log:flush()
  end
  local ok, err = pcall(fn)
  if not ok then
    table.insert(result.failures, name .. ": " .. tostring(err))
  end
  vim.cmd("stopinsert")
  sleep(100)
end

local GENERATION_MS = 600000 -- a loaded 2-core machine took over 5 min for one generation

local function main()
  vim.opt.rtp:prepend(args.plugin)
  vim.o.swapfile = false
  vim.cmd("filetype plugin on")
  vim.cmd("runtime! plugin/penna.lua")
  vim.lsp.config("penna", { cmd = args.cmd, settings = { penna = args.settings } })
  vim.lsp.enable("penna")

  vim.cmd.edit(vim.fs.joinpath(args.vault, args.note))
  local buf = vim.api.nvim_get_current_buf()
  local client
  wait_until(function()
    client = require("penna").client(buf)
    return client ~= nil and client.initialized
  end, 60000)
  assert(client, "no penna client attached within 60 s")
  local preview = require("penna.preview")
  -- Completion lists what is indexed: wait until penna.status says the vault is.
  local indexed = wait_until(function()
    local response = client:request_sync("workspace/executeCommand",
      { command = "penna.status", arguments = { vim.empty_dict() } }, 5000, buf)
    local status = response and response.result
    result.steps.status_vaults = status and status.vaults
    return status and status.vaults and #status.vaults > 0 and status.vaults[1].indexed == true
  end, 60000)
  assert(indexed, "the vault was not indexed within 60 s")
  result.steps.global_completeopt = vim.go.completeopt
  result.steps.buffer_completeopt = vim.bo[buf].completeopt

  -- 1. Completion never types for the writer.
  step("link completion", function()
    vim.api.nvim_win_set_cursor(0, { find_line(buf, "## Links"), 0 })
    keys("oSee also [[")
    assert(wait_until(function() return vim.fn.pumvisible() == 1 end, 10000), "no completion menu after [[")
    result.steps.link_selected = vim.fn.complete_info({ "selected" }).selected
    sleep(500) -- the pause of the report
    keys("Sta")
    result.steps.link_typed = vim.api.nvim_get_current_line()
    keys("<Esc>")
    keys("oMore on [[Sta")
    assert(wait_until(function() return vim.fn.pumvisible() == 1 end, 10000), "no menu for [[Sta")
    keys("<C-n><C-y>")
    result.steps.link_accepted = vim.api.nvim_get_current_line()
    keys("<Esc>")
  end)
  step("heading, not tag", function()
    keys("o# Method")
    sleep(500)
    result.steps.heading_line = vim.api.nvim_get_current_line()
    keys("<Esc>")
  end)
  step("tag order", function()
    keys("oFiled under #")
    assert(wait_until(function() return vim.fn.pumvisible() == 1 end, 10000), "no tag menu after #")
    result.steps.tags = vim.tbl_map(function(i) return i.word end, vim.fn.complete_info({ "items" }).items)
    keys("<Esc>")
    vim.cmd("undo")
  end)

  -- 5. Hover answers at once with the style part; the rephrasing follows and re-opens it.
  step("hover", function()
    vim.api.nvim_win_set_cursor(0, { find_line(buf, "delve into"), 4 })
    local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
    local first = client:request_sync("textDocument/hover", params, 5000, buf)
    assert(first and first.result, "no hover")
    result.steps.hover_first = first.result.contents.value
    vim.lsp.buf.hover()
    assert(wait_until(function() return vim.b[buf].penna_hover_ready ~= nil end, GENERATION_MS),
      "no penna/hoverReady notification")
    local function float_text()
      local shown = vim.b[buf].lsp_floating_preview
      if not (shown and vim.api.nvim_win_is_valid(shown)) then
        return ""
      end
      return table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(shown), 0, -1, false), "\n")
    end
    -- The plugin re-opens the hover on penna/hoverReady: wait for the re-opened float, not a fixed time.
    wait_until(function() return float_text():find("In your voice", 1, true) ~= nil end, 30000)
    local again = client:request_sync("textDocument/hover", params, 5000, buf)
    result.steps.hover_ready = again.result.contents.value
    result.steps.hover_float = float_text()
    local float = vim.b[buf].lsp_floating_preview
    if float and vim.api.nvim_win_is_valid(float) then
      vim.api.nvim_win_close(float, true)
    end
    local aparams = vim.lsp.util.make_range_params(0, client.offset_encoding)
    aparams.context = { diagnostics = {}, triggerKind = 1 }
    local actions = client:request_sync("textDocument/codeAction", aparams, 5000, buf)
    result.steps.actions_after_hover = vim.tbl_map(function(a) return a.title end, actions.result or {})
  end)

  -- 6. A quick fix names its phrase and rewrites that phrase's sentence.
  step("quick fix", function()
    local row = find_line(buf, "delve into")
    assert(wait_until(function() return #vim.diagnostic.get(buf, { lnum = row - 1 }) > 0 end, 10000), "no diagnostic")
    vim.api.nvim_win_set_cursor(0, { row, 4 })
    local diagnostics = vim.tbl_map(function(d) return d.user_data.lsp end, vim.diagnostic.get(buf, { lnum = row - 1 }))
    local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
    params.context = { diagnostics = diagnostics, triggerKind = 1, only = { "quickfix" } }
    local response = client:request_sync("textDocument/codeAction", params, 5000, buf)
    local fixes = {}
    for _, a in ipairs(response.result or {}) do
      if a.kind == "quickfix" then
        local range = a.command and a.command.arguments[1].range
        local line = lines(buf)[range.start.line + 1]
        table.insert(fixes, { title = a.title, target = line:sub(range.start.character + 1, range["end"].character) })
      end
    end
    result.steps.quick_fixes = fixes
  end)

  -- 3. Expand shows a growing draft under the bullets; the buffer changes only on accept.
  step("draft accept", function()
    local before = text(buf)
    vim.api.nvim_win_set_cursor(0, { find_line(buf, "- walking before work"), 2 })
    local progress = {}
    vim.api.nvim_create_autocmd("LspProgress", {
      callback = function(ev) table.insert(progress, ev.data.params.value.kind) end,
    })
    vim.cmd("PennaExpand")
    local ns = vim.api.nvim_get_namespaces().penna_preview
    local grew = {}
    local done = wait_until(function()
      local draft = preview.get(buf)
      local marks = vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })
      if marks[1] and marks[1][4].virt_lines then
        local shown = #marks[1][4].virt_lines
        if grew[#grew] ~= shown then table.insert(grew, shown) end
      end
      return draft and draft.text ~= nil
    end, GENERATION_MS)
    assert(done, "the draft never finished")
    result.steps.draft_sizes = grew
    result.steps.draft_unchanged_before_accept = text(buf) == before
    result.steps.draft_progress = progress
    keys("<Tab>")
    result.steps.draft_accepted = text(buf) ~= before and find_line(buf, "- walking before work") == nil
    result.steps.draft_cleared = preview.get(buf) == nil
      and #vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, {}) == 0
  end)

  -- 3. <Esc> in the preview cancels: nothing is written.
  step("draft cancel", function()
    local before = text(buf)
    vim.api.nvim_win_set_cursor(0, { find_line(buf, "I keep a notebook"), 2 })
    vim.cmd("PennaRephrase")
    sleep(1500)
    keys("<Esc>")
    sleep(3000)
    result.steps.cancel_unchanged = text(buf) == before
    result.steps.cancel_cleared = preview.get(buf) == nil
    result.steps.cancel_said = said("draft cancelled")
  end)

  -- 2. The text changed while penna wrote: the result goes to a register, said once.
  step("refused result", function()
    vim.fn.setreg("p", "")
    local row = find_line(buf, "- cold hands, warm tea")
    vim.api.nvim_win_set_cursor(0, { row, 2 })
    local count = #result.notifications
    vim.cmd("PennaExpand")
    -- Edit the bullet once the model is writing it (the first partial text has arrived).
    assert(wait_until(function()
      local draft = preview.get(buf)
      return draft == nil or draft.partials[1] ~= ""
    end, GENERATION_MS), "the model never started writing")
    vim.api.nvim_buf_set_text(buf, row - 1, 2, row - 1, 2, { "very " })
    result.steps.refused_edited = lines(buf)[row]
    local settled = wait_until(function()
      local draft = preview.get(buf)
      return draft == nil or draft.text ~= nil
    end, GENERATION_MS)
    assert(settled, "still writing")
    if preview.get(buf) then
      -- The server finished before it saw the edit: accepting finds the bullet changed.
      result.steps.refused_by = "client"
      keys("<Tab>")
    else
      result.steps.refused_by = "server"
    end
    sleep(500)
    local new = vim.list_slice(result.notifications, count + 1)
    result.steps.refused_messages = vim.tbl_map(function(n) return n.msg end, new)
    result.steps.refused_register = vim.fn.getreg("p")
    result.steps.refused_kept_edit = lines(buf)[row] == "- very cold hands, warm tea"
  end)

  -- 4. Three variants stitched sentence by sentence, then accepted. Only sentences where the
  -- variants differ are asked about; a sentence every variant has is taken.
  step("stitch", function()
    local row = find_line(buf, "I keep a notebook")
    vim.api.nvim_win_set_cursor(0, { row, 2 })
    local asked = {}
    vim.ui.select = function(choices, opts, on_choice)
      -- The first question: variant 2's sentence (else leave it out); later ones: the note's own.
      local pick = choices[#choices]
      for _, c in ipairs(choices) do
        if vim.list_contains(c.sources or {}, #asked == 0 and 2 or 0) then
          pick = c
          break
        end
      end
      table.insert(asked, { prompt = opts.prompt, count = #choices,
        position = tonumber(opts.prompt:match("sentence (%d+) of")),
        texts = vim.tbl_map(function(c) return c.text or "(out)" end, choices), picked = pick.text or false })
      vim.schedule(function() on_choice(pick) end)
    end
    local count = #result.notifications
    vim.cmd("PennaVariants")
    wait_until(function()
      local d = preview.get(buf)
      return d == nil or d.text ~= nil
    end, GENERATION_MS)
    local draft = preview.get(buf)
    assert(draft, "no stitched draft; said: " .. vim.inspect(vim.list_slice(result.notifications, count + 1)))
    local s = draft.result.sentences
    local at = {}
    for _, a in ipairs(asked) do
      at[a.position or -1] = a
    end
    local positions = #s.note
    for _, list in ipairs(s.variants) do
      positions = math.max(positions, #list)
    end
    local expected, differing = {}, {}
    for i = 1, positions do
      local here = {}
      for _, list in ipairs(s.variants) do
        if list[i] and not vim.list_contains(here, list[i]) then
          table.insert(here, list[i])
        end
      end
      if #here == 1 then
        table.insert(expected, here[1])
      else
        table.insert(differing, i)
        if at[i] and at[i].picked then
          table.insert(expected, at[i].picked)
        end
      end
    end
    local variants = draft.result.variants
    local expected_text = table.concat(expected, " ")
    if #differing == 0 and variants[1] == variants[2] and variants[2] == variants[3] then
      expected_text = variants[1] -- nothing differed: the variants' own text
    end
    result.steps.stitch_prompts = asked
    result.steps.stitch_differing = differing
    result.steps.stitch_expected = expected_text
    result.steps.stitch_text = draft.text
    vim.cmd("PennaAccept")
    result.steps.stitch_in_buffer = find_line(buf, vim.split(expected_text, "\n", { plain = true })[1]) ~= nil
  end)

  -- 1. Prose continuation on <C-x><C-o>: it comes, or penna says why not (and then it comes).
  step("continuation", function()
    local row = find_line(buf, "cold hands, warm tea")
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    keys("o<CR>The walk ends at the gate. ")
    local count = #result.notifications
    local items = {}
    local tries = 0
    repeat
      tries = tries + 1
      keys("<C-x><C-o>")
      wait_until(function() return vim.fn.pumvisible() == 1 end, 8000)
      items = vim.fn.pumvisible() == 1 and vim.fn.complete_info({ "items" }).items or {}
      if #items == 0 then
        if vim.fn.pumvisible() == 1 then
          keys("<C-e>")
        end
        sleep(4000)
      end
    until #items > 0 or tries >= 30
    result.steps.continuation_items = vim.tbl_map(function(i) return i.word end, items)
    result.steps.continuation_tries = tries
    result.steps.continuation_said = vim.tbl_map(function(n) return n.msg end,
      vim.list_slice(result.notifications, count + 1))
    keys("<Esc>")
  end)

  -- 6. :checkhealth penna: no profile note in this vault, so it suggests one.
  step("checkhealth", function()
    vim.cmd("checkhealth penna")
    local hb
    wait_until(function()
      hb = vim.api.nvim_get_current_buf()
      return vim.bo[hb].filetype == "checkhealth"
    end, 30000)
    result.steps.checkhealth = text(hb)
    vim.cmd("tabclose")
  end)
  client:stop()
end

vim.schedule(function()
  local co = coroutine.create(function()
    local ok, err = pcall(main)
    if not ok then
      table.insert(result.failures, "script: " .. tostring(err))
    end
    finish()
  end)
  assert(coroutine.resume(co))
end)
