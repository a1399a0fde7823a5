-- Drafts shown before they enter the buffer: the server streams the growing text
-- (`penna/draft`), the plugin shows it as virtual lines under the notes, and nothing is
-- written until the writer accepts. Variants are stitched sentence by sentence first.

local P = {}

local ns = vim.api.nvim_create_namespace("penna_preview")
vim.api.nvim_set_hl(0, "PennaDraft", { default = true, link = "Comment" })
vim.api.nvim_set_hl(0, "PennaDraftHint", { default = true, link = "DiagnosticHint" })

---@class penna.Draft
---@field id string
---@field buf integer
---@field client vim.lsp.Client
---@field action string
---@field request integer? the executeCommand request id while the server writes
---@field partials string[] one growing text per variant
---@field range table? LSP range the text replaces
---@field result table? the command's answer, once written
---@field text string? what accepting writes
---@field generated string? what the model wrote, for learning from the writer's changes
---@field saved table<string, table> the buffer's own mappings of the preview keys

local drafts = {} ---@type table<integer, penna.Draft> buffer -> its draft
local counter = 0

local function penna()
  return require("penna")
end

--- The draft of `buf`, if one is showing.
function P.get(buf)
  return drafts[buf or vim.api.nvim_get_current_buf()]
end

-- Byte (row, col) of an LSP position in `buf`.
local function byte_pos(buf, pos, encoding)
  local line = vim.api.nvim_buf_get_lines(buf, pos.line, pos.line + 1, false)[1]
  if not line then
    local last = vim.api.nvim_buf_line_count(buf) - 1
    return last, #(vim.api.nvim_buf_get_lines(buf, last, last + 1, false)[1] or "")
  end
  local ok, col = pcall(vim.str_byteindex, line, encoding, pos.character, false)
  return pos.line, ok and col or #line
end

local function virt_lines(draft)
  local keys = penna().options.keys
  local out = {}
  local writing = draft.result == nil
  local hint = writing and ("penna is writing… %s cancels"):format(keys.cancel)
    or ("penna: %s accepts, %s cancels"):format(keys.accept, keys.cancel)
  table.insert(out, { { hint, "PennaDraftHint" } })
  local texts = draft.text and { draft.text } or draft.partials
  for number, text in ipairs(texts) do
    if #texts > 1 then
      table.insert(out, { { ("── variant %d ──"):format(number), "PennaDraftHint" } })
    end
    for _, line in ipairs(vim.split(text, "\n", { plain = true })) do
      table.insert(out, { { line == "" and " " or line, "PennaDraft" } })
    end
  end
  return out
end

local function render(draft)
  if not vim.api.nvim_buf_is_valid(draft.buf) then
    return
  end
  vim.api.nvim_buf_clear_namespace(draft.buf, ns, 0, -1)
  local row = vim.api.nvim_buf_line_count(draft.buf) - 1
  if draft.range then
    row = byte_pos(draft.buf, draft.range["end"], draft.client.offset_encoding)
    -- A range ending at column 0 of a line ends with the line before.
    if draft.range["end"].character == 0 and draft.range["end"].line > draft.range.start.line then
      row = row - 1
    end
  end
  row = math.max(0, math.min(row, vim.api.nvim_buf_line_count(draft.buf) - 1))
  vim.api.nvim_buf_set_extmark(draft.buf, ns, row, 0, { virt_lines = virt_lines(draft) })
end

-- The preview keys act on the draft while it shows; the buffer's own mappings come back after.
local function map_keys(draft)
  local keys = penna().options.keys
  draft.saved = {}
  for name, key in pairs({ accept = keys.accept, cancel = keys.cancel }) do
    if key and key ~= "" then
      local old = vim.fn.maparg(key, "n", false, true)
      if old.buffer == 1 then
        draft.saved[key] = old
      end
      vim.keymap.set("n", key, P[name], { buffer = draft.buf, desc = "penna: " .. name .. " the draft" })
    end
  end
end

local function unmap_keys(draft)
  local keys = penna().options.keys
  for _, key in ipairs({ keys.accept, keys.cancel }) do
    if key and key ~= "" and vim.api.nvim_buf_is_valid(draft.buf) then
      pcall(vim.keymap.del, "n", key, { buffer = draft.buf })
      if draft.saved[key] then
        vim.fn.mapset("n", false, draft.saved[key])
      end
    end
  end
end

local function clear(draft)
  if drafts[draft.buf] ~= draft then
    return
  end
  drafts[draft.buf] = nil
  unmap_keys(draft)
  if vim.api.nvim_buf_is_valid(draft.buf) then
    vim.api.nvim_buf_clear_namespace(draft.buf, ns, 0, -1)
  end
  vim.api.nvim_exec_autocmds("User", { pattern = "PennaDraftDone", modeline = false })
