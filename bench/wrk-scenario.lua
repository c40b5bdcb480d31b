-- wrk script for `npm run bench`: rotates over the request paths in a file (one per line),
-- optionally with a method and a body read from a file, or rotating over bodies in a file (one
-- per line, e.g. the logins of many accounts), and prints one JSON line at the end.
-- usage: wrk ... -s bench/wrk-scenario.lua <url> -- <paths-file> [method] [body-file|-] [bodies-file]
local paths = {}
local bodies = {}
local i = 0
local j = 0

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  if args[2] then wrk.method = args[2] end
  if args[3] and args[3] ~= "-" then
    local f = assert(io.open(args[3], "rb"))
    wrk.body = f:read("*a")
    f:close()
  end
  if args[4] then
    for line in io.lines(args[4]) do
      if line ~= "" then bodies[#bodies + 1] = line end
    end
    assert(#bodies > 0, "no bodies in " .. args[4])
  end
end

function request()
  i = i % #paths + 1
  if #bodies == 0 then return wrk.format(nil, paths[i]) end
  -- Each connection's thread has its own copy of this state; with one thread (-t1) the
  -- rotation is global, so consecutive requests go to different bodies.
  j = j % #bodies + 1
  return wrk.format(nil, paths[i], nil, bodies[j])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests":%d,"durationUs":%d,"socketErrors":%d,"badStatus":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
