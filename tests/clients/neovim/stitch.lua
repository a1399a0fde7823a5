-- Stitching variants in the Neovim plugin, without a server: the choices at each sentence, which
-- sentences are asked about (vim.ui.select), the stitched draft and what accepting reports.
--   nvim --headless -u NONE -l stitch.lua PLUGIN_DIR
-- The server's answer is handed to the plugin as `penna.execute`'s callback, as a real one would.
local plugin_dir = arg[1]
local H = dofile(vim.fs.dirname(arg[0]) .. "/harness.lua")
local result = { ok = true, failures = {}, cases = {} }

local function check(name, fn)
  H.check(result, name, fn)
end

local eq = H.eq

local function labels(choices)
  return vim.tbl_map(function(c) return c.label end, choices)
end

local ok, err = pcall(function()
  vim.opt.rtp:prepend(plugin_dir)
  vim.cmd("runtime! plugin/penna.lua")
  local penna = require("penna")
  local preview = require("penna.preview")

  local note = { "- tried it", "It worked." }
  local variants = { { "I tried it.", "It worked." }, { "I tried it.", "It held." }, { "I tried it.", "It worked." } }
  local texts = { "I tried it. It worked.", "I tried it. It held.", "I tried it. It worked." }

  -- Runs :PennaVariants' draft on `sentences`, answering each vim.ui.select with `answer(choices)`;
  -- returns the questions asked, the draft, and what accepting it sent as `penna.accepted`.
  local function run(sentences, variant_texts, answer)
    vim.cmd("enew!")
    local buf = vim.api.nvim_get_current_buf()
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "- tried it" })
    local sent
    local client = {
      offset_encoding = "utf-16",
      request = function(_, _, params) sent = params.arguments[1] end,
      cancel_request = function() end,
    }
    local on_result
    penna.execute = function(_, _, _, callback)
      on_result = callback
      return 1
    end
    local asked = {}
    vim.ui.select = function(choices, opts, on_choice)
      table.insert(asked, { prompt = opts.prompt, labels = labels(choices), kind = opts.kind,
        shown = vim.tbl_map(opts.format_item, choices) })
      on_choice(answer(choices))
    end
    local range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 10 } }
    preview.start(buf, client, "variants", { uri = vim.uri_from_bufnr(buf), range = range, version = 0 })
    on_result({ applied = false, text = variant_texts[1], range = range, version = 0, original = "- tried it",
      variants = variant_texts, sentences = sentences })
    local draft = preview.get(buf)
    local out = { asked = asked, text = draft and draft.text, generated = draft and draft.generated }
    if draft and draft.text then
      preview.accept(draft)
      out.accepted = sent
      out.buffer = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
    end
    return out
  end

  local function having(variant)
    return function(choices)
      for _, c in ipairs(choices) do
        if vim.list_contains(c.sources, variant) then
          return c
        end
      end
      error("no choice has variant " .. variant .. ": " .. vim.inspect(labels(choices)))
    end
  end

  check("choices where all differ", function()
    local s = { note = { "Mine." }, variants = { { "A." }, { "B." }, { "C." } } }
    local choices = preview.stitch_choices(s, 1)
    eq(labels(choices), { "your note: Mine.", "variant 1: A.", "variant 2: B.", "variant 3: C.",
      "(leave this sentence out)" }, "labels")
    eq(vim.tbl_map(function(c) return c.variant end, choices), { 0, 1, 2, 3, -1 }, "votes")
  end)

  check("all agree at a sentence: taken without asking, no vote", function()
    local choices = preview.stitch_choices({ note = note, variants = variants }, 1)
    eq(#choices, 1, "one choice")
    eq({ choices[1].text, choices[1].agreed, choices[1].variant }, { "I tried it.", true, 0 }, "the agreed sentence")
    local r = run({ note = note, variants = variants }, texts, having(2))
    eq(#r.asked, 1, "questions")
    eq(r.asked[1].prompt, "penna: sentence 2 of 2", "prompt")
    eq(r.text, "I tried it. It held.", "text")
    eq(r.generated, texts[2], "generated (variant 2 had the one vote)")
    eq(r.accepted and r.accepted.generated, texts[2], "accepted.generated")
    eq(r.buffer, "I tried it. It held.", "buffer after accepting")
    result.cases.agreed = r
  end)

  check("two of three agree: one merged choice, votes for the lowest", function()
    local s = { note = { "- tried it", "- it held" }, variants = variants }
    local r = run(s, texts, having(3))
    eq(#r.asked, 1, "questions")
    eq(r.asked[1].labels, { "your note: - it held", "variants 1, 3: It worked.", "variant 2: It held.",
      "(leave this sentence out)" }, "labels")
    eq(r.asked[1].shown, r.asked[1].labels, "format_item")
    eq(r.text, "I tried it. It worked.", "text")
    eq(r.generated, texts[1], "generated (the merged choice votes for variant 1)")
    -- Without the note: two choices and leaving out.
    local only = preview.stitch_choices({ note = {}, variants = { { "X." }, { "X." }, { "Y." } } }, 1)
    eq(labels(only), { "variants 1, 2: X.", "variant 3: Y.", "(leave this sentence out)" }, "two of three")
    eq(vim.tbl_map(function(c) return c.variant end, only), { 1, 3, -1 }, "votes, two of three")
    eq(vim.tbl_map(function(c) return c.sources end, only), { { 1, 2 }, { 3 }, {} }, "sources, two of three")
  end)

  check("the note identical to a variant: merged into its choice", function()
    local r = run({ note = note, variants = variants }, texts, function(choices) return choices[1] end)
    eq(r.asked[1].labels, { "your note, variants 1, 3: It worked.", "variant 2: It held.",
      "(leave this sentence out)" }, "labels")
    local choices = preview.stitch_choices({ note = note, variants = variants }, 2)
    eq(vim.tbl_map(function(c) return c.variant end, choices), { 1, 2, -1 }, "votes (merged: the lowest variant)")
    eq(r.text, "I tried it. It worked.", "text")
    eq(r.generated, texts[1], "generated")
    local left = run({ note = note, variants = variants }, texts, function(choices) return choices[#choices] end)
    eq(left.text, "I tried it.", "leaving the sentence out")
  end)

  check("all variants the same: nothing asked, their text", function()
    local same = "I tried it. It worked.\n\nThen I stopped."
    local list = { "I tried it.", "It worked.", "Then I stopped." }
    local r = run({ note = { "- tried it" }, variants = { list, list, list } }, { same, same, same },
      function() error("asked") end)
    eq(#r.asked, 0, "questions")
    eq(r.text, same, "text")
    eq(r.generated, same, "generated")
    eq(r.buffer, same, "buffer after accepting")
  end)
end)
H.finish(result, ok, err)
