#!/usr/bin/python3
"""A suspect HTTP deployment for `encryip trace --suspect-url` tests
(tests/cli/serve_cli.sh): answers POSTed raw uint8 tensors
(?dtype=uint8&shape=N,C,H,W, the request shape of encryip serve) with
{"result": {"labels": [...]}}, the labels printed by CMD FILE (FILE an idx
file of the images), e.g. `encryip classify --remote URL --key K --input` —
a leaked key behind a labelling front end.
Usage: serve_proxy.py PORTFILE CMD [ARGS...]"""
import http.server, json, os, struct, subprocess, sys, tempfile, urllib.parse

portfile, cmd = sys.argv[1], sys.argv[2:]


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        n, c, h, w = (int(x) for x in q["shape"][0].split(","))
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with tempfile.NamedTemporaryFile(suffix=".idx", delete=False) as f:
            if c == 1:
                f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, n, h, w))
            else:
                f.write(struct.pack(">BBBBIIII", 0, 0, 8, 4, n, c, h, w))
            f.write(body)
            path = f.name
        out = subprocess.run(cmd + [path], capture_output=True, text=True)
        os.unlink(path)
        labels = []
        for line in out.stdout.splitlines():
            try:
                labels.append(int(line))
            except ValueError:
                labels.append(None)
        data = json.dumps({"result": {"labels": labels}}).encode()
        self.send_response(200 if out.returncode == 0 else 502)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(f"{srv.server_address[1]}\n")
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
