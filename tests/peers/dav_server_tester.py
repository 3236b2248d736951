"""Runs caldav-server-tester against a CalDAV URL and fails on any "broken" feature.

Usage: dav_server_tester.py URL USER PASSWORD [REPORT_JSON]
Prints one line per feature that is not "full" and a summary line; exits 1 if any feature is
"broken" or the tester itself failed.
"""
import collections
import json
import os
import subprocess
import sys

url, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
report = sys.argv[4] if len(sys.argv) > 4 else None
tester = os.path.join(os.path.dirname(sys.executable), "caldav-server-tester")
if not os.path.exists(tester):
    print(f"FAIL: caldav-server-tester not found next to {sys.executable}", file=sys.stderr)
    sys.exit(2)
proc = subprocess.run(
    [tester, "--caldav-url", url, "--caldav-username", user, "--caldav-password", password, "--format", "json"],
    capture_output=True, text=True, timeout=300,
)
if proc.returncode != 0:
    print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
    print(f"FAIL: caldav-server-tester exited {proc.returncode}", file=sys.stderr)
    sys.exit(1)
data = json.loads(proc.stdout)
features = data.get("features", {})
if report:
    with open(report, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
counts = collections.Counter(v.get("support", "?") for v in features.values())
for name, v in sorted(features.items()):
    if v.get("support") != "full":
        print(f"{name}: {v.get('support')} {(v.get('behaviour') or '')[:200]}")
print("summary:", dict(counts))
broken = [n for n, v in features.items() if v.get("support") == "broken"]
if broken:
    print("FAIL: broken features:", ", ".join(sorted(broken)), file=sys.stderr)
    sys.exit(1)
if not features:
    print("FAIL: the tester reported no features", file=sys.stderr)
    sys.exit(1)
print("no broken features")
