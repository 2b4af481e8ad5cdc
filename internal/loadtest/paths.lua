-- paths.lua makes wrk cycle through the request paths listed in a file,
-- one per line; thread i of n starts at line i and steps by n, so all the
-- threads together walk the list in order, round after round.
--   PATHS=tiles-z14.txt NTHREADS=4 wrk -t4 -c16 -d20s --latency -s paths.lua http://127.0.0.1:18091
-- NTHREADS must equal -t. HEADER="Accept-Encoding: gzip" adds one request header.
local count = 0

function setup(thread)
	count = count + 1
	thread:set("id", count)
end

function init(args)
	paths = {}
	for line in io.lines(os.getenv("PATHS")) do
		if line ~= "" then table.insert(paths, line) end
	end
	n = #paths
	-- wrk gives each thread its own Lua state: NTHREADS (wrk's -t) is the stride
	step = tonumber(os.getenv("NTHREADS") or "1")
	i = (id or 1) - 1
	local h = os.getenv("HEADER")
	if h and h ~= "" then
		local k, v = h:match("^([^:]+):%s*(.*)$")
		wrk.headers[k] = v
	end
end

function request()
	local p = paths[(i % n) + 1]
	i = i + step
	return wrk.format("GET", p)
end

function done(summary, latency, requests)
	local s = summary.duration / 1e6
	io.write(string.format("RESULT reqs=%d secs=%.2f rps=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f errors=%d non2xx=%d bytes=%d\n",
		summary.requests, s, summary.requests / s,
		latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
		summary.errors.status, summary.bytes))
end
