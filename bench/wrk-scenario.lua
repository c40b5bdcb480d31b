-- wrk script for `npm run bench`: rotates over the request paths in a file (one per line),
-- optionally with a method and a body read from a file, and prints one JSON line at the end.
-- usage: wrk ... -s bench/wrk-scenario.lua <url> -- <paths-file> [method] [body-file]
local paths = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  if args[2] then wrk.method = args[2] end
  if args[3] then
    local f = assert(io.open(args[3], "rb"))
    wrk.body = f:read("*a")
    f:close()
  end
end

function request()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests":%d,"durationUs":%d,"socketErrors":%d,"badStatus":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
