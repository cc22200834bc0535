#!/usr/bin/env python3
"""Drives the digit page's canvas in headless Chromium over the DevTools protocol, with the standard library only
(a minimal WebSocket client below): draws a digit with mouse strokes and one touch stroke, presses
"re-draw as 8", "clean up as itself", rubs out part with the eraser and presses "complete" (as a 3), and saves a
screenshot after each. Prints what the page said. Used by scripts/check-page.sh.

    python3 scripts/check_page.py --url http://127.0.0.1:8093/ --devtools 9333 --out Chapters/images/06-editing
"""
import argparse, base64, json, math, os, socket, struct, sys, time, urllib.request


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames out (masked), text frames in."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port or 80)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"websocket handshake refused: {head[:200]!r}")

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("websocket closed")
            data += chunk
        return data

    def send(self, text):
        payload = text.encode()
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x9:  # ping: answer pong
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class Page:
    def __init__(self, devtools_port):
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list"))
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = WebSocket(page["webSocketDebuggerUrl"])
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def center(self, element_id):
        r = self.js(f"(() => {{ const r = document.getElementById('{element_id}').getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }})()")
        return r[0] + r[2] / 2, r[1] + r[3] / 2

    def click(self, element_id):
        x, y = self.center(element_id)
        for kind in ["mousePressed", "mouseReleased"]:
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", buttons=1 if kind == "mousePressed" else 0, clickCount=1)

    def mouse_stroke(self, points):
        (x, y), rest = points[0], points[1:]
        self.call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left", buttons=1, clickCount=1)
        for x, y in rest:
            self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y, button="left", buttons=1)
        self.call("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=y, button="left", buttons=0, clickCount=1)

    def touch_stroke(self, points):
        (x, y), rest = points[0], points[1:]
        self.call("Input.dispatchTouchEvent", type="touchStart", touchPoints=[{"x": x, "y": y}])
        for x, y in rest:
            self.call("Input.dispatchTouchEvent", type="touchMove", touchPoints=[{"x": x, "y": y}])
        self.call("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])

    def wait_for_status(self, prefix, seconds=120):
        deadline = time.time() + seconds
        while time.time() < deadline:
            status, error = self.js("[document.getElementById('editStatus').textContent, document.getElementById('editError').textContent]")
            if status.startswith(prefix) or error:
                return status, error
            time.sleep(0.2)
        return "timed out", ""

    def screenshot(self, path):
        r = self.js("(() => { const a = document.getElementById('canvasTitle').getBoundingClientRect(), b = document.getElementById('editError').getBoundingClientRect();"
                    " return [a.x + window.scrollX, a.y + window.scrollY, b.y + b.height - a.y]; })()")
        clip = {"x": 0, "y": max(r[1] - 10, 0), "width": 900, "height": r[2] + 30, "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print(f"  wrote {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--devtools", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    page = Page(args.devtools)
    page.call("Page.enable")
    page.call("Emulation.setDeviceMetricsOverride", width=900, height=1600, deviceScaleFactor=1, mobile=False)
    page.call("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=1)
    page.call("Page.navigate", url=args.url)
    for _ in range(100):
        if page.js("document.readyState") == "complete" and page.js("!!document.getElementById('pad')"):
            break
        time.sleep(0.1)
    page.js("document.getElementById('pad').scrollIntoView(); window.scrollBy(0, -40); true")
    time.sleep(0.3)
    px, py = page.center("pad")
    # A "3" drawn as two arcs with the mouse, in pad coordinates (-1..1 around the centre, the pad is 280 px).
    def to_page(u, v):
        return px + u * 100, py + v * 110
    upper = [to_page(0.55 * math.sin(a) - 0.05, -0.5 - 0.45 * math.cos(a)) for a in [i * math.pi / 14 - math.pi / 2.4 for i in range(19)]]
    lower = [to_page(0.6 * math.sin(a), 0.45 - 0.5 * math.cos(a)) for a in [i * math.pi / 14 - 0.2 for i in range(17)]]
    page.mouse_stroke(upper)
    page.touch_stroke(lower)  # the lower arc with a "finger"
    ink = page.js("(() => { const c = document.getElementById('pad').getContext('2d').getImageData(0, 0, 280, 280).data;"
                  " let n = 0; for (let i = 0; i < c.length; i += 4) if (c[i] > 128) n++; return n; })()")
    print(f"  drawn: {ink} lit pixels of 280x280 on the pad")
    checks = []
    for action, expect, name in [("as8", "Re-drawn", "canvas-as-8.png"), ("cleanUp", "Cleaned", "canvas-clean.png")]:
        page.click(action)
        status, error = page.wait_for_status(expect)
        shown = page.js("document.getElementById('editResult').naturalWidth")
        print(f"  {action}: status '{status}', error '{error}', result image {shown} px wide")
        checks.append(status.startswith(expect) and not error and shown == 224)
        page.screenshot(os.path.join(args.out, name))
    # Rub out the lower right part with the eraser, then complete.
    page.click("eraseTool")
    page.mouse_stroke([to_page(0.1, 0.15), to_page(0.7, 0.15), to_page(0.7, 0.5), to_page(0.1, 0.5), to_page(0.1, 0.85), to_page(0.7, 0.85)])
    page.js("document.getElementById('completeAs').value = '3'; true")  # complete it as a 3
    page.click("complete")
    status, error = page.wait_for_status("Completed")
    shown = page.js("document.getElementById('editResult').naturalWidth")
    print(f"  complete: status '{status}', error '{error}', result image {shown} px wide")
    checks.append(status.startswith("Completed") and not error and shown == 224)
    page.screenshot(os.path.join(args.out, "canvas-complete.png"))
    # An empty pad: the page says so instead of sending nothing.
    page.click("clearPad")
    page.click("as1")
    error = page.js("document.getElementById('editError').textContent")
    print(f"  empty pad: error '{error}'")
    checks.append(error == "Draw a digit first.")
    print("page check: " + ("passed" if all(checks) else f"FAILED {checks}"))
    sys.exit(0 if all(checks) else 1)


if __name__ == "__main__":
    main()
