-- The penna language server config for Neovim 0.11+ (`:h lsp-config`).
-- Enable it with `require("penna").setup()` or plainly `vim.lsp.enable("penna")`;
-- anything here can be overridden with `vim.lsp.config("penna", {...})`.

local function penna()
  return require("penna")
end

local function action_command(command, ctx)
  penna().code_action_command(command, ctx)
end

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
  -- Code actions then carry `penna.<action>` commands instead of edits resolved on the server,
  -- and the commands below show the text as a draft first (nothing enters the buffer unasked).
  before_init = function(params)
    local code_action = vim.tbl_get(params, "capabilities", "textDocument", "codeAction")
    if code_action and penna().options.preview then
      code_action.resolveSupport = nil
    end
  end,
  commands = {
    ["penna.expand"] = action_command,
    ["penna.rephrase"] = action_command,
    ["penna.continue"] = action_command,
    ["penna.variants"] = action_command,
  },
  handlers = {
    ["penna/draft"] = function(_, params)
      require("penna.preview").on_draft(params)
    end,
    ["penna/hoverReady"] = function(err, params)
      penna().on_hover_ready(err, params)
    end,
    -- The server's status, pushed when it changes (indexing, the model loading or failing).
    ["penna/status"] = function(_, params, ctx)
      penna().on_status(params, ctx)
    end,
    -- A result the server could not apply (the note changed or closed while it wrote).
    ["penna/result"] = function(_, params)
      penna().on_result_kept(params)
    end,
  },
}
