-- Warming on CursorHold (options.warm_on_hold) in real headless Neovim.
--   nvim --headless -u NONE -l warm.lua PLUGIN_DIR NOTE BLOCKS_NOTE
-- Not against the real server: the penna client's `cmd` is an in-process fake server (a Lua
-- function, `:h vim.lsp.ClientConfig`) that answers `initialize` and `textDocument/codeAction`,
-- never answers `workspace/executeCommand` (so a draft stays pending), and records every request
-- the plugin sends. CursorHold is fired with nvim_exec_autocmds, as Neovim fires it after
-- 'updatetime' in normal mode. Whether the sent ranges are what the server warms and what
-- :PennaExpand reads is checked by test_neovim.py with the server's own functions, from
-- `requests` and `blocks` (M.list_block on every line of BLOCKS_NOTE).
-- Prints `PENNA_RESULT {json}`.
local plugin_dir, note, blocks_note = unpack(arg)
local H = dofile(vim.fs.dirname(arg[0]) .. "/harness.lua")
local result = { ok = true, failures = {}, requests = {}, blocks = {} }

local function check(name, fn)
  H.check(result, name, fn)
end

local eq = H.eq

-- The fake server: every request and notification it receives, in order.
local received = {}
local function fake_server(dispatchers)
  local closing, id = false, 0
  return {
    request = function(method, params, callback, notify_reply)
      id = id + 1
      table.insert(received, { method = method, params = params })
      local answers = {
        initialize = { capabilities = { textDocumentSync = 2, codeActionProvider = true,
          executeCommandProvider = { commands = { "penna.expand" } } } },
        shutdown = vim.NIL,
        ["textDocument/codeAction"] = {},
      }
      if answers[method] ~= nil then
        local this = id
        vim.schedule(function()
          callback(nil, answers[method])
          if notify_reply then
            notify_reply(this)
          end
        end)
      end
      return true, id
    end,
    notify = function(method, params)
      table.insert(received, { method = method, params = params })
      if method == "exit" then
        closing = true
        dispatchers.on_exit(0, 15)
      end
      return true
    end,
    is_closing = function() return closing end,
    terminate = function() closing = true end,
  }
end

local function code_actions()
  return vim.tbl_filter(function(r) return r.method == "textDocument/codeAction" end, received)
end

