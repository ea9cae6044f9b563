-- dry-run plans of one interface change on r1 (POST /v1/intents:plan)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"kind":"interface","targets":{"devices":["r1"]},"spec":{"name":"e1-1","mtu":9000}}'
