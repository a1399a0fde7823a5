-- penna for Neovim 0.11+: setup, and what the commands and autocommands of plugin/penna.lua
-- call. Every writing behaviour lives in the server (docs/protocol.md); this file sends requests
-- and shows answers (drafts are in penna/preview.lua).

local M = {}

M.defaults = {
  cmd = nil, -- e.g. { "/path/to/venv/bin/penna", "serve" }; default from lsp/penna.lua
  vault = nil, -- notes under this folder use it as the workspace root, whatever the markers
  settings = {}, -- the `penna` settings section (docs/protocol.md), e.g. { model = "~/m.gguf" }
  completion = true, -- built-in LSP completion with autotrigger in penna buffers
  progress = true, -- echo generation progress in the command line
  preview = true, -- show drafts under the notes and write them only when accepted
  keys = { accept = "<Tab>", cancel = "<Esc>" }, -- normal-mode keys while a draft shows
  register = "p", -- where a result that could not be written is kept
  warm_on_hold = true, -- CursorHold on bullets asks for their code actions: the server warms expand
}
M.options = vim.deepcopy(M.defaults)

-- Tokens of running work-done progress (to cancel), and our own requests in flight.
local progress_tokens = {} ---@type table<any, {client_id: integer, title: string}>
local inflight = {} ---@type table<integer, vim.lsp.Client> request id -> client

-- One message, one prefix: the server's messages may already start with "penna: ".
local function notify(msg, level)
  msg = tostring(msg):gsub("^penna: ", "")
  vim.notify("penna: " .. msg, level or vim.log.levels.INFO)
end
M.notify = notify

local last_kept = nil ---@type string?

--- `penna/result`: the server kept a result it could not apply; the command's answer, which
--- carries the same text, then says nothing more.
function M.on_result_kept(params)
  if type(params) == "table" and type(params.text) == "string" and params.text ~= "" then
    M.keep(params.text, params.message or "nothing was replaced")
  end
end

--- A result that could not be written: into the register, and say so once.
function M.keep(text, why)
  if text == last_kept then
    return
  end
  last_kept = text
  vim.defer_fn(function()
    if last_kept == text then
      last_kept = nil
    end
  end, 5000)
  local register = M.options.register or "p"
  vim.fn.setreg(register, text)
  why = why:gsub("; the text is kept here%.?$", ""):gsub("[.;]%s*$", "")
  notify(('%s; the text is in register %s (paste with "%sp)'):format(why, register, register),
    vim.log.levels.WARN)
end

---@param bufnr integer?
---@return vim.lsp.Client?
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = "penna" })[1]
end

-- An empty Lua table encodes as a JSON array; the server wants an object.
local function object(t)
  return next(t) == nil and vim.empty_dict() or t
end