local ok, err = pcall(function()
  vim.opt.rtp:prepend(plugin_dir)
  vim.o.swapfile = false
  vim.cmd("filetype plugin on")
  vim.cmd("runtime! plugin/penna.lua")
  local penna = require("penna")
  local preview = require("penna.preview")
  assert(penna.options.warm_on_hold == true, "warm_on_hold is on by default")
  penna.setup({ cmd = fake_server, completion = false })
  assert(penna.options.warm_on_hold == true, "setup() without it keeps warm_on_hold on")

  vim.cmd.edit(note)
  local buf = vim.api.nvim_get_current_buf()
  assert(vim.wait(10000, function()
    local client = penna.client(buf)
    return client ~= nil and client.initialized
  end, 20), "the penna client (fake server) did not attach")
  local client = penna.client(buf)
  local uri = vim.uri_from_bufnr(buf)

  -- CursorHold with the cursor on `row` (1-based); the codeAction requests it sent.
  local function hold(row)
    vim.api.nvim_win_set_cursor(0, { row, 0 })
    local before = #code_actions()
    vim.v.errmsg = ""
    vim.api.nvim_exec_autocmds("CursorHold", { buffer = vim.api.nvim_get_current_buf(), modeline = false })
    vim.wait(50) -- let a scheduled answer come back
    assert(vim.v.errmsg == "", "CursorHold raised: " .. vim.v.errmsg)
    local sent = vim.list_slice(code_actions(), before + 1)
    for _, r in ipairs(sent) do
      table.insert(result.requests, { params = r.params, row = row,
        text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n" })
    end
    return sent
  end

  local function lines_range(first, last) -- whole lines first..last (1-based), UTF-16 columns
    local text = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1]
    return { start = { line = first - 1, character = 0 },
      ["end"] = { line = last - 1, character = vim.str_utfindex(text, "utf-16") } }
  end

  local function find(needle)
    for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
      if line:find(needle, 1, true) then
        return i
      end
    end
    error("no line has " .. needle)
  end

  -- An edit outside the bullet blocks: a new changedtick.
  local function touch(suffix)
    local heading = find("# Morning walks")
    vim.api.nvim_buf_set_lines(buf, heading - 1, heading, false, { "# Morning walks" .. suffix })
  end

  local walk = find("- walking before work")
  local walk_last = find("and then I follow")
  local tea = find("* cold hands")
  local tea_last = find("* warm tea")

  check("CursorHold on a bullet sends one codeAction for its block", function()
    local sent = hold(walk)
    eq(#sent, 1, "requests")
    eq(sent[1].params.textDocument, { uri = uri }, "textDocument")
    eq(sent[1].params.range, lines_range(walk, walk_last), "range (the whole block, to its last line's end)")
    eq(sent[1].params.context.triggerKind, 2, "triggerKind (Automatic)")
    eq(sent[1].params.context.diagnostics, {}, "diagnostics")
    eq(sent[1].params.context.only, nil, "only")
  end)

  check("again in the same block, unchanged: nothing", function()
    eq(#hold(walk), 0, "same line")
    eq(#hold(walk + 1), 0, "another bullet of the block")
  end)

  check("another block sends again, and so does coming back", function()
    local sent = hold(tea)
    eq(#sent, 1, "requests for the other block")
    eq(sent[1].params.range, lines_range(tea, tea_last), "range of the other block")
    eq(#hold(tea_last), 0, "the other block, again")
    sent = hold(walk)
    eq(#sent, 1, "back to the first block")
    eq(sent[1].params.range, lines_range(walk, walk_last), "range of the first block")
  end)

  check("an edit (changedtick) sends again", function()
    touch(", edited") -- outside the block
    local sent = hold(walk)
    eq(#sent, 1, "requests after an edit elsewhere")
    eq(sent[1].params.range, lines_range(walk, walk_last), "range")
    -- The request follows the edit: the server gets didChange first.
    local last_change
    for i, r in ipairs(received) do
      if r.method == "textDocument/didChange" then
        last_change = i
      end
    end
    assert(last_change and received[last_change + 1] and received[last_change + 1].method == "textDocument/codeAction",
      "didChange was not flushed before the codeAction request")
    eq(#hold(walk), 0, "unchanged since")
    vim.api.nvim_buf_set_lines(buf, tea_last - 1, tea_last, false, { "* warm tea, then more" }) -- inside the block
    sent = hold(tea)
    eq(#sent, 1, "requests after an edit in the block")
    eq(sent[1].params.range, lines_range(tea, tea_last), "range after the edit")
  end)

  check("not a bullet line: nothing", function()
    touch(", edited again")
    eq(#hold(find("A paragraph of prose")), 0, "prose")
    eq(#hold(walk_last), 0, "a bullet's continuation line")
    eq(#hold(find("- inside a code fence")), 0, "a bullet-like line in a code fence")
    eq(#hold(find("- listed in the frontmatter")), 0, "a bullet-like line in the frontmatter")
    eq(#hold(find("# Morning walks")), 0, "a heading")
  end)

  check("not while a draft is pending in the buffer", function()
    vim.api.nvim_win_set_cursor(0, { tea, 0 })
    vim.cmd("PennaExpand") -- the fake server never answers: the draft stays pending
    assert(preview.get(buf), "no draft after :PennaExpand")
    eq(#hold(walk), 0, "a new block while the draft shows")
    preview.cancel(preview.get(buf), true)
    eq(#hold(walk), 1, "the same block once the draft is gone")
  end)

  check("not in normal mode: nothing", function()
    touch(", edited once more")
    vim.api.nvim_win_set_cursor(0, { walk, 0 })
    vim.cmd("normal! V") -- linewise visual, left on
    local before = #code_actions()
    vim.api.nvim_exec_autocmds("CursorHold", { buffer = buf, modeline = false })
    vim.cmd("normal! \27")
    eq(#code_actions() - before, 0, "in visual mode")
  end)

  check("warm_on_hold = false: nothing", function()
    local merged = vim.tbl_deep_extend("force", vim.deepcopy(penna.defaults), { warm_on_hold = false })
    eq(merged.warm_on_hold, false, "the option merges as setup() merges it")
    penna.options.warm_on_hold = false
    touch(", edited at last")
    eq(#hold(walk), 0, "a bullet, changed buffer, option off")
    eq(#hold(tea), 0, "another block, option off")
    penna.options.warm_on_hold = true
    eq(#hold(walk), 1, "the option back on")
  end)

  check("no penna client in the buffer: nothing", function()
    vim.cmd.enew()
    vim.bo.buftype = "nofile"
    vim.bo.filetype = "markdown" -- a scratch buffer: no file, so no client attaches
    vim.api.nvim_buf_set_lines(0, 0, -1, false, { "- one", "- two" })
    assert(penna.client(0) == nil, "a client attached to the scratch buffer")
    eq(#hold(1), 0, "a bullet without a client")
    vim.cmd.buffer(buf)
  end)

  -- The blocks the plugin finds, for every line of a note with the tricky cases.
  local lines = vim.fn.readfile(blocks_note)
  for row = 1, #lines do
    local first, last = penna.list_block(lines, row)
    result.blocks[row] = first and { first, last } or vim.NIL
  end
  assert(client)
end)
H.finish(result, ok, err)
