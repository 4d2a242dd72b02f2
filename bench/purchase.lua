-- wrk script: single-ticket direct purchases, each of a ticket no other request uses, so every
-- request is a real sale (201). Thread i of n buys tickets i, i+n, i+2n, ... starting at OFFSET.
-- Tokens come from the file named by env BENCH_TOKENS, one per line; thread i uses token i.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
  round = os.getenv("BENCH_ROUND") or "343"
  local tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do table.insert(tokens, line) end
  token = tokens[(id % #tokens) + 1]
  headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function request()
  local t = offset + id + nthreads * counter
  counter = counter + 1
  local group = math.floor(t / 1000000) % 5 + 1
  local number = string.format("%06d", t % 1000000)
  local body = '{"round":' .. round .. ',"tickets":[{"group":' .. group .. ',"number":"' .. number .. '"}]}'
  return wrk.format("POST", "/api/v1/pension/purchases", headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
    errors = (errors or 0) + 1
    if errors <= 3 then io.stderr:write("non-201: " .. status .. " " .. body .. "\n") end
  end
end
