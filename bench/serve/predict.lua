-- wrk script for encryip serve (docs/BENCHMARKS.md "encryip serve"): every
-- request POSTs one real test image as a raw uint8 tensor, cycling through the
-- images of IMAGES (env, raw bytes, IMAGE_BYTES = C*H*W each, SHAPE = "C,H,W").
-- done() prints one JSON line with throughput, latency percentiles and errors.
local path = os.getenv("IMAGES")
local ib = tonumber(os.getenv("IMAGE_BYTES"))
local shape = os.getenv("SHAPE")
local reqs, idx = {}, 0

function init(args)
  local f = assert(io.open(path, "rb"))
  local all = f:read("*a")
  f:close()
  local n = math.floor(#all / ib)
  for i = 0, n - 1 do
    reqs[#reqs + 1] = wrk.format("POST", "/v1/predict?dtype=uint8&shape=1," .. shape,
      {["Content-Type"] = "application/octet-stream"}, all:sub(i * ib + 1, (i + 1) * ib))
  end
  idx = math.random(#reqs)
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, e.connect, e.read, e.write, e.status, e.timeout))
end
