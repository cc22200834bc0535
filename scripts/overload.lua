-- wrk script for scripts/overload.sh: a paced (open-loop) load on the digit service that counts status codes,
-- checks that every 503 carries Retry-After, and records the latency of each accepted (200) request.
--
--   wrk -t C -c C -d 60s -s scripts/overload.lua URL -- RATE [PATH]
--
-- RATE is the total request rate; each of the C threads has one connection and sends every C/RATE seconds on a
-- fixed schedule (a late response is caught up on, as wrk2 does, so the offered rate holds). With RATE 0 each
-- connection sends as soon as the previous answer is in (closed loop: the capacity of C clients). Requests cycle
-- through the digits and seeds at the service's default settings unless PATH is given.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } overload_timespec;
  int clock_gettime(int clock, overload_timespec *ts);
]]
local ts = ffi.new("overload_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

local interval, next_at, sent_at, path
local n = 0
function init(args)
  counts = {}
  accepted = {}
  missing_retry_after = 0
  local rate = tonumber(args[1] or "0")
  path = args[2]
  interval = rate > 0 and (1000 * threads_total() / rate) or 0
end

-- The number of threads is wrk's -t; each thread's init() only knows its own index, so overload.sh passes it.
function threads_total()
  return tonumber(os.getenv("OVERLOAD_THREADS") or "1")
end

function delay()
  if interval == 0 then return 0 end
  local t = now_ms()
  -- Spread the threads' first sends evenly over one interval. (Not math.random: every thread's Lua state starts
  -- from the same seed, so all threads drew the same offset and sent in one burst per interval, which made the
  -- offered load a train of 16 simultaneous requests instead of a steady rate.)
  if next_at == nil then next_at = t + (index - 1) / threads_total() * interval end
  local d = next_at - t
  next_at = next_at + interval
  return d > 0 and d or 0
end

function request()
  n = n + 1
  sent_at = now_ms()
  local p = path or string.format("/api/generate?digit=%d&seed=%d", (n + index) % 10, n * 100 + index)
  return wrk.format("GET", p)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 503 and headers["Retry-After"] == nil and headers["retry-after"] == nil then
    missing_retry_after = missing_retry_after + 1
  end
  if status == 200 and sent_at then table.insert(accepted, now_ms() - sent_at) end
end

function done(summary, latency, requests)
  local all_counts, all_accepted, missing = {}, {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do all_counts[status] = (all_counts[status] or 0) + count end
    for _, ms in ipairs(thread:get("accepted")) do table.insert(all_accepted, ms) end
    missing = missing + thread:get("missing_retry_after")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("requests %d in %.1f s (%.1f/s)\n", summary.requests, seconds, summary.requests / seconds))
  local statuses = {}
  for status in pairs(all_counts) do table.insert(statuses, status) end
  table.sort(statuses)
  for _, status in ipairs(statuses) do io.write(string.format("status %d %d\n", status, all_counts[status])) end
  io.write(string.format("503_without_retry_after %d\n", missing))
  local e = summary.errors
  io.write(string.format("errors connect %d read %d write %d timeout %d\n", e.connect, e.read, e.write, e.timeout))
  table.sort(all_accepted)
  local function pct(p)
    if #all_accepted == 0 then return 0 end
    return all_accepted[math.max(1, math.ceil(p * #all_accepted))]
  end
  io.write(string.format("accepted %d p50_ms %.1f p95_ms %.1f max_ms %.1f\n", #all_accepted, pct(0.5), pct(0.95), pct(1.0)))
end
