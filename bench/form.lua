-- wrk script: POSTs a form to BENCH_PATH with a fixed cookie and CSRF token (fetched once by
-- the harness, as a browser would), taking the value of BENCH_FIELD from the lines of
-- BENCH_VALUES in turn. BENCH_EXTRA is appended to every body (already URL-encoded).
-- BENCH_DELAY_MS, when set, makes each connection wait that long before each request (a paced
-- load for the soak runs). At the end it prints one JSON line with the counts and latency percentiles (microseconds).

local path = os.getenv("BENCH_PATH")
local field = os.getenv("BENCH_FIELD")
local extra = os.getenv("BENCH_EXTRA") or ""
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Cookie"] = os.getenv("BENCH_COOKIE") or "",
}

local values = {}
for line in io.lines(os.getenv("BENCH_VALUES")) do
  values[#values + 1] = line
end
local i = 0

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

request = function()
  i = i % #values + 1
  local body = field .. "=" .. urlencode(values[i]) .. extra
  return wrk.format("POST", path, headers, body)
end

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause then
  delay = function()
    return pause
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"timeouts":%d,"bad_status":%d,"p50":%d,"p99":%d,"p999":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