end

--- `penna/draft` from the server: a draft's text so far.
function P.on_draft(params)
  for _, draft in pairs(drafts) do
    if draft.id == params.draftId and draft.result == nil then
      draft.partials[(params.variant or 0) + 1] = params.text or ""
      draft.range = params.range or draft.range
      render(draft)
      return
    end
  end
end

local stitch -- defined below

local function on_result(draft, result)
  draft.request = nil
  if drafts[draft.buf] ~= draft then
    return -- cancelled meanwhile
  end
  if type(result) ~= "table" or not result.range then
    clear(draft)
    local text = type(result) == "table" and result.text or ""
    if text ~= "" then
      penna().keep(text, (result.message or "nothing was replaced"))
    else
      penna().notify((type(result) == "table" and result.message) or "nothing was written", vim.log.levels.WARN)
    end
    return
  end
  draft.result = result
  draft.range = result.range
  draft.generated = result.text
  if draft.action == "variants" and type(result.sentences) == "table" then
    draft.partials = result.variants or draft.partials
    render(draft)
    stitch(draft)
    return
  end
  draft.text = result.text
  render(draft)
end

--- Ask the server for `action` as a preview on `argument` ({uri, range, version}).
function P.start(buf, client, action, argument)
  local old = drafts[buf]
  if old then
    P.cancel(old, true)
  end
  counter = counter + 1
  local draft = { id = ("nvim-%d-%d"):format(vim.fn.getpid(), counter), buf = buf, client = client,
    action = action, partials = { "" }, range = argument.range, saved = {} }
  drafts[buf] = draft
  argument.preview = true
  argument.draftId = draft.id
  map_keys(draft)
  render(draft)
  draft.request = penna().execute("penna." .. action, argument, buf, function(result)
    on_result(draft, result)
  end, function()
    draft.request = nil
    clear(draft)
  end)
  if not draft.request then
    clear(draft)
  end
  return draft
end

-- (row, col) in bytes of the position `offset` bytes into `whole`.
local function row_col(whole, offset)
  local before = whole:sub(1, offset)
  local last_newline = before:match(".*()\n")
  return select(2, before:gsub("\n", "")), last_newline and (offset - last_newline) or offset
end