local function root_dir_for(vault)
  vault = vim.fs.normalize(vim.fn.fnamemodify(vim.fn.expand(vault), ":p")):gsub("/$", "")
  return function(bufnr, on_dir)
    local name = vim.fs.normalize(vim.api.nvim_buf_get_name(bufnr))
    if vim.startswith(name, vault .. "/") then
      on_dir(vault)
    else
      -- Outside the vault: behave as without one (markers, else the server's own fallback).
      on_dir(vim.fs.root(bufnr, vim.lsp.config.penna.root_markers or { ".obsidian", ".git" }))
    end
  end
end

-- LspAttach (plugin/penna.lua): completion that never inserts unasked. `noselect` whatever the
-- global 'completeopt' says, so a pause after `[[` or `#` never types the first item.
function M.on_attach(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= "penna" then
    return
  end
  if M.options.completion and vim.lsp.completion then
    local opts = vim.split(vim.go.completeopt, ",", { trimempty = true })
    opts = vim.tbl_filter(function(o) return o ~= "longest" and o ~= "preinsert" and o ~= "menu" end, opts)
    for _, wanted in ipairs({ "menuone", "noselect" }) do
      if not vim.list_contains(opts, wanted) then
        table.insert(opts, wanted)
      end
    end
    vim.bo[args.buf].completeopt = table.concat(opts, ",")
    vim.lsp.completion.enable(true, client.id, args.buf, { autotrigger = true })
    vim.b[args.buf].penna_completion = true
  end
end

-- LspProgress (plugin/penna.lua): remember cancellable work, echo it unless a draft shows it.
function M.on_progress(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  local params = args.data.params
  if not client or client.name ~= "penna" or type(params.value) ~= "table" then
    return
  end
  local value = params.value
  local running = progress_tokens[params.token]
  if value.kind == "begin" then
    running = { client_id = client.id, title = value.title or "penna" }
    progress_tokens[params.token] = running
  elseif value.kind == "end" then
    progress_tokens[params.token] = nil
  end
  local preview = require("penna.preview")
  if M.options.progress and not preview.get() then
    local text = (running and running.title or "penna") .. ": " .. (value.message or "")
    -- The message is the partial text: keep the last line's worth so the echo never scrolls.
    text = text:gsub("%s+", " ")
    local width = math.max(20, vim.v.echospace - 1)
    if vim.fn.strdisplaywidth(text) > width then
      text = "…" .. vim.fn.strcharpart(text, vim.fn.strchars(text) - width + 1)
    end
    vim.api.nvim_echo({ { text } }, false, {})
  end
end

---@param opts table?
function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  local o = M.options
  local config = {}
  if o.cmd then
    config.cmd = o.cmd
  end
  if next(o.settings) then
    config.settings = { penna = o.settings }
    config.init_options = object(o.settings)
  end
  if o.vault then
    config.root_dir = root_dir_for(o.vault)
  end
  vim.lsp.config("penna", config)
  vim.lsp.enable("penna")
end

-- LSP position of (0-based row, byte column) in the client's encoding, clamped to the line.
local function lsp_position(bufnr, row, col, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  col = math.max(0, math.min(col, #line))
  return { line = row, character = vim.str_utfindex(line, encoding, col, false) }
end

-- LSP range of whole lines line1..line2 (1-based, inclusive): the start of the first line to
-- the end of the last, without its line break.
local function line_range(bufnr, line1, line2, encoding)
  return {
    start = lsp_position(bufnr, line1 - 1, 0, encoding),
    ["end"] = lsp_position(bufnr, line2 - 1, math.huge, encoding),
  }
end

--- The `{uri, range, version}` argument for a penna command: the visual selection (charwise
--- or by lines) when the command got a range, otherwise the cursor position, where the server
--- picks the bullet block or paragraph itself.
---@param bufnr integer
---@param client vim.lsp.Client
---@param cmd_opts table? the user command's opts (range, line1, line2)
function M.arguments(bufnr, client, cmd_opts)
  local enc = client.offset_encoding
  local range
  if cmd_opts and cmd_opts.range and cmd_opts.range > 0 then
    local vs = vim.api.nvim_buf_get_mark(bufnr, "<")
    local ve = vim.api.nvim_buf_get_mark(bufnr, ">")
    if vim.fn.visualmode() == "v" and vs[1] == cmd_opts.line1 and ve[1] == cmd_opts.line2 then
      -- Charwise: '> marks the first byte of the last selected character, which is included.
      local last = vim.api.nvim_buf_get_lines(bufnr, ve[1] - 1, ve[1], false)[1] or ""
      local stop = ve[2] < #last and ve[2] + 1 + vim.str_utf_end(last, ve[2] + 1) or #last
      range = { start = lsp_position(bufnr, vs[1] - 1, vs[2], enc), ["end"] = lsp_position(bufnr, ve[1] - 1, stop, enc) }
    else
      range = line_range(bufnr, cmd_opts.line1, cmd_opts.line2, enc)
    end
  else
    local cursor = vim.api.nvim_win_get_cursor(0)
    local pos = lsp_position(bufnr, cursor[1] - 1, cursor[2], enc)
    range = { start = pos, ["end"] = pos }
  end
  return { uri = vim.uri_from_bufnr(bufnr), range = range, version = vim.lsp.util.buf_versions[bufnr] }
end

--- Run `workspace/executeCommand` for a penna command; `on_result(result, client)` on success,
--- `on_error(err)` after an error was said. Returns the request id (cancellable with :PennaCancel).
function M.execute(command, argument, bufnr, on_result, on_error)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify("no penna server is attached to this buffer (is it a Markdown note? see :checkhealth penna)",
      vim.log.levels.WARN)
    return nil
  end
  local id
  -- Client:request flushes pending didChange first, so the server sees the version we send.
  local ok, request_id = client:request("workspace/executeCommand", {
    command = command,
    arguments = { argument },
  }, function(err, result)
    inflight[id] = nil
    if err then
      if err.code ~= -32800 then -- RequestCancelled: the writer asked for it, :PennaCancel says so
        notify(command .. ": " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      end
      if on_error then
        on_error(err)
      end
      return
    end
    if on_result then
      on_result(result, client)
    end
  end, bufnr)
  if ok then
    id = request_id
    inflight[id] = client
    return id
  end
  notify("could not send " .. command .. " (the server stopped?)", vim.log.levels.ERROR)
end

--- A request of ours that ended elsewhere (a draft cancelled it).
function M.forget(id)
  inflight[id] = nil
end

-- expand / rephrase / continue / variants on the selection or the block under the cursor:
-- a draft to accept or cancel (options.preview), else the server applies the edit itself.
function M.generate(action, cmd_opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return M.execute("penna." .. action, nil, bufnr) -- reports the missing client
  end
  return M.run(action, M.arguments(bufnr, client, cmd_opts), bufnr, client)
end

--- Run an action on an argument `{uri, range, version}` (also what code actions carry).
function M.run(action, argument, bufnr, client)
  if M.options.preview then
    return require("penna.preview").start(bufnr, client, action, argument)
  end
  return M.execute("penna." .. action, argument, bufnr, function(result)
    if type(result) == "table" and not result.applied then
      if result.text and result.text ~= "" then
        M.keep(result.text, result.message or "nothing was replaced")
      else
        notify(result.message or "nothing was applied", vim.log.levels.WARN)
      end
    end
  end)
end

--- The client-side handler of the `penna.<action>` commands that code actions carry (lsp/penna.lua
--- asks for commands instead of resolved edits), so a code action also shows a draft first.
function M.code_action_command(command, ctx)
  local action = command.command:gsub("^penna%.", "")
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local argument = vim.deepcopy((command.arguments or {})[1] or {})
  argument.action = nil
  if client then
    M.run(action, argument, ctx.bufnr, client)
  end
end

-- Warming the action under a resting cursor. While a code-action list stays current, the server
-- evaluates what its expand would read (server actions.py `warm_offered`), so the action's first
-- words then come at once. Neovim asks for code actions only on `gra`, so on CursorHold over
-- bullets we ask ourselves and ignore the answer. The server warms an automatic request only when
-- its range is not empty (editors ask with a bare cursor at every move), so the range is the
-- whole block: the exact span :PennaExpand reads there.

-- The block rules of server/penna/vault/markdown.py (`_scan_blocks`, `_scan_list`), as far as
-- they decide where a list block starts and ends. Keep them in step with it.
local function blank(line)
  return not line:find("%S")
end

-- LIST_ITEM: indentation, `-`, `*`, `+` or 1-9 digits with `.` or `)`, then a blank or the end.
-- Returns what follows the marker.
local function list_item(line)
  local rest = line:match("^[ \t]*[-*+](.*)$")
  if not rest then
    local digits
    digits, rest = line:match("^[ \t]*(%d+)[.)](.*)$")
    if digits and #digits > 9 then
      rest = nil
    end
  end
  if rest and (rest == "" or rest:find("^[ \t]")) then
    return rest
  end
end

-- `pattern` after at most three leading spaces (the ` {0,3}` of the server's patterns).
local function indented_upto3(line, pattern)
  local spaces, rest = line:match("^( *)(.*)$")
  return #spaces <= 3 and rest:find(pattern) ~= nil
end

local function fence(line)
  local spaces, marker = line:match("^( *)(```+)")
  if not marker then
    spaces, marker = line:match("^( *)(~~~+)")
  end
  return marker and #spaces <= 3 and marker or nil
end

local function closes_fence(line, marker)
  local spaces, run, tail = line:match("^( *)([`~]+)(.*)$")
  local c = marker:sub(1, 1)
  return spaces ~= nil and #spaces <= 3 and run == c:rep(#run) and #run >= #marker and blank(tail)
end

local function atx_heading(line)
  local spaces, hashes, rest = line:match("^( *)(#+)(.*)$")
  return spaces ~= nil and #spaces <= 3 and #hashes <= 6 and (rest == "" or rest:find("^[ \t]") ~= nil)
end

local function thematic_break(line)
  local spaces, rest = line:match("^( *)(.*)$")
  local c = rest:sub(1, 1)
  if #spaces > 3 or (c ~= "-" and c ~= "*" and c ~= "_") then
    return false
  end
  local marks = rest:gsub("[ \t]", "")
  return #marks >= 3 and marks == c:rep(#marks)
end

local function setext_underline(line)
  local spaces, run = line:match("^( *)([=-]+)[ \t]*$")
  return spaces ~= nil and #spaces <= 3 and (run == ("="):rep(#run) or run == ("-"):rep(#run))
end

local function quote(line)
  return indented_upto3(line, "^>")
end

-- `_scan_list` from line i (an item): its last line (trailing blanks dropped) and where the scan
-- goes on.
local function scan_list(lines, i)
  local start, n = i, #lines
  while i <= n do
    local line = lines[i]
    if blank(line) then
      local nxt = lines[i + 1]
      if not (nxt and (list_item(nxt) or nxt:find("^  ") or nxt:find("^\t"))) then
        break
      end
    elseif not list_item(line) and not line:find("^[ \t]") then
      break -- neither an item nor its indented continuation
    end
    i = i + 1
  end
  local stop = i - 1
  while stop > start and blank(lines[stop]) do
    stop = stop - 1
  end
  return stop, i
end

--- The list block holding line `row` of `lines` (1-based), as the server parses the note:
--- `first, last` (1-based, inclusive), or nil when that line is in no list block (frontmatter, a
--- code fence, a paragraph an indented bullet continues, ...).
---@param lines string[]
---@param row integer
---@return integer?, integer?
function M.list_block(lines, row)
  local n, i = #lines, 1
  if lines[1] and lines[1]:gsub("%s+$", "") == "---" then
    for k = 2, n do
      local closing = lines[k]:gsub("%s+$", "")
      if closing == "---" or closing == "..." then
        i = k + 1
        break
      end
    end
  end
  while i <= math.min(row, n) do
    local line = lines[i]
    local marker = fence(line)
    if blank(line) or thematic_break(line) or indented_upto3(line, "^%[[^%]]+%]:[ \t]*%S") and not line:find("^ *%[%^") then
      i = i + 1 -- nothing, or a reference definition
    elseif marker then
      i = i + 1
      while i <= n and not closes_fence(lines[i], marker) do
        i = i + 1
      end
      i = i + 1
    elseif atx_heading(line) then
      i = i + 1
    elseif quote(line) or line:find("^%s*|") then
      local same = quote(line) and quote or function(l) return l:find("^%s*|") ~= nil end
      repeat
        i = i + 1
      until i > n or not same(lines[i])
    elseif list_item(line) then
      local last, nxt = scan_list(lines, i)
      if row <= last then
        return i, last
      end
      i = nxt
    elseif indented_upto3(line, "^<[A-Za-z]") or indented_upto3(line, "^<!%-%-") then
      repeat
        i = i + 1
      until i > n or blank(lines[i])
    else -- a paragraph, up to a blank line or another block's start (an indented item continues it)
      local j = i + 1
      while j <= n and not blank(lines[j]) do
        local l = lines[j]
        if setext_underline(l) or fence(l) or atx_heading(l) or quote(l) or (list_item(l) and not l:find("^[ \t]")) then
          break
        end
        j = j + 1
      end
      i = (j <= n and setext_underline(lines[j]) and not blank(lines[j])) and j + 1 or j
    end
  end
  return nil
end

-- The block asked about last: buffer, changedtick, and its lines (1-based, inclusive).
local last_warmed = nil ---@type {buf: integer, tick: integer, first: integer, last: integer}?

--- CursorHold (plugin/penna.lua): on a bullet line of a penna buffer in normal mode, ask for the
--- code actions of its block once per block and change, unless a draft is pending there.
function M.warm_on_hold(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if not M.options.warm_on_hold or vim.api.nvim_get_mode().mode ~= "n"
    or bufnr ~= vim.api.nvim_get_current_buf() then
    return
  end
  local row = vim.api.nvim_win_get_cursor(0)[1]
  local line = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ""
  if not (list_item(line) or ""):find("^[ \t]") then
    return -- not a bullet (`- `, `* `, `+ `, `1. `)
  end
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local sent = last_warmed
  if sent and sent.buf == bufnr and sent.tick == tick and row >= sent.first and row <= sent.last then
    return -- this block, unchanged, was asked about already
  end
  local client = M.client(bufnr)
  if not client or not client.initialized or require("penna.preview").get(bufnr) then
    return
  end
  local first, last = M.list_block(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), row)
  if not first then
    return
  end
  local range = line_range(bufnr, first, last, client.offset_encoding)
  last_warmed = { buf = bufnr, tick = tick, first = first, last = last }
  -- Client:request sends pending changes first, so the server lists actions on this text.
  client:request("textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = range,
    context = { diagnostics = {}, only = nil, triggerKind = 2 }, -- 2: Automatic, not asked by the writer
  }, function() end, bufnr)
end

--- `penna/hoverReady`: the model's rephrasing for a hover is written; show the hover again if
--- it is still open on that paragraph.
function M.on_hover_ready(_, params)
  local buf = vim.api.nvim_get_current_buf()
  if type(params) ~= "table" or params.uri ~= vim.uri_from_bufnr(buf) then
    return
  end
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  local open = vim.b[buf].lsp_floating_preview
  if open and vim.api.nvim_win_is_valid(open) and row >= params.range.start.line and row <= params.range["end"].line then
    -- hover() on an open hover float jumps into it instead of asking again: close it first.
    vim.api.nvim_win_close(open, true)
    vim.lsp.buf.hover()
  end
  vim.b[buf].penna_hover_ready = params.range.start.line
end

-- Open markdown in a read-only scratch split beside the current window (reused if open).
function M.show_markdown(markdown, name)
  local buf = vim.fn.bufnr(name)
  if buf == -1 or not vim.api.nvim_buf_is_valid(buf) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
    vim.bo[buf].bufhidden = "wipe"
    vim.bo[buf].filetype = "markdown"
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(markdown, "\n", { plain = true }))
  vim.bo[buf].modifiable = false
  vim.bo[buf].readonly = true
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd("vsplit")
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
  end
  vim.api.nvim_set_current_win(win)
  return buf
end

function M.context(cmd_opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return M.execute("penna.showContext", nil, bufnr)
  end
  local arg = M.arguments(bufnr, client, cmd_opts)
  arg.position = arg.range.start
  arg.version = nil
  local note = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":t")
  return M.execute("penna.showContext", arg, bufnr, function(result)
    if type(result) ~= "table" or type(result.markdown) ~= "string" then
      notify("penna.showContext returned no markdown", vim.log.levels.ERROR)
      return
    end
    M.show_markdown(result.markdown, "penna://context/" .. note)
  end)
end

--- Whether penna is writing: a command of ours in flight, or a cancellable progress running
--- (e.g. a code action being resolved). Handy for a statusline.
function M.busy()
  return next(inflight) ~= nil or next(progress_tokens) ~= nil
end

local statuses = {} ---@type table<integer, table> client id -> the last pushed status

--- `penna/status`: the server's state changed. Kept for `status()`/`statusline()`, then the
--- `User PennaStatus` autocommand fires (data: `{client_id, status}`) so statuslines redraw.
function M.on_status(params, ctx)
  if type(params) ~= "table" or not ctx or not ctx.client_id then
    return
  end
  statuses[ctx.client_id] = params
  vim.api.nvim_exec_autocmds("User", {
    pattern = "PennaStatus",
    modeline = false,
    data = { client_id = ctx.client_id, status = params },
  })
end

--- The last status the server of `bufnr` (default: the current buffer) pushed, or nil.
function M.status(bufnr)
  local client = M.client(bufnr or vim.api.nvim_get_current_buf())
  return client and statuses[client.id] or nil
end

--- A short text for a statusline: "penna: writing", "penna: indexing", "penna: loading",
--- "penna: model error", "penna", or "" when penna does not serve the buffer.
function M.statusline(bufnr)
  local client = M.client(bufnr or vim.api.nvim_get_current_buf())
  if not client then
    return ""
  end
  if M.busy() then
    return "penna: writing"
  end
  local status = statuses[client.id]
  if not status then
    return "penna"
  end
  for _, vault in ipairs(status.vaults or {}) do
    if vault.indexed == false then
      return "penna: indexing"
    end
  end
  local state = type(status.model) == "table" and status.model.state or nil
  if state == "loading" then
    return "penna: loading"
  elseif state == "error" then
    return "penna: model error"
  end
  return "penna"
end

-- Stop generations: drafts, our own requests, and any cancellable progress.
function M.cancel()
  local count = require("penna.preview").cancel_all()
  for id, client in pairs(inflight) do
    client:cancel_request(id)
    inflight[id] = nil
    count = count + 1
  end
  for token, running in pairs(progress_tokens) do
    local client = vim.lsp.get_client_by_id(running.client_id)
    if client then
      client:notify("window/workDoneProgress/cancel", { token = token })
      count = count + 1
    end
    progress_tokens[token] = nil
  end
  -- Neovim drops the server's "cancelled" answer silently, so say it here.
  notify(count > 0 and "cancelled" or "nothing to cancel")
end

-- Stop every penna client, then start again for the buffers they served (settings or cmd
-- changes take effect). Waits (without blocking) for the old process to go, so two models
-- never load side by side on a small machine.
function M.restart()
  local clients = vim.lsp.get_clients({ name = "penna" })
  for _, client in ipairs(clients) do
    client:stop()
  end
  local waited = 0
  local function start_when_stopped()
    local alive = vim.tbl_filter(function(c)
      return vim.lsp.get_client_by_id(c.id) ~= nil
    end, clients)
    if #alive > 0 and waited < 3000 then
      waited = waited + 100
      vim.defer_fn(start_when_stopped, 100)
      return
    end
    for _, c in ipairs(alive) do
      c:stop(true)
    end
    vim.lsp.enable("penna") -- re-runs the FileType autostart for open buffers
    notify("restarted")
  end
  start_when_stopped()
end

return M
