"""caldav-server-tester against easdav (gateway + simulator) and against Radicale, compared.

Usage: cst_compare.py EASDAV_URL USER PASSWORD RADICALE_URL RUSER RPASSWORD REPORT_JSON

Runs the tester (the `caldav-server-tester` command next to this interpreter, --format json) on
both servers. If the tester itself crashes in a check (an AssertionError such as "CheckX failed to
check declared features"), that is recorded as a failure and the tester is run again without the
crashing check classes, so the other results are still collected.
Prints every feature that is not "full" on easdav, every difference to Radicale, and writes
both result sets to REPORT_JSON. Exits 1 (after printing everything) if the tester crashed on
easdav, if any easdav feature is "broken", or if easdav is less complete than Radicale on a
feature Exchange can represent (BY_DESIGN lists the ones it cannot, with the reason).
"""
import json
import os
import re
import subprocess
import sys

BY_DESIGN = {
    "save-load.journal": "Exchange ActiveSync has no journal folders (VJOURNAL cannot be stored)",
    "save-load.todo.mixed-calendar": "an EAS folder holds one item class: events and tasks are separate collections",
    "save-load.todo.mixed-calendar.ignored": "as save-load.todo.mixed-calendar",
    "save.etag": "no ETag on PUT responses: Exchange normalises what is stored, and RFC 9110 §9.3.4 forbids a "
                 "validator unless the stored bytes equal the body (the tester cannot grade without one)",
    "save-load.todo.recurrences.count": "refused with 403 valid-calendar-object-resource and a message: DTSTART "
                                        "is not an occurrence of the RRULE; iCalendar counts it in COUNT, an EAS "
                                        "recurrence cannot carry that extra instance",
}
RANK = {"full": 4, "quirk": 3, "fragile": 3, "unknown": 2, "unsupported": 1, "ungraceful": 0, "broken": -1}

eurl, euser, epw, rurl, ruser, rpw, report = sys.argv[1:8]
tester = os.path.join(os.path.dirname(sys.executable), "caldav-server-tester")
if not os.path.exists(tester):
    sys.exit(f"FAIL: caldav-server-tester not found next to {sys.executable} (pip install caldav-server-tester)")
ALL_CHECKS = subprocess.run([tester, "--list-checks"], capture_output=True, text=True, timeout=60).stdout.split()
if not ALL_CHECKS:
    sys.exit("FAIL: caldav-server-tester --list-checks printed nothing")


def run(url, user, pw, label):
    """Returns (features, crashes); crashes maps a check class to the tester's message."""
    crashes = {}
    for _ in range(8):
        args = [tester, "--caldav-url", url, "--caldav-username", user, "--caldav-password", pw, "--format", "json"]
        if crashes:
            for c in ALL_CHECKS:
                if c not in crashes:
                    args += ["--run-checks", c]
        p = subprocess.run(args, capture_output=True, text=True, timeout=600)
        if p.returncode == 0:
            return json.loads(p.stdout).get("features", {}), crashes
        tb = p.stderr[-3000:]
        m = re.search(r"(Check\w+) failed to check declared features: (.*)", tb)
        if m and m.group(1) not in crashes:
            crashes[m.group(1)] = m.group(0)
            print(f"{label}: tester crashed: {m.group(0)}", flush=True)
            continue
        frames = re.findall(r'File ".*?/caldav_server_tester/checks.py", line \d+, in (\w+)', tb)
        print(f"{label}: tester exited {p.returncode}:\n{tb}", file=sys.stderr, flush=True)
        sys.exit(f"FAIL: caldav-server-tester failed on {label} (last frames {frames[-3:]})")
    sys.exit(f"FAIL: caldav-server-tester kept crashing on {label}: {crashes}")


ours, our_crashes = run(eurl, euser, epw, "easdav")
theirs, their_crashes = run(rurl, ruser, rpw, "radicale")
with open(report, "w") as f:
    json.dump({"easdav": ours, "easdav_crashes": our_crashes, "radicale": theirs,
               "radicale_crashes": their_crashes}, f, indent=2, sort_keys=True)


def support(features, name):
    return features.get(name, {}).get("support", "full")


def count(features):
    out = {}
    for v in features.values():
        out[v.get("support", "?")] = out.get(v.get("support", "?"), 0) + 1
    return out


print(f"easdav: {len(ours)} features reported, {count(ours)}", flush=True)
print(f"radicale: {len(theirs)} features reported, {count(theirs)}", flush=True)
for name, v in sorted(ours.items()):
    if v.get("support") != "full":
        why = (v.get("behaviour") or v.get("description") or "")[:240]
        print(f"easdav not full: {name}: {v.get('support')} {why}", flush=True)
worse, better, by_design = [], [], []
for name in sorted(set(ours) | set(theirs)):
    a, b = support(ours, name), support(theirs, name)
    if a == b:
        continue
    print(f"differs: {name}: easdav={a} radicale={b}", flush=True)
    if RANK.get(a, 2) < RANK.get(b, 2):
        (by_design if name in BY_DESIGN else worse).append(name)
    elif RANK.get(a, 2) > RANK.get(b, 2):
        better.append(name)
for name in by_design:
    print(f"by design: {name}: {BY_DESIGN[name]}", flush=True)
print(f"easdav better on {len(better)}, worse on {len(worse) + len(by_design)} ({len(by_design)} by design)", flush=True)
broken = sorted(n for n, v in ours.items() if v.get("support") == "broken")
problems = []
if our_crashes:
    problems.append(f"tester crashed on easdav in {sorted(our_crashes)}")
if broken:
    problems.append(f"broken on easdav: {broken}")
if worse:
    problems.append(f"less complete than radicale: {worse}")
if not ours:
    problems.append("no features reported for easdav")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print("ALL OK", flush=True)
