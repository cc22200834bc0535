#!/usr/bin/env bash
# The digit service past its capacity, with wrk (apt-get install wrk) and scripts/overload.lua. Starts the release
# server on the loopback address and, in order:
#   1. capacity: one client, one request after another, at the service defaults (requests/s, p50/p95);
#   2. SECONDS at 2x and SECONDS at 10x that rate, paced (open loop): status codes, 503s without Retry-After,
#      p50/p95 of the accepted (200) requests, and /healthz timed once a second during the 10x run;
#   3. resident memory (VmRSS) before the overload and after it;
#   4. /healthz while 500 connections sit open (250 idle, 250 sending a header one byte at a time);
#   5. SIGTERM while requests are in flight under load: what the in-flight requests got, and the exit code.
# It stops by itself (about 3 minutes plus the build at the default 60 s) and stops the server on any exit.
#
#   scripts/overload.sh [seconds=60] [port=8091] [checkpoint=Checkpoints/conditional.safetensors]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
port=${2:-8091}
checkpoint=${3:-Checkpoints/conditional.safetensors}
url="http://127.0.0.1:${port}"
work=$(mktemp -d)
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

swift build -c release --product Conditional >/dev/null
bin="$(swift build -c release --show-bin-path)/Conditional"
"$bin" serve --host 127.0.0.1 --port "$port" --checkpoint "$checkpoint" > "$work/server.log" 2>&1 &
server=$!
helpers=()
cleanup() {
    for p in "${helpers[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "$server" ] && kill -TERM "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 150); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$url/healthz" >/dev/null || { echo "server did not start:"; cat "$work/server.log"; exit 1; }

rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }   # kB
# Resident memory of the idle server: the median of 5 samples 0.5 s apart, after 2 s without requests. One
# snapshot moves by about 10% with whatever buffers are still being freed when it is taken.
rss_idle() {
    sleep 2
    for _ in 1 2 3 4 5; do rss; sleep 0.5; done | sort -n | sed -n 3p
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
field() { awk -v k="$1" '$1 == k {print $'"${2:-2}"'}' "$3"; }
# wrk with the Lua script: threads = connections = $1, rate $2 (0: closed loop), for $3.
load() {
    OVERLOAD_THREADS=$1 wrk -t "$1" -c "$1" -d "$3" --timeout 40s -s scripts/overload.lua "$url" -- "$2" > "$4" 2>&1
}
# Lines "CODE SECONDS" (curl's -w) -> how many were 200, the median and the slowest.
timings() {
    sort -k2 -n "$2" | awk -v label="$1" '{n++; if ($1 == 200) ok++; t[n] = $2}
        END {printf "  %s: %d of %d answered 200, median %.1f ms, max %.1f ms\n", label, ok, n, 1000 * t[int((n + 1) / 2)], 1000 * t[n]}'
}
report() {
    echo "  $(grep '^requests' "$1")"
    grep '^status' "$1" | sed 's/^/  HTTP /; s/status //' || true
    echo "  503s without Retry-After: $(field 503_without_retry_after 2 "$1");  $(grep '^errors' "$1")"
    echo "  accepted (200): $(field accepted 2 "$1"), p50 $(field accepted 4 "$1") ms, p95 $(field accepted 6 "$1") ms, max $(field accepted 8 "$1") ms"
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; load average at start: $(loadavg)"
pgrep -fa 'Conditional-rel|swift-build|swift-frontend' | cut -c1-100 | sed 's/^/  also running: /' | head -5 || true

# Warm-up (first requests allocate the sampler's buffers).
for d in 0 1 2 3 4; do curl -sf -o /dev/null "$url/api/generate?digit=$d&seed=$d"; done

echo "1. capacity: one client, requests back to back, 15 s"
load 1 0 15s "$work/base.txt"
report "$work/base.txt"
capacity=$(awk '$1 == "requests" {gsub(/[(\/s)]/, "", $6); print $6}' "$work/base.txt")
rss_before=$(rss_idle)
echo "  capacity ${capacity} requests/s; resident memory ${rss_before} kB"

echo "2. ${seconds} s at 2x capacity ($(awk -v c="$capacity" 'BEGIN {printf "%.1f", 2 * c}') requests/s offered, 16 connections); load average $(loadavg)"
load 16 "$(awk -v c="$capacity" 'BEGIN {print 2 * c}')" "${seconds}s" "$work/x2.txt"
report "$work/x2.txt"

echo "   ${seconds} s at 10x capacity ($(awk -v c="$capacity" 'BEGIN {printf "%.1f", 10 * c}') requests/s offered, 48 connections); load average $(loadavg)"
( for _ in $(seq 1 "$seconds"); do
      curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$url/healthz" || echo "000 5"
      sleep 1
  done > "$work/health10.txt" ) &
helpers+=($!)
load 48 "$(awk -v c="$capacity" 'BEGIN {print 10 * c}')" "${seconds}s" "$work/x10.txt"
wait "${helpers[-1]}" 2>/dev/null || true
report "$work/x10.txt"
timings "/healthz during the 10x run" "$work/health10.txt"

rss_after=$(rss_idle)
awk -v a="$rss_before" -v b="$rss_after" 'BEGIN {printf "3. resident memory (idle, median of 5 samples): %d kB before the overload, %d kB after (%+.1f%%)\n", a, b, 100 * (b - a) / a}'

echo "4. /healthz with 500 connections open (250 idle, 250 sending a header a byte every 2 s)"
python3 - "$port" "$work/sockets-ready" "$work/sockets-stop" <<'EOF' &
import socket, sys, time, os
port, ready, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(250)]
slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(250)]
for s in slow: s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
open(ready, "w").close()
deadline = time.time() + 60
while not os.path.exists(stop) and time.time() < deadline:
    time.sleep(2)
    for s in slow:
        try: s.sendall(b"a")
        except OSError: pass
