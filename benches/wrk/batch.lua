-- wrk script: POST /v1/numbers with one body (numbers, one a line) again and again.
-- wrk -s batch.lua URL -- BODY_FILE FORMAT DAY
local body, path

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  path = "/v1/numbers?format=" .. (args[2] or "tsv") .. "&at=" .. (args[3] or "2026-01-01")
end

function request()
  return wrk.format("POST", path, { ["Content-Type"] = "text/plain" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f non2xx_or_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration / 1e6,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
