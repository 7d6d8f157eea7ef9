#!/usr/bin/python3
"""Bad-request table of encryip serve (tests/cli/serve_cli.sh): every case is
sent on its own connection and must get its status code (and a JSON error
naming the problem); after the table a good request must still work.
Usage: serve_requests.py PORT C H W MAX_BODY MAX_IMAGES"""
import base64, http.client, json, socket, struct, sys, time, zlib

port, C, H, W, max_body, max_images = (int(a) for a in sys.argv[1:7])
S = C * H * W
img = bytes((i * 7) % 256 for i in range(S))
fails = 0


def raw(data, read_timeout=10.0):
    """Sends raw bytes, returns (status, body) or (None, b'') if closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        s.sendall(data)
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            buf += chunk
            if b"\r\n\r\n" in buf:
                head, _, body = buf.partition(b"\r\n\r\n")
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    break
    finally:
        s.close()
    if not buf.startswith(b"HTTP/1."):
        return None, b""
    status = int(buf.split(b" ", 2)[1])
    return status, buf.partition(b"\r\n\r\n")[2]


def req(method, path, body=None, ctype=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    if ctype:
        h["Content-Type"] = ctype
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def check(name, got, want, body, needle=None):
    global fails
    ok = got == want
    if ok and want >= 400:
        try:
            msg = json.loads(body)["error"]["message"]
            ok = needle is None or needle in msg
        except Exception:
            ok = False
            msg = body[:200]
    else:
        msg = ""
    print(("ok   " if ok else "FAIL ") + f"{name}: {got} (want {want}) {msg}", flush=True)
    if not ok:
        fails += 1


def good():
    return req("POST", f"/v1/predict?dtype=uint8&shape=1,{C},{H},{W}", img, "application/octet-stream")


def png(c, h, w, px):
    """A minimal 8-bit PNG (grey c = 1, RGB c = 3) of interleaved pixels px."""
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    rows = b"".join(b"\0" + px[y * w * c:(y + 1) * w * c] for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0 if c == 1 else 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def js(obj):
    return json.dumps(obj).encode()


b64 = base64.b64encode(img).decode()
f32 = struct.pack(f"<{S}f", *[(i % 256) / 255.0 for i in range(S)])
q = f"?dtype=uint8&shape=1,{C},{H},{W}"
OCT, JS = "application/octet-stream", "application/json"
cases = [
    # (name, method, path, body, content type, want status, message part)
    ("raw: no dtype", "POST", f"/v1/predict?shape=1,{C},{H},{W}", img, OCT, 400, "dtype"),
    ("raw: no shape", "POST", "/v1/predict?dtype=uint8", img, OCT, 400, "shape"),
    ("raw: bad dtype", "POST", f"/v1/predict?dtype=int16&shape=1,{C},{H},{W}", img, OCT, 400, "int16"),
    ("raw: shape 3 dims", "POST", f"/v1/predict?dtype=uint8&shape=1,{H},{W}", img, OCT, 400, "N,C,H,W"),
    ("raw: shape not a number", "POST", f"/v1/predict?dtype=uint8&shape=1,x,{H},{W}", img, OCT, 400, "N,C,H,W"),
    ("raw: shape zero", "POST", f"/v1/predict?dtype=uint8&shape=0,{C},{H},{W}", img, OCT, 400, "N,C,H,W"),
    ("raw: wrong image size", "POST", f"/v1/predict?dtype=uint8&shape=1,{C},{H+1},{W}", img, OCT, 422, "model takes"),
    ("raw: body too short", "POST", "/v1/predict" + q, img[:-1], OCT, 400, "bytes"),
    ("raw: body too long", "POST", "/v1/predict" + q, img + b"x", OCT, 400, "bytes"),
    ("raw: float32 size mismatch", "POST", f"/v1/predict?dtype=float32&shape=1,{C},{H},{W}", img, OCT, 400, "float32"),
    ("raw: float32 NaN", "POST", f"/v1/predict?dtype=float32&shape=1,{C},{H},{W}",
     struct.pack("<f", float("nan")) + f32[4:], OCT, 422, "outside [0, 1]"),
    ("raw: float32 > 1", "POST", f"/v1/predict?dtype=float32&shape=1,{C},{H},{W}",
     struct.pack("<f", 3.0) + f32[4:], OCT, 422, "outside [0, 1]"),
    ("too many images", "POST", f"/v1/predict?dtype=uint8&shape={max_images+1},{C},{H},{W}",
     img * (max_images + 1), OCT, 413, "limit"),
    ("json: does not parse", "POST", "/v1/predict", b'{"images": [', JS, 400, "parse"),
    ("json: not an object", "POST", "/v1/predict", b"[1,2]", JS, 400, "images"),
    ("json: unknown field", "POST", "/v1/predict", js({"images": [], "x": 1}), JS, 400, None),
    ("json: empty images", "POST", "/v1/predict", js({"images": []}), JS, 400, "empty"),
    ("json: image not object", "POST", "/v1/predict", js({"images": [1]}), JS, 400, "images[0]"),
    ("json: bad base64", "POST", "/v1/predict", js({"images": [{"data": "!!!!", "shape": [C, H, W]}]}), JS, 400, "base64"),
    ("json: base64 too short", "POST", "/v1/predict",
     js({"images": [{"data": base64.b64encode(img[:10]).decode(), "shape": [C, H, W]}]}), JS, 400, "needs"),
    ("json: no shape", "POST", "/v1/predict", js({"images": [{"data": b64}]}), JS, 400, "shape"),
    ("json: wrong shape", "POST", "/v1/predict", js({"images": [{"data": b64, "shape": [3, H, W]}]}), JS, 422, "model takes"),
    ("json: shape not integers", "POST", "/v1/predict", js({"images": [{"data": b64, "shape": [1.5, H, W]}]}), JS, 400, "shape"),
    ("json: bad dtype", "POST", "/v1/predict", js({"images": [{"data": b64, "dtype": "u8", "shape": [C, H, W]}]}), JS, 400, "dtype"),
    ("json: data not a string", "POST", "/v1/predict", js({"images": [{"data": 5, "shape": [C, H, W]}]}), JS, 400, "data"),
    ("png: truncated file", "POST", "/v1/predict", png(C, H, W, img)[:40], "image/png", 400, "request body"),
    ("png: colour image for a grey model", "POST", "/v1/predict", png(3, H, W, img * 3), "image/png", 422, "model takes"),
    ("png: wrong size", "POST", "/v1/predict", png(C, H + 2, W, img + img[:2 * W]), "image/png", 422, "model takes"),
    ("jpeg: not a JPEG", "POST", "/v1/predict", b"\xff\xd8\xff\xe0garbage", "image/jpeg", 400, "request body"),
    ("json: png not base64", "POST", "/v1/predict", js({"images": [{"data": "*", "dtype": "png"}]}), JS, 400, "base64"),
    ("json: png garbage", "POST", "/v1/predict",
     js({"images": [{"data": base64.b64encode(b"not a png").decode(), "dtype": "png"}]}), JS, 400, "images[0]"),
    ("unsupported content type", "POST", "/v1/predict" + q, img, "text/plain", 415, "text/plain"),
    ("empty body", "POST", "/v1/predict" + q, b"", OCT, 400, "empty"),
    ("unknown path", "GET", "/v2/predict", None, None, 404, "no such endpoint"),
    ("wrong method on predict", "GET", "/v1/predict", None, None, 405, "not allowed"),
    ("wrong method on model", "POST", "/v1/model", b"x", OCT, 405, "not allowed"),
    ("wrong method DELETE", "DELETE", "/v1/public-key", None, None, 405, "not allowed"),
]
for name, method, path, body, ctype, want, needle in cases:
    st, data = req(method, path, body, ctype)
    check(name, st, want, data, needle)

# HTTP-level cases on raw sockets
st, data = raw(f"POST /v1/predict{q} HTTP/1.1\r\nHost: x\r\nContent-Type: {OCT}\r\nContent-Length: {max_body + 1}\r\n\r\n".encode())
check("oversize Content-Length (refused before the body)", st, 413, data, "limit")
st, data = raw(f"POST /v1/predict{q} HTTP/1.1\r\nHost: x\r\nContent-Type: {OCT}\r\nContent-Length: abc\r\n\r\n".encode())
# libmicrohttpd answers this one itself (HTML body): the status is the check
print(("ok   " if st == 400 else "FAIL ") + f"Content-Length not a number: {st} (want 400)", flush=True)
fails += st != 400
st, data = raw(f"POST /v1/predict{q} HTTP/1.1\r\nHost: x\r\nContent-Type: {OCT}\r\nConnection: close\r\n\r\n".encode())
check("missing Content-Length", st, 411, data, "Content-Length")
chunk = b"x" * 65536
n_chunks = max_body // len(chunk) + 2
body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(n_chunks)) + b"0\r\n\r\n"
st, data = raw(f"POST /v1/predict{q} HTTP/1.1\r\nHost: x\r\nContent-Type: {OCT}\r\nTransfer-Encoding: chunked\r\n\r\n".encode() + body)
check("chunked oversize", st, 413, data, "limit")
small = b"%x\r\n" % len(img) + img + b"\r\n0\r\n\r\n"
st, data = raw(f"POST /v1/predict{q} HTTP/1.1\r\nHost: x\r\nContent-Type: {OCT}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode() + small)
check("chunked good request", st, 200, data)

# slow client: half a request, then silence; the server must drop it after
# its timeout while answering everyone else meanwhile
slow = socket.create_connection(("127.0.0.1", port))
slow.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Le")
st, data = good()
check("good request while a slow client holds a connection", st, 200, data)
slow.settimeout(20)
t0 = time.time()
try:
    closed = slow.recv(100) == b""
except (ConnectionResetError, socket.timeout):
    closed = True
print(("ok   " if closed else "FAIL ") + f"slow client dropped by the server after {time.time() - t0:.1f} s", flush=True)
fails += not closed
slow.close()

if C in (1, 3):
    st, data = req("POST", "/v1/predict", png(C, H, W, img), "image/png")
    check("png: good image", st, 200, data)
    st, data = req("POST", "/v1/predict", js({"images": [{"data": base64.b64encode(png(C, H, W, img)).decode(),
                                                          "dtype": "png"}, {"data": b64, "shape": [C, H, W]}]}), JS)
    check("json: a png and a raw image", st, 200, data)
    if st == 200:
        ok = json.loads(data)["count"] == 2
        print(("ok   " if ok else "FAIL ") + "json: two answers", flush=True)
        fails += not ok
st, data = good()
check("good request after the table", st, 200, data)
if st == 200:
    a = json.loads(data)
    ok = a["count"] == 1 and len(a["ciphertexts"]) == 1 and len(a["key_id"]) == 32
    print(("ok   " if ok else "FAIL ") + "good answer shape", flush=True)
    fails += not ok
print(f"{len(cases) + 10} cases, {fails} failed")
sys.exit(1 if fails else 0)
