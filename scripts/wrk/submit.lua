-- durable submits (POST /v1/intents), a new intent id per request; the id
-- of every 202 goes to $ACKED-<thread> so the run can check, after killing
-- the agent, that each one is in the store.
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args)
  math.randomseed(os.time() + tid)
  prefix = "wrk" .. tid .. "-" .. math.random(1, 1e9) .. "-"
  out = io.open((os.getenv("ACKED") or "acked") .. "-" .. tid, "w")
  counter = 0
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"id":"' .. prefix .. counter ..
    '","kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":' .. (1500 + counter % 1000) .. '}}')
end
function response(status, headers, body)
  if status == 202 then
    local id = string.match(body, '"id":"([^"]+)"')
    if id then out:write(id, "\n"); out:flush() end
  end
end
