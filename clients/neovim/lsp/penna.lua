-- The penna language server config for Neovim 0.11+ (`:h lsp-config`).
-- Enable it with `require("penna").setup()` or plainly `vim.lsp.enable("penna")`;
-- anything here can be overridden with `vim.lsp.config("penna", {...})`.

---@type vim.lsp.Config
return {
  cmd = { "penna", "serve" },
  filetypes = { "markdown" },
  -- An Obsidian vault is marked by `.obsidian/`; a git-tracked notes folder by `.git`.
  -- `require("penna").setup({ vault = "~/notes" })` pins a vault explicitly.
  root_markers = { ".obsidian", ".git" },
  -- Settings are answered on `workspace/configuration` (section `penna`) and sent as
  -- initializationOptions. Empty means the server's defaults (docs/protocol.md lists the keys).
  -- vim.empty_dict() so an empty table is sent as a JSON object, not `[]`.
  settings = { penna = vim.empty_dict() },
  init_options = vim.empty_dict(),
}
