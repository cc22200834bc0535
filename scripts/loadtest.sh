#!/usr/bin/env bash
# A bounded load test of the digit service on the loopback address: starts the server, sends a fixed number
# of requests with a fixed concurrency, prints p50 / p95 latency, throughput and status codes, then stops the
# server with SIGTERM (graceful shutdown) and checks that it exited. It stops by itself.
#
#   scripts/loadtest.sh [requests=40] [concurrency=2] [port=8089] [checkpoint=Checkpoints/conditional.safetensors]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-40}
concurrency=${2:-2}
port=${3:-8089}
checkpoint=${4:-Checkpoints/conditional.safetensors}
url="http://127.0.0.1:${port}"

swift build -c release --product Conditional >/dev/null
bin="$(swift build -c release --show-bin-path)/Conditional"
"$bin" serve --host 127.0.0.1 --port "$port" --checkpoint "$checkpoint" > /tmp/loadtest-server.log 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    curl -sf "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -sf "$url/healthz" >/dev/null || { echo "server did not start:"; cat /tmp/loadtest-server.log; exit 1; }

# Warm-up, then one request alone (the latency a single user sees).
curl -sf -o /dev/null "$url/api/generate?digit=0&seed=0"
single=$(curl -sf -o /dev/null -w '%{time_total}' "$url/api/generate?digit=7&seed=1")

results=$(mktemp)
start=$(date +%s.%N)
seq 1 "$requests" | xargs -P "$concurrency" -n 1 sh -c \
    'curl -s -o /dev/null --max-time 60 -w "%{http_code} %{time_total}\n" "$0/api/generate?digit=$(( $1 % 10 ))&seed=$1"' \
    "$url" > "$results" || true
end=$(date +%s.%N)

echo "one request alone: ${single} s (digit 7, the service defaults)"
echo "load: $requests requests, concurrency $concurrency, loopback"
awk '{print $1}' "$results" | sort | uniq -c | awk '{print "  HTTP " $2 ": " $1}'
awk '$1 == 200 {print $2}' "$results" | sort -n | awk -v total="$(echo "$end - $start" | bc)" '
    { t[NR] = $1 }
    END {
        if (NR == 0) { print "  no successful requests"; exit 1 }
        p50 = t[int((NR - 1) * 0.50) + 1]; p95 = t[int((NR - 1) * 0.95) + 1]
        printf "  latency p50 %.3f s, p95 %.3f s, max %.3f s\n", p50, p95, t[NR]
        printf "  throughput %.2f images/s over %.1f s\n", NR / total, total
    }'
rm -f "$results"

kill -TERM "$server"
for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server" 2>/dev/null; then echo "server did not stop on SIGTERM"; exit 1; fi
trap - EXIT
echo "server stopped gracefully on SIGTERM"