-- The text now at the draft's range; where the range's text went if the writer typed
-- elsewhere meanwhile; nil when it cannot be found exactly once.
local function locate(draft)
  local buf, enc, result = draft.buf, draft.client.offset_encoding, draft.result
  local sr, sc = byte_pos(buf, result.range.start, enc)
  local er, ec = byte_pos(buf, result.range["end"], enc)
  local ok, current = pcall(vim.api.nvim_buf_get_text, buf, sr, sc, er, ec, {})
  if ok and table.concat(current, "\n") == result.original
    and (result.original ~= "" or vim.lsp.util.buf_versions[buf] == result.version) then
    return sr, sc, er, ec
  end
  if result.original == "" then
    return nil -- an insertion point cannot be found again in changed text
  end
  local whole = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
  local at = whole:find(result.original, 1, true)
  if not at or whole:find(result.original, at + 1, true) then
    return nil
  end
  local sr2, sc2 = row_col(whole, at - 1)
  local er2, ec2 = row_col(whole, at - 1 + #result.original)
  return sr2, sc2, er2, ec2
end

--- Write the draft into the buffer (once written), and tell the server, which learns from it.
function P.accept(draft)
  draft = type(draft) == "table" and draft or drafts[vim.api.nvim_get_current_buf()]
  if not draft then
    penna().notify("no draft to accept")
    return false
  end
  if not draft.result or not draft.text then
    penna().notify("still writing; " .. penna().options.keys.cancel .. " or :PennaCancel stops it")
    return false
  end
  local sr, sc, er, ec = locate(draft)
  clear(draft)
  if not sr then
    penna().keep(draft.text, "the text under the draft changed, so nothing was replaced")
    return false
  end
  vim.api.nvim_buf_set_text(draft.buf, sr, sc, er, ec, vim.split(draft.text, "\n", { plain = true }))
  local uri = vim.uri_from_bufnr(draft.buf)
  draft.client:request("workspace/executeCommand", {
    command = "penna.accepted",
    arguments = { { uri = uri, text = draft.text, generated = draft.generated } },
  }, function() end, draft.buf)
  return true
end

--- Drop the draft (and stop the server writing it). `quiet` for a draft replaced by a new one.
function P.cancel(draft, quiet)
  draft = type(draft) == "table" and draft or drafts[vim.api.nvim_get_current_buf()]
  if not draft then
    return false
  end
  if draft.request then
    draft.client:cancel_request(draft.request)
    penna().forget(draft.request)
    draft.request = nil
  end
  clear(draft)
  if quiet ~= true then
    penna().notify("draft cancelled; nothing was written")
  end
  return true
end

--- Cancel every draft (`:PennaCancel`); how many there were.
function P.cancel_all()
  local count = 0
  for _, draft in pairs(vim.tbl_values(drafts)) do
    if P.cancel(draft, true) then
      count = count + 1
    end
  end
  return count
end

-- "your note", "variant 2", "variants 1, 3", "your note, variants 1, 3".
local function source_names(sources)
  local names, numbers = {}, {}
  for _, source in ipairs(sources) do
    if source == 0 then
      table.insert(names, "your note")
    else
      table.insert(numbers, tostring(source))
    end
  end
  if #numbers > 0 then
    table.insert(names, (#numbers == 1 and "variant " or "variants ") .. table.concat(numbers, ", "))
  end
  return table.concat(names, ", ")
end

--- The choices at sentence `position` (1-based) of `sentences` ({note, variants}), each
--- `{label, text?, variant, sources, agreed?}`: `sources` lists who has the sentence (0 the note,
--- k variant k); `variant` is what learning counts the pick as (k > 0 a vote for variant k, the
--- lowest-numbered with it; 0 none; -1 left out). Where every variant with a sentence there has
--- the same one, that sentence alone (`agreed`, no vote); otherwise each distinct sentence once
--- (the note's first), then leaving the sentence out.
function P.stitch_choices(sentences, position)
  local lists = { sentences.note or {} }
  vim.list_extend(lists, sentences.variants or {})
  local choices, from_variants = {}, {}
  for index, list in ipairs(lists) do
    local source, sentence = index - 1, list[position]
    if sentence then
      local same
      for _, choice in ipairs(choices) do
        if choice.text == sentence then
          same = choice
          break
        end
      end
      if not same then
        same = { text = sentence, variant = 0, sources = {} }
        table.insert(choices, same)
      end
      table.insert(same.sources, source)
      if source > 0 and not vim.list_contains(from_variants, same) then
        table.insert(from_variants, same)
      end
    end
  end
  if #from_variants == 1 then
    local agreed = from_variants[1]
    agreed.label = ("%s: %s"):format(source_names(agreed.sources), agreed.text)
    agreed.agreed = true
    return { agreed }
  end
  for _, choice in ipairs(choices) do
    choice.variant = choice.sources[1] > 0 and choice.sources[1] or (choice.sources[2] or 0)
    choice.label = ("%s: %s"):format(source_names(choice.sources), choice.text)
  end
  table.insert(choices, { label = "(leave this sentence out)", text = nil, variant = -1, sources = {} })
  return choices
end

-- Variants: for each sentence position where the variants differ, pick one's sentence, the
-- note's own, or none (a sentence every variant has is taken without asking); the stitched
-- paragraph then shows as the draft, to accept or cancel like any other.
stitch = function(draft)
  local sentences = draft.result.sentences
  local positions = #(sentences.note or {})
  for _, list in ipairs(sentences.variants or {}) do
    positions = math.max(positions, #list)
  end
  local picked, votes, asked = {}, {}, false
  local function finish()
    if drafts[draft.buf] ~= draft then
      return
    end
    local variants = draft.result.variants or {}
    local same = true
    for _, variant in ipairs(variants) do
      same = same and variant == variants[1]
    end
    -- Nothing differed: the variants' own text (its paragraphs kept).
    draft.text = (not asked and same and variants[1]) or table.concat(picked, " ")
    -- Learning compares the stitched text with the variant the writer took most from.
    local best, most = 1, -1
    for number = 1, #(draft.partials or {}) do
      if (votes[number] or 0) > most then
        best, most = number, votes[number] or 0
      end
    end
    draft.generated = draft.partials[best] or draft.generated
    render(draft)
  end
  local function take(choice)
    if choice.text then
      table.insert(picked, choice.text)
      if choice.variant > 0 then
        votes[choice.variant] = (votes[choice.variant] or 0) + 1
      end
    end
  end
  local function ask(position)
    if drafts[draft.buf] ~= draft then
      return
    end
    local choices
    while position <= positions do
      choices = P.stitch_choices(sentences, position)
      if not choices[1].agreed then
        break
      end
      take(choices[1])
      position = position + 1
    end
    if position > positions then
      return finish()
    end
    vim.ui.select(choices, {
      prompt = ("penna: sentence %d of %d"):format(position, positions),
      format_item = function(choice) return choice.label end,
      kind = "penna.stitch",
    }, function(choice)
      if choice == nil then
        P.cancel(draft, true)
        penna().keep(table.concat(draft.partials, "\n\n"), "stitching stopped")
        return
      end
      asked = true
      take(choice)
      ask(position + 1)
    end)
  end
  ask(1)
end

return P
