-- wrk script for bench/crowd.sh: each request is a random buyer (of the tokens in BENCH_TOKENS,
-- one a line) buying one auto-picked ticket in a random group — what a crowd of distinct buyers
-- does. Counts answers by status; done() prints them for crowd.sh to read.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  round = os.getenv("BENCH_ROUND") or "343"
  headers = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    table.insert(headers, { ["Authorization"] = "Bearer " .. line, ["Content-Type"] = "application/json" })
  end
  ok, limited, other = 0, 0, 0
end

function request()
  local body = '{"round":' .. round .. ',"tickets":[{"group":' .. math.random(1, 5) .. ',"auto":true}]}'
  return wrk.format("POST", "/api/v1/pension/purchases", headers[math.random(1, #headers)], body)
end

function response(status, headers, body)
  if status == 201 then ok = ok + 1
  elseif status == 429 then limited = limited + 1
  else
    other = other + 1
    if other <= 3 then io.stderr:write("non-201: " .. status .. " " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  local o, l, x = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); l = l + t:get("limited"); x = x + t:get("other")
  end
  io.write(string.format("answers_201=%d\nanswers_429=%d\nanswers_other=%d\n", o, l, x))
end
