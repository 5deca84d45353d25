-- Shared by the bench scripts (loaded with dofile): `-- key=value` options, a FIFO token pool,
-- status counting, and a done() that prints one BENCH_JSON line and writes the unused pool back.
-- wrk runs init/request/response in each thread's Lua state and done() in a fresh one, so the
-- counters travel to done() through thread:get().

local common = {}
local threads = {}

-- Thread-state globals (read back by done()).
non200 = 0
missing = 0
exhausted = 0
pool, head, tail = {}, 1, 0
out_path = nil

function common.options(args)
   local opts = {}
   for _, arg in ipairs(args or {}) do
      local key, value = arg:match("^([%w_]+)=(.*)$")
      if key then opts[key] = value end
   end
   return opts
end

function common.load(path)
   local file = assert(io.open(path, "r"))
   for line in file:lines() do
      if line ~= "" then common.push(line) end
   end
   file:close()
end

function common.push(item)
   tail = tail + 1
   pool[tail] = item
end

function common.pop()
   if head > tail then return nil end
   local item = pool[head]
   pool[head] = nil
   head = head + 1
   return item
end

-- Form headers, plus HTTP Basic when the load authenticates a confidential client.
function common.headers(opts)
   local headers = {}
   if opts.method ~= "GET" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
   if opts.auth and opts.auth ~= "" then headers["Authorization"] = opts.auth end
   return headers
end

-- The pool ran dry: stop this thread rather than send requests that must fail.
function common.dry()
   exhausted = exhausted + 1
   wrk.thread:stop()
end

function setup(thread)
   table.insert(threads, thread)
end

local function sum(name)
   local total = 0
   for _, thread in ipairs(threads) do total = total + (thread:get(name) or 0) end
   return total
end

function done(summary, latency, requests)
   local errors = summary.errors
   local leftover = 0
   for _, thread in ipairs(threads) do
      local path = thread:get("out_path")
      if path then
         local items, first, last = thread:get("pool"), thread:get("head"), thread:get("tail")
         local file = assert(io.open(path, "w"))
         for i = first, last do
            if items[i] then
               file:write(items[i], "\n")
               leftover = leftover + 1
            end
         end
         file:close()
      end
   end
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"non200":%d,"missing_token":%d,"exhausted":%d,' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
      '"latency_ms":{"mean":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f},"leftover":%d}\n',
      summary.requests, summary.duration, sum("non200"), sum("missing"), sum("exhausted"),
      errors.connect, errors.read, errors.write, errors.timeout,
      latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, leftover))
end

return common
