-- wrk script: single-ticket direct purchases, each of a ticket no other request uses, so every
-- request is a real sale (201). Thread i of n buys tickets i, i+n, i+2n, ... starting at OFFSET.
-- Tokens come from the file named by env BENCH_TOKENS, one per line; requests rotate through
-- them, so the load comes from many buyers (as it would in production), not one wallet row.
-- BENCH_ALL_GROUPS=1: each request buys one six-digit number in all five groups (five tickets,
-- the "every group" purchase of Pension 720+): request t buys number t (t < 1,000,000) in groups 1-5.
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
  all_groups = os.getenv("BENCH_ALL_GROUPS") == "1"
  headers = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    table.insert(headers, { ["Authorization"] = "Bearer " .. line, ["Content-Type"] = "application/json" })
  end
end

function request()
  local t = offset + id + nthreads * counter
  counter = counter + 1
  local body
  if all_groups then
    local number = string.format("%06d", t % 1000000)
    local items = {}
    for group = 1, 5 do items[group] = '{"group":' .. group .. ',"number":"' .. number .. '"}' end
    body = '{"round":' .. round .. ',"tickets":[' .. table.concat(items, ",") .. ']}'
  else
    local group = math.floor(t / 1000000) % 5 + 1
    local number = string.format("%06d", t % 1000000)
    body = '{"round":' .. round .. ',"tickets":[{"group":' .. group .. ',"number":"' .. number .. '"}]}'
  end
  return wrk.format("POST", "/api/v1/pension/purchases", headers[(t % #headers) + 1], body)
end

function response(status, headers, body)
  if status ~= 201 then
    errors = (errors or 0) + 1
    if errors <= 3 then io.stderr:write("non-201: " .. status .. " " .. body .. "\n") end
  end
end
