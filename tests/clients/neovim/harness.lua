-- What the headless Neovim scripts share: recording checks and printing the one result line
-- test_neovim.py reads. Load it with `dofile(vim.fs.dirname(arg[0]) .. "/harness.lua")`.
local H = {}

--- Run `fn`; a failed assertion is recorded under `name` and the script goes on.
function H.check(result, name, fn)
  local ok, err = pcall(fn)
  if not ok then
    table.insert(result.failures, name .. ": " .. tostring(err))
  end
end

function H.eq(got, want, what)
  assert(vim.deep_equal(got, want), ("%s: got %s, want %s"):format(what, vim.inspect(got), vim.inspect(want)))
end

--- Record the outcome of the script's body (`ok`, `err` from its pcall), print `PENNA_RESULT {json}`
--- and exit non-zero when anything failed.
function H.finish(result, ok, err)
  if not ok then
    table.insert(result.failures, tostring(err))
  end
  result.ok = #result.failures == 0
  io.stdout:write("PENNA_RESULT " .. vim.json.encode(result) .. "\n")
  io.stdout:flush()
  os.exit(result.ok and 0 or 1)
end

return H
