-- penna: commands, <Plug> mappings and the autocommands that make a plain
-- `vim.lsp.enable("penna")` complete (require("penna").setup() is optional). The client itself
-- starts from vim.lsp.enable("penna"), which setup() also calls.
if vim.g.loaded_penna then
  return
end
vim.g.loaded_penna = true

if vim.fn.has("nvim-0.11") == 0 then
  vim.notify("penna needs Neovim 0.11 or newer", vim.log.levels.WARN)
  return
end

local group = vim.api.nvim_create_augroup("penna", { clear = true })
vim.api.nvim_create_autocmd("LspAttach", {
  group = group,
  callback = function(args) require("penna").on_attach(args) end,
})
vim.api.nvim_create_autocmd("LspProgress", {
  group = group,
  callback = function(args) require("penna").on_progress(args) end,
})
-- A resting cursor on bullets asks for their code actions, so the server warms the expand
-- (options.warm_on_hold).
vim.api.nvim_create_autocmd("CursorHold", {
  group = group,
  callback = function(args) require("penna").warm_on_hold(args.buf) end,
})

local function command(name, desc, fn, range)
  vim.api.nvim_create_user_command(name, function(opts)
    fn(require("penna"), opts)
  end, { desc = desc, range = range or nil })
end

-- With a range (visual selection or :N,M) the command acts on it; without, on the bullet
-- block or paragraph under the cursor.
command("PennaExpand", "penna: expand bullets into prose", function(p, o) p.generate("expand", o) end, true)
command("PennaRephrase", "penna: rephrase in my voice", function(p, o) p.generate("rephrase", o) end, true)
command("PennaContinue", "penna: continue this paragraph", function(p, o) p.generate("continue", o) end, true)
command("PennaVariants", "penna: three variants to stitch from", function(p, o) p.generate("variants", o) end, true)
command("PennaContext", "penna: show the context the model would be told", function(p, o) p.context(o) end, true)
command("PennaAccept", "penna: write the draft into the buffer", function() require("penna.preview").accept() end)
command("PennaCancel", "penna: cancel the draft and running generations", function(p) p.cancel() end)
command("PennaRestart", "penna: restart the language server", function(p) p.restart() end)

-- <Plug> mappings: map your own keys to these (see :help penna-mappings).
local function plug(name, modes, rhs, desc)
  vim.keymap.set(modes, "<Plug>(penna-" .. name .. ")", rhs, { desc = "penna: " .. desc, silent = true })
end
for _, action in ipairs({ "expand", "rephrase", "continue", "variants" }) do
  local cmd = "Penna" .. action:sub(1, 1):upper() .. action:sub(2)
  plug(action, "n", "<cmd>" .. cmd .. "<cr>", action .. " the block under the cursor")
  plug(action, "x", ":" .. cmd .. "<cr>", action .. " the selection")
end
plug("context", "n", "<cmd>PennaContext<cr>", "show the context")
plug("accept", "n", "<cmd>PennaAccept<cr>", "accept the draft")
plug("cancel", "n", "<cmd>PennaCancel<cr>", "cancel the draft")
