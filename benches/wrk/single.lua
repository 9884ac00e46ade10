-- wrk script: GET /v1/numbers/{number} over a list of numbers (one a line), in turn.
-- wrk -s single.lua URL -- NUMBERS_FILE DAY
local numbers, i, day = {}, 0, "2026-01-01"

function init(args)
  for line in io.lines(args[1]) do
    numbers[#numbers + 1] = line
  end
  day = args[2] or day
  -- Each thread starts at a different place in the list.
  i = math.random(#numbers)
end

function request()
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
