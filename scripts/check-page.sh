#!/usr/bin/env bash
# The page's canvas in headless Chromium: starts `Conditional serve` (release build) on a free port, opens the
# page in `chromium --headless` with the DevTools protocol on, and lets scripts/check_page.py draw a digit
# (mouse and touch strokes), press "re-draw as 8", "clean up as itself" and, after rubbing part out with the
# eraser, "complete"; it saves a screenshot after each into OUT (default Chapters/images/06-editing).
#   scripts/check-page.sh [OUT]
# Needs chromium (apt-get install -y chromium) and python3; no Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-Chapters/images/06-editing}
port=${PORT:-8093}
devtools=${DEVTOOLS_PORT:-9333}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "no chromium found: apt-get install -y chromium"; exit 1; }
server_binary=${CONDITIONAL:-.build/release/Conditional}
[ -x "$server_binary" ] || swift build -c release --product Conditional
profile=$(mktemp -d)
"$server_binary" serve --port "$port" > "$profile/server.log" 2>&1 &
server=$!
"$browser" --headless=new --no-sandbox --disable-gpu --user-data-dir="$profile" --remote-debugging-port="$devtools" \
    --window-size=900,1600 about:blank > "$profile/browser.log" 2>&1 &
browser_pid=$!
cleanup() { kill "$server" "$browser_pid" 2>/dev/null || true; wait "$server" "$browser_pid" 2>/dev/null || true; rm -rf "$profile"; }
trap cleanup EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && curl -sf "http://127.0.0.1:$devtools/json/version" > /dev/null && break
    sleep 0.2
done
python3 scripts/check_page.py --url "http://127.0.0.1:$port/" --devtools "$devtools" --out "$out"
