-- penna user commands. The LSP client itself starts from require("penna").setup() (or
-- vim.lsp.enable("penna")); this file only defines commands, which load lua/penna lazily.
if vim.g.loaded_penna then
  return
end
vim.g.loaded_penna = true

if vim.fn.has("nvim-0.11") == 0 then
  vim.notify("penna needs Neovim 0.11 or newer", vim.log.levels.WARN)
  return
end

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
command("PennaCancel", "penna: cancel running generations", function(p) p.cancel() end)
command("PennaRestart", "penna: restart the language server", function(p) p.restart() end)
