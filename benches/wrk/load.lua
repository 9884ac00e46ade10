-- wrk script of benches/load.sh. Two modes:
--   wrk -s load.lua URL -- single NUMBERS_FILE DAY
--       GET /v1/numbers/{number}?at=DAY over the numbers of the file (one a line), in turn;
--   wrk -s load.lua URL -- batch BODY_FILE FORMAT DAY
--       POST /v1/numbers?format=FORMAT&at=DAY with the file as body (numbers, one a line).
-- Prints one RESULT line: requests, seconds, failures (non-2xx and socket errors), p50 and p99.
local mode, numbers, i, day, body, path = "single", {}, 0, "2026-01-01", nil, nil

function init(args)
  mode = args[1] or mode
  if mode == "batch" then
    local f = assert(io.open(args[2], "rb"))
    body = f:read("*a")
    f:close()
    path = "/v1/numbers?format=" .. (args[3] or "tsv") .. "&at=" .. (args[4] or day)
  else
    for line in io.lines(args[2]) do
      numbers[#numbers + 1] = line
    end
    day = args[3] or day
    -- Each thread starts at a different place in the list.
    i = math.random(#numbers)
  end
end

function request()
  if mode == "batch" then
    return wrk.format("POST", path, { ["Content-Type"] = "text/plain" }, body)
  end
  i = i % #numbers + 1
  return wrk.format("GET", "/v1/numbers/" .. numbers[i] .. "?at=" .. day)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f non2xx_or_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration / 1e6,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
