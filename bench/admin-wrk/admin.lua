-- wrk script of bench/admin: the admin API's device list and publish.
-- Settings come from the environment (bench/admin sets them):
--   IOTB_MODE      devices | publish
--   IOTB_TOKEN     a Bearer token (POST /api/v1/login)
--   IOTB_PATH      devices: /api/v1/products/{pk}/devices
--   IOTB_PAGES     devices: pages of 100 (random pages are 1..IOTB_PAGES)
--   IOTB_RANDOM    devices: 1 = a random page per request, 0 = page 1
--   IOTB_RATE      publish: requests/s over all connections (paced); 0 = closed loop
-- done() prints one JSON line with the counts and latency percentiles (µs).

local mode = os.getenv("IOTB_MODE")
local auth = "Bearer " .. os.getenv("IOTB_TOKEN")
local rate = tonumber(os.getenv("IOTB_RATE") or "0")

if mode == "devices" then
  local path = os.getenv("IOTB_PATH")
  local pages = tonumber(os.getenv("IOTB_PAGES"))
  local headers = { ["Authorization"] = auth }
  if os.getenv("IOTB_RANDOM") == "1" then
    function init(args)
      math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
    end
    function request()
      return wrk.format("GET", path .. "?limit=100&page=" .. math.random(pages), headers)
    end
  else
    local first = wrk.format("GET", path .. "?limit=100", headers)
    function request()
      return first
    end
  end
else
  -- 64 bytes of payload; a non-device topic (no downlink quota).
  local body = '{"topic":"bench/api/1","payload":"' .. string.rep("x", 64) .. '","qos":1}'
  local req = wrk.format("POST", "/api/v1/publish",
                         { ["Authorization"] = auth, ["Content-Type"] = "application/json" },
                         body)
  function request()
    return req
  end
  if rate > 0 then
    -- Pacing on a schedule, not a fixed pause: wrk asks delay() after each
    -- answer (one thread, so one schedule for every connection); each call
    -- takes the next free slot, 1/rate apart, so the rate holds while the
    -- answers' latency varies (as long as some connection is free).
    local ffi = require("ffi")
    ffi.cdef [[
      struct iotb_timespec { long tv_sec; long tv_nsec; };
      int clock_gettime(int clk_id, struct iotb_timespec *tp);
    ]]
    local ts = ffi.new("struct iotb_timespec")
    local function now_ms()
      ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
      return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    end
    local step = 1000 / rate
    local next_slot = 0
    function delay()
      local now = now_ms()
      -- A slot left unused for over 10 ms is not made up with a burst.
      local slot = math.max(next_slot, now - 10)
      next_slot = slot + step
      return math.max(0, math.floor(slot - now + 0.5))
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