print(sum(1 for s in idle + slow if s.fileno() >= 0), "sockets held")
EOF
helpers+=($!)
for _ in $(seq 1 100); do [ -e "$work/sockets-ready" ] && break; sleep 0.1; done
[ -e "$work/sockets-ready" ] || echo "  (the 500 connections did not all open)"
command -v ss >/dev/null && echo "  connections open to the port: $(ss -tn state established "( dport = :$port )" | tail -n +2 | wc -l)"
for _ in $(seq 1 10); do
    curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$url/healthz" || echo "000 5"
    sleep 0.2
done > "$work/health-idle.txt"
timings "/healthz" "$work/health-idle.txt"
echo "  a digit meanwhile: $(curl -s -o /dev/null --max-time 30 -w 'HTTP %{http_code} in %{time_total} s' "$url/api/generate?digit=7&seed=1")"
touch "$work/sockets-stop"
wait "${helpers[-1]}" 2>/dev/null || true

# Four slower requests (20 steps, about twice the default's time each) are sent first, so that several are still
# running or queued when SIGTERM comes half a second later, with the 2x load beside them. After SIGTERM the server
# closes its port, so wrk's attempts to reconnect count as socket errors until its 5 s are over.
echo "5. SIGTERM with 4 requests in flight (20 steps each) under 2x load"
for i in 1 2 3 4; do
    ( curl -s -o "$work/probe$i.png" --max-time 60 -w '%{http_code} %{size_download}' "$url/api/generate?digit=$i&seed=$i&steps=20" > "$work/probe$i.txt"
      echo " $?" >> "$work/probe$i.txt" ) &
    helpers+=($!)
done
sleep 0.1
( load 16 "$(awk -v c="$capacity" 'BEGIN {print 2 * c}')" 5s "$work/term.txt" ) &
loadjob=$!
sleep 0.4
kill -TERM "$server"
started=$(date +%s.%N)
set +e
wait "$server"
status=$?
set -e
stopped=$(date +%s.%N)
server=""
wait "$loadjob" || true
for i in 1 2 3 4; do wait "${helpers[-$i]}" 2>/dev/null || true; done
echo "  the server exited with status $status, $(echo "$stopped - $started" | bc) s after SIGTERM"
for i in 1 2 3 4; do
    read -r code size curlexit < "$work/probe$i.txt"
    png=$(python3 -c "import sys; d = open(sys.argv[1], 'rb').read(); print('a whole PNG' if d[:8] == b'\x89PNG\r\n\x1a\n' and d[-8:-4] == b'IEND' else 'not a whole PNG')" "$work/probe$i.png" 2>/dev/null || echo "no file")
    echo "  in-flight request $i: HTTP $code, $size bytes, curl exit $curlexit, $png"
done
echo "  the load during shutdown:"
report "$work/term.txt"
tail -3 "$work/server.log" | sed 's/^/  server: /'
[ "$status" -eq 0 ]
