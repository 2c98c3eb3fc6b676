-- Plays a user of the README's Neovim set-up (already loaded as init.lua):
-- open a Python file, pick "Summarize this module" from the code actions, wait
-- for the artifact, list the tasks, quit. Everything seen goes to a JSON file
-- for tests/test_neovim.py, which asserts on it. Every wait is bounded.
--
-- Parameters (JSON file named by $NVIM_COWORK_DRIVER): file, out, timeout_ms,
-- mode = "readme" (the snippet as written), "stock" (the client does not
-- advertise window/showDocument, as a plain 0.7 set-up: cowork must fall back)
-- or "cancel" (a slow offline provider, and :CoworkCancel while it runs).

local p = vim.fn.json_decode(table.concat(vim.fn.readfile(vim.env.NVIM_COWORK_DRIVER), "\n"))
local seen = {
  nvim = tostring(vim.version().major) .. "." .. vim.version().minor .. "." .. vim.version().patch,
  menu = {}, -- the code-action titles the user is offered
  executed = {}, -- results of workspace/executeCommand (the task id)
  changes = {}, -- cowork/taskChanged records
  messages = {}, -- window/showMessage params
  notices = {}, -- vim.notify messages
  exits = {}, -- cowork client exits: { code, signal }
}

local function wait(what, cond)
  if not vim.wait(p.timeout_ms, cond, 10) then
    error("gave up after " .. p.timeout_ms .. " ms waiting for " .. what, 0)
  end
end

local function record(method, into)
  local original = vim.lsp.handlers[method]
  vim.lsp.handlers[method] = function(err, result, ctx, config)
    table.insert(into, err and { error = err } or result)
    if original then
      return original(err, result, ctx, config)
    end
  end
end

local function is_cowork(client)
  return client.name == "cowork"
end

local function cowork_client(buf)
  for _, c in pairs((vim.lsp.get_clients or vim.lsp.get_active_clients)()) do
    if is_cowork(c) and vim.lsp.buf_is_attached(buf, c.id) then
      return c
    end
  end
end

local function windows()
  local tabs = {}
  for _, tab in ipairs(vim.api.nvim_list_tabpages()) do
    local names = {}
    for _, win in ipairs(vim.api.nvim_tabpage_list_wins(tab)) do
      table.insert(names, vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(win)))
    end
    table.insert(tabs, names)
  end
  return tabs
end

local function artifact_shown() -- the name and buffer of an artifact in any window
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    local buf = vim.api.nvim_win_get_buf(win)
    local name = vim.api.nvim_buf_get_name(buf)
    if name:find("/.cowork/artifacts/", 1, true) then
      return name, buf
    end
  end
end

local function notice(prefix, from) -- the first vim.notify message from index `from` on
  for i = from, #seen.notices do
    local m = seen.notices[i].message
    if type(m) == "string" and m:sub(1, #prefix) == prefix then
      return m
    end
  end
end

local function ready_message()
  for _, m in ipairs(seen.messages) do
    if type(m.message) == "string" and m.message:find(" is ready: ", 1, true) then
      return m.message
    end
  end
end

-- What the user sees, recorded (and still shown as usual).
record("window/showMessage", seen.messages)
record("workspace/executeCommand", seen.executed)
record("cowork/taskChanged", seen.changes)
vim.notify = function(msg, level)
  table.insert(seen.notices, { message = msg, level = level })
end

-- Record how cowork exits; in "stock" mode take window/showDocument out of the
-- capabilities the snippet passes, as a 0.7 client without it would send them.
local function wrap(start)
  return function(config, ...)
    if is_cowork(config) then
      local on_exit = config.on_exit
      config.on_exit = function(code, signal, id)
        table.insert(seen.exits, { code = code, signal = signal })
        if on_exit then
          on_exit(code, signal, id)
        end
      end
      if p.mode == "cancel" then
        config.init_options = vim.tbl_extend("force", config.init_options or {}, { offlineDelayMs = 60000 })
      end
      if p.mode == "stock" then
        config.capabilities = vim.tbl_deep_extend(
          "force",
          config.capabilities,
          { window = { showDocument = { support = false } } }
        )
      end
    end
    return start(config, ...)
  end
end
vim.lsp.start_client = wrap(vim.lsp.start_client)
if vim.lsp.start then
  vim.lsp.start = wrap(vim.lsp.start)
end

local function run()
  vim.cmd("edit " .. vim.fn.fnameescape(p.file))
  local source = vim.api.nvim_get_current_buf()
  wait("cowork to start and attach to " .. p.file, function()
    local c = cowork_client(source)
    return c and c.initialized
  end)
  seen.client_id = cowork_client(source).id

  -- :lua vim.lsp.buf.code_action(), then pick the summary in the menu.
  local chosen
  vim.ui.select = function(items, opts, on_choice)
    for _, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      table.insert(seen.menu, title)
      if title == "cowork: Summarize this module" then
        chosen = item
      end
    end
    on_choice(chosen)
  end
  vim.lsp.buf.code_action()
  wait("the code-action menu", function()
    return #seen.menu > 0
  end)
  if not chosen then
    error("no 'cowork: Summarize this module' in the menu", 0)
  end
  wait("the answer to workspace/executeCommand", function()
    return #seen.executed > 0
  end)
  seen.task_id = seen.executed[1].taskId

  local function reached(...)
    local states = { ... }
    return function()
      for _, c in ipairs(seen.changes) do
        if c.taskId == seen.task_id and vim.tbl_contains(states, c.state) then
          return true
        end
      end
    end
  end

  if p.mode == "cancel" then
    wait("the task to run", reached("running", "done", "failed"))
    vim.cmd("CoworkCancel " .. seen.task_id)
    wait("the task to end", reached("cancelled", "done", "failed"))
    wait(":CoworkCancel to answer", function()
      return notice("cowork: cancelling ", 1)
    end)
  else
    -- The artifact shows up in a window (showDocument) or its path in a
    -- message; which one, the test decides. A failed task ends the wait too.
    local ended = reached("failed", "cancelled")
    wait("the artifact (a window, or its path in a message)", function()
      return ended() or artifact_shown() or ready_message()
    end)
  end
  local name, buf = artifact_shown()
  if name then
    seen.artifact_shown = name
    seen.artifact_lines = vim.api.nvim_buf_get_lines(buf, 0, 5, false)
  end
  seen.ready_message = ready_message()
  seen.tabs = windows()
  seen.current_tab = vim.api.nvim_tabpage_get_number(vim.api.nvim_get_current_tabpage())
  seen.current_buffer = vim.api.nvim_buf_get_name(0)

  -- :CoworkTasks (from the README) answers with the task list.
  local after = #seen.notices + 1
  vim.cmd("CoworkTasks")
  wait(":CoworkTasks to list the tasks", function()
    return notice("cowork tasks, newest first:", after)
  end)
  seen.tasks_listing = notice("cowork tasks, newest first:", after)

  -- Quit like :qa would, but wait (bounded) for cowork to shut down cleanly.
  vim.lsp.stop_client(seen.client_id)
  wait("cowork to exit", function()
    return #seen.exits > 0
  end)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  seen.error = tostring(err)
end
vim.fn.writefile({ vim.fn.json_encode(seen) }, p.out)
vim.cmd("qall!")
