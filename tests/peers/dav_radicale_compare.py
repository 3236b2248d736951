"""Runs caldav-server-tester against easdav (URL given) and against a fresh Radicale started
here on 127.0.0.1, and checks that easdav is at least as complete as Radicale except for the
features listed in BY_DESIGN (each with its reason; also in docs/dav.md).

Usage: dav_radicale_compare.py EASDAV_URL USER PASSWORD
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

BY_DESIGN = {
    "save-load.journal": "Exchange has no journal folders; collections hold VEVENT or VTODO only",
    "save-load.todo.mixed-calendar": "one EAS folder holds one item type: events and tasks live in separate collections",
    "save-load.todo.mixed-calendar.ignored": "as above",
}
RANK = {"full": 4, "fragile": 3, "quirk": 3, "unknown": 2, "unsupported": 1, "ungraceful": 0, "broken": -1}

url, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
bindir = os.path.dirname(sys.executable)


def tester(u, name, pw):
    p = subprocess.run(
        [os.path.join(bindir, "caldav-server-tester"), "--caldav-url", u, "--caldav-username", name,
         "--caldav-password", pw, "--format", "json"],
        capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        print(p.stderr[-3000:], file=sys.stderr)
        sys.exit(f"FAIL: tester exited {p.returncode} for {u}")
    return json.loads(p.stdout).get("features", {})


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


ours = tester(url, user, password)
with tempfile.TemporaryDirectory() as tmp:
    port = free_port()
    with open(os.path.join(tmp, "users"), "w") as f:
        f.write("tester:testpw\n")
    cfg = os.path.join(tmp, "config")
    with open(cfg, "w") as f:
        f.write(f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\n"
                f"htpasswd_filename = {tmp}/users\nhtpasswd_encryption = plain\n"
                f"[storage]\nfilesystem_folder = {tmp}/collections\n[logging]\nlevel = warning\n")
    rad = subprocess.Popen([sys.executable, "-m", "radicale", "--config", cfg],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("FAIL: radicale did not start")
        theirs = tester(f"http://127.0.0.1:{port}/", "tester", "testpw")
    finally:
        rad.terminate()
        try:
            rad.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rad.kill()

worse, better = [], []
for name in sorted(set(ours) | set(theirs)):
    a = ours.get(name, {}).get("support", "full")
    b = theirs.get(name, {}).get("support", "full")
    if a != b:
        print(f"{name}: easdav={a} radicale={b}")
    if RANK.get(a, 2) < RANK.get(b, 2):
        worse.append(name)
    elif RANK.get(a, 2) > RANK.get(b, 2):
        better.append(name)
unexplained = [n for n in worse if n not in BY_DESIGN]
print(f"easdav better on {len(better)}, worse on {len(worse)} ({len(worse) - len(unexplained)} by design)")
broken = [n for n, v in ours.items() if v.get("support") == "broken"]
if broken or unexplained:
    sys.exit(f"FAIL: broken={broken} worse-than-radicale={unexplained}")
print("easdav at least as complete as radicale")
