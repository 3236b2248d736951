"""Two-way vdirsyncer sync of a calendar and an address book between local files (built from
../shared/corpus) and easdav, checked against the simulator's control API.

Usage: vdirsyncer_e2e.py BASE_URL USER PASSWORD CONTROL_URL CORPUS_DIR WORK_DIR [N]

1. Picks up to N (default 20) single-object VEVENT .ics files and N single vCard .vcf files from
   the corpus (round robin over the origin projects). Each is PUT once to the gateway as a probe:
   accepted ones are deleted again and used; rejected ones are counted and reported, and every
   rejection must be a 4xx with a DAV precondition / error body (never a 5xx or an empty body).
2. The accepted files become vdirsyncer's local filesystem storage; `vdirsyncer discover` and
   `sync` run (config generated in WORK_DIR, no prompts).
3. Checks: the simulator holds one item per accepted file; the same UIDs on both sides, none
   duplicated; every item comes back down with the same meaning (summary, start/end, recurrence,
   location / name, e-mails, phones, organisation); a second sync changes nothing locally.
4. A change on the simulator (control API) comes down with the next sync; a local change goes up.
5. Again: same UID sets, nothing duplicated or lost.
Prints "ok: ..." / "FAIL: ..." lines and figures; "ALL OK" and exit 0 only if every check passed.
"""
import collections
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from urllib.parse import unquote, urlparse

import icalendar
import requests

base, user, password, control, corpus, work = sys.argv[1:7]
N = int(sys.argv[7]) if len(sys.argv) > 7 else 20
base, control = base.rstrip("/"), control.rstrip("/")
auth = (user, password)
D = "{DAV:}"
CAL = f"/calendars/{user}/calendar/"
BOOK = f"/addressbooks/{user}/contacts/"
FAILED = []


def expect(cond, msg):
    if cond:
        print("ok:", msg, flush=True)
    else:
        FAILED.append(msg)
        print("FAIL:", msg, file=sys.stderr, flush=True)
    return cond


def die(msg):
    print("FAIL:", msg, file=sys.stderr, flush=True)
    for f in FAILED:
        print("FAIL (earlier):", f, file=sys.stderr, flush=True)
    sys.exit(1)


# ---------- corpus selection ----------

def unfold(text):
    return re.sub(r"\r?\n[ \t]", "", text)


def vcard_props(text):
    """[(NAME, params, value)] of an unfolded vCard (group prefixes dropped)."""
    out = []
    for line in unfold(text).splitlines():
        m = re.match(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)$", line)
        if m:
            out.append((m.group(1).upper(), m.group(2), m.group(3)))
    return out


def card_uid(text):
    for n, _, v in vcard_props(text):
        if n == "UID":
            return v.strip()
    return None


def event_ok(raw):
    try:
        text = raw.decode("utf-8")
        cal = icalendar.Calendar.from_ical(text)
    except Exception:
        return None
    comps = [c for c in cal.walk() if c.name in ("VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY")]
    if not comps or any(c.name != "VEVENT" for c in comps) or text.count("BEGIN:VCALENDAR") != 1:
        return None
    uids = {str(c.get("uid", "")) for c in comps}
    if len(uids) != 1 or "" in uids or not all(c.get("dtstart") for c in comps):
        return None
    return uids.pop()


def card_ok(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.count("BEGIN:VCARD") != 1 or "END:VCARD" not in text:
        return None
    props = {n for n, _, _ in vcard_props(text)}
    uid = card_uid(text)
    return uid if uid and "FN" in props else None


def pick(folder, ext, accept):
    by_src = collections.defaultdict(list)
    for name in sorted(os.listdir(folder)):
        if name.endswith(ext):
            raw = open(os.path.join(folder, name), "rb").read()
            if len(raw) > 30000:
                continue
            uid = accept(raw)
            if uid:
                by_src[name.split("_")[0]].append((name, raw, uid))
    picked, seen_uids = [], set()
    queues = [collections.deque(v) for _, v in sorted(by_src.items())]
    while len(picked) < 2 * N and any(queues):
        for q in queues:
            if q and len(picked) < 2 * N:
                name, raw, uid = q.popleft()
                if uid not in seen_uids:
                    seen_uids.add(uid)
                    picked.append((name, raw, uid))
    return picked  # twice as many as needed: rejections are replaced from the rest


# The first child element of DAV:error names the precondition (RFC 4918 §16).
PRECONDITION = re.compile(r"<(?:[A-Za-z]+:)?error\b[^>]*>\s*<[A-Za-z]+:([A-Za-z-]+)")


def probe(collection, ext, ctype, picked):
    """PUTs each candidate; returns (accepted, rejected)."""
    accepted, rejected = [], []
    for i, (name, raw, uid) in enumerate(picked):
        if len(accepted) >= N:
            break
        href = f"{base}{collection}probe-{i}{ext}"
        r = requests.put(href, data=raw, auth=auth, timeout=20,
                         headers={"Content-Type": ctype, "If-None-Match": "*"})
        if r.status_code in (201, 204):
            d = requests.delete(href, auth=auth, timeout=20)
            if d.status_code not in (200, 204):
                die(f"probe DELETE {href} answered {d.status_code}")
            accepted.append((name, raw, uid))
            continue
        body = r.text
        m = re.search(r"<X:message[^>]*>(.*?)</X:message>", body, re.S)
        why = m.group(1) if m else body.strip()[:300]
        cond = PRECONDITION.search(body)
        clear = 400 <= r.status_code < 500 and r.status_code not in (401, 404) and cond is not None and why
        rejected.append((name, r.status_code, cond.group(1) if cond else None, why))
        expect(clear, f"rejection of {name} is a 4xx with a precondition element ({r.status_code} "
               f"{cond.group(1) if cond else None}: {why!r})")
        if ext == ".vcf" and cond and cond.group(1).startswith(("valid-calendar", "supported-calendar")):
            expect(False, f"rejection of vCard {name} names a CalDAV precondition ({cond.group(1)}), "
                   "expected a CardDAV one (RFC 6352 §6.3.2.1: CARDDAV:valid-address-data / supported-address-data)")
    return accepted, rejected


# ---------- DAV and control helpers ----------

def listing(collection):
    r = requests.request("PROPFIND", base + collection, auth=auth, timeout=20, headers={"Depth": "1"},
                         data='<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>')
    if r.status_code != 207:
        die(f"PROPFIND {collection} answered {r.status_code}")
    out = {}
    for x in ET.fromstring(r.content).findall(f"{D}response"):
        etag = x.findtext(f".//{D}getetag")
        if etag:
            out[unquote(urlparse(x.findtext(f"{D}href")).path)] = etag
    return out


def remote_objects(collection):
    """{href: text} of every member."""
    out = {}
    for href in listing(collection):
        r = requests.get(base + href, auth=auth, timeout=20)
        if r.status_code != 200:
            die(f"GET {href} answered {r.status_code}")
        out[href] = r.text
    return out


def sim_items(folder_type):
    folders = requests.get(f"{control}/users/{user}/folders", timeout=10).json()
    fid = [f["id"] for f in folders if f["type"] == folder_type][0]
    return requests.get(f"{control}/users/{user}/folders/{fid}/items", timeout=10).json()


def local_files(d):
    return {n: open(os.path.join(d, n), encoding="utf-8").read() for n in sorted(os.listdir(d))
            if not n.startswith(".")}


def uid_of(text, ext):
    if ext == ".vcf":
        return card_uid(text)
    return event_ok(text.encode("utf-8"))


# ---------- meaning ----------

def instant(v):
    dt = v.dt if hasattr(v, "dt") else v
    if isinstance(dt, datetime):
        if dt.tzinfo is None:
            return ("floating", dt.replace(tzinfo=None))
        return ("utc", dt.astimezone(timezone.utc))
    if isinstance(dt, date):
        return ("date", dt)
    return ("?", str(dt))


WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def rrule_norm(r, start):
    """The rule with the parts DTSTART implies made explicit (RFC 5545 §3.3.10: a missing BYDAY /
    BYMONTHDAY / BYMONTH is taken from DTSTART), WKST and INTERVAL=1 dropped."""
    if r is None:
        return None
    r = {k.upper(): v for k, v in r.items()}
    freq = str((r.get("FREQ") or [""])[0]).upper()
    if freq == "WEEKLY" and "BYDAY" not in r:
        r["BYDAY"] = [WEEKDAYS[start.weekday()]]
    if freq in ("MONTHLY", "YEARLY") and not any(k in r for k in ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO")):
        r["BYMONTHDAY"] = [start.day]
    if freq == "YEARLY" and "BYMONTH" not in r and "BYYEARDAY" not in r and "BYWEEKNO" not in r:
        r["BYMONTH"] = [start.month]
    keep = {}
    for k, v in r.items():
        k = k.upper()
        if k in ("WKST",):
            continue
        vals = v if isinstance(v, list) else [v]
        if k == "UNTIL":
            vals = [str(instant(vals[0])[1])[:10]]
        elif k == "INTERVAL" and [str(x) for x in vals] == ["1"]:
            continue
        keep[k] = sorted(str(x).upper() for x in vals)
    return keep


def event_meaning(text):
    cal = icalendar.Calendar.from_ical(text)
    out = {}
    for c in cal.walk("VEVENT"):
        rid = c.get("recurrence-id")
        key = "master" if rid is None else str(instant(rid)[1])
        start = instant(c["dtstart"])
        end = c.get("dtend")
        if end is not None:
            end = instant(end)
        elif c.get("duration") is not None:
            e = c["dtstart"].dt + c["duration"].dt
            end = instant(e)
        # Invalid or degenerate ends (RFC 5545 §3.6.1: DTEND later than DTSTART) are normalised by
        # every server: a DATE end not after the start means one day, a time end before the start
        # means the start.
        if end is not None and end[0] == start[0] and end[1] <= start[1]:
            end = (start[0], start[1] + timedelta(days=1)) if start[0] == "date" else start
        out[key] = {
            "summary": str(c.get("summary", "")).strip(),
            "start": start,
            "end": end,
            "rrule": rrule_norm(c.get("rrule"), c["dtstart"].dt),
            "location": str(c.get("location", "")).strip(),
        }
    return out


def card_meaning(text):
    props = vcard_props(text)
    get = lambda n: [v for (p, _, v) in props if p == n]  # noqa: E731
    return {
        "fn": (get("FN") or [""])[0].strip(),
        "email": sorted(v.strip().lower() for v in get("EMAIL")),
        "tel": sorted(re.sub(r"[^0-9+]", "", v.replace("tel:", "")) for v in get("TEL")),
        "org": (get("ORG") or [""])[0].split(";")[0].strip(),
    }


def compare_events(a, b):
    """Differences between two event meanings (floating times compared by wall clock only when both floating)."""
    diffs = []
    if set(a) != set(b):
        diffs.append(f"instances {sorted(a)} vs {sorted(b)}")
    for k in set(a) & set(b):
        for f in ("summary", "rrule", "location"):
            if a[k][f] != b[k][f]:
                diffs.append(f"{k}.{f}: {a[k][f]!r} vs {b[k][f]!r}")
        for f in ("start", "end"):
            x, y = a[k][f], b[k][f]
            if x is None or y is None:
                if x != y and f == "start":
                    diffs.append(f"{k}.{f}: {x} vs {y}")
                continue
            if x[0] == "floating" or y[0] == "floating":
                continue  # a floating time has no instant to compare; counted separately
            if x != y:
                diffs.append(f"{k}.{f}: {x} vs {y}")
    return diffs


# ---------- run ----------

def vdirsyncer(cfg, *args):
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "vdirsyncer", "-c", cfg, *args], input="y\n" * 20,
                       capture_output=True, text=True, timeout=300)
    dt = time.monotonic() - t0
    print(f"vdirsyncer {' '.join(args)}: exit {p.returncode} in {dt:.1f} s", flush=True)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-5000:], file=sys.stderr, flush=True)
    return p.returncode == 0, p.stdout + p.stderr


events = pick(os.path.join(corpus, "ical"), ".ics", event_ok)
cards = pick(os.path.join(corpus, "vcard"), ".vcf", card_ok)
ev_acc, ev_rej = probe(CAL, ".ics", "text/calendar; charset=utf-8", events)
cd_acc, cd_rej = probe(BOOK, ".vcf", "text/vcard; charset=utf-8", cards)
print(f"corpus events: {len(ev_acc)} accepted, {len(ev_rej)} rejected: " + json.dumps(ev_rej), flush=True)
print(f"corpus cards: {len(cd_acc)} accepted, {len(cd_rej)} rejected: " + json.dumps(cd_rej), flush=True)
if len(ev_acc) < 10 or len(cd_acc) < 10:
    die(f"too few corpus files accepted to test sync ({len(ev_acc)} events, {len(cd_acc)} cards)")
if listing(CAL) or listing(BOOK):
    die("collections not empty after the probes were deleted")

local_cal = os.path.join(work, "local", "cal", "calendar")
local_book = os.path.join(work, "local", "card", "contacts")
os.makedirs(local_cal)
os.makedirs(local_book)
originals = {}
for d, ext, acc in ((local_cal, ".ics", ev_acc), (local_book, ".vcf", cd_acc)):
    for name, raw, uid in acc:
        fname = re.sub(r"[^A-Za-z0-9_.-]", "_", name.rsplit(".", 1)[0]) + ext
        with open(os.path.join(d, fname), "wb") as f:
            f.write(raw)
        originals[uid] = (ext, raw.decode("utf-8"))

cfg = os.path.join(work, "config")
with open(cfg, "w") as f:
    f.write(f"""[general]
status_path = "{work}/status/"

[pair cal]
a = "cal_local"
b = "cal_remote"
collections = [["calendar", "calendar", "calendar"]]
conflict_resolution = "b wins"

[storage cal_local]
type = "filesystem"
path = "{work}/local/cal/"
fileext = ".ics"

[storage cal_remote]
type = "caldav"
url = "{base}/"
username = "{user}"
password = "{password}"

[pair card]
a = "card_local"
b = "card_remote"
collections = [["contacts", "contacts", "contacts"]]
conflict_resolution = "b wins"

[storage card_local]
type = "filesystem"
path = "{work}/local/card/"
fileext = ".vcf"

[storage card_remote]
type = "carddav"
url = "{base}/"
username = "{user}"
password = "{password}"
""")

ok, out = vdirsyncer(cfg, "discover")
if not ok:
    die("vdirsyncer discover failed")
ok, out = vdirsyncer(cfg, "sync")
expect(ok, "first vdirsyncer sync succeeded")


def check_sides(stage):
    """Compares local files, remote objects and the simulator; returns (local, remote) maps."""
    loc_ev, loc_cd = local_files(local_cal), local_files(local_book)
    rem_ev, rem_cd = remote_objects(CAL), remote_objects(BOOK)
    for label, loc, rem, ext, ftype, n in (("events", loc_ev, rem_ev, ".ics", 8, len(ev_acc)),
                                            ("cards", loc_cd, rem_cd, ".vcf", 9, len(cd_acc))):
        lu = [uid_of(t, ext) for t in loc.values()]
        ru = [uid_of(t, ext) for t in rem.values()]
        expect(len(lu) == len(set(lu)) and len(ru) == len(set(ru)), f"{stage}: no {label} UID duplicated on either side")
        want = {u for u, (e, _) in originals.items() if e == ext}
        expect(set(lu) == want, f"{stage}: local {label} UIDs are the original ones "
               f"(missing {sorted(want - set(lu))[:5]}, extra {sorted(set(lu) - want)[:5]})")
        expect(set(ru) == set(lu), f"{stage}: remote {label} UIDs equal local ones "
               f"(remote-only {sorted(set(ru) - set(lu))[:5]}, local-only {sorted(set(lu) - set(ru))[:5]})")
        sim_n = len(sim_items(ftype))
        expect(sim_n == n and len(rem) == n, f"{stage}: {n} {label} accepted, {len(rem)} on the gateway, {sim_n} on the simulator")
    return loc_ev, loc_cd, rem_ev, rem_cd


loc_ev, loc_cd, rem_ev, rem_cd = check_sides("after first sync")
# Meaning: each original against what the gateway serves for the same UID (by UID, or, if the
# UID did not survive, by the file it was uploaded from: vdirsyncer's status maps them).
rem_by_uid = {uid_of(t, ".ics"): t for t in rem_ev.values()}
rem_by_uid.update({uid_of(t, ".vcf"): t for t in rem_cd.values()})
# If a UID did not survive (reported above), match by the href vdirsyncer chose (its ident) or,
# failing that, by summary and start.
for href, t in list(rem_ev.items()) + list(rem_cd.items()):
    stem = unquote(href.rsplit("/", 1)[1]).rsplit(".", 1)[0]
    if stem in originals and stem not in rem_by_uid:
        rem_by_uid[stem] = t


def ev_key(text):
    try:
        m = event_meaning(text).get("master") or next(iter(event_meaning(text).values()))
        return (m["summary"], m["start"])
    except Exception:
        return None


by_key = {ev_key(t): t for t in rem_ev.values()}
for uid, (ext, text) in originals.items():
    if ext == ".ics" and uid not in rem_by_uid and ev_key(text) in by_key:
        rem_by_uid[uid] = by_key[ev_key(text)]
floating = 0
for uid, (ext, text) in sorted(originals.items()):
    got = rem_by_uid.get(uid)
    if not expect(got is not None, f"{uid} found on the gateway (by UID, href or summary and start)"):
        continue
    if ext == ".ics":
        a, b = event_meaning(text), event_meaning(got)
        floating += any(v["start"][0] == "floating" for v in a.values())
        diffs = compare_events(a, b)
    else:
        a, b = card_meaning(text), card_meaning(got)
        diffs = [f"{k}: {a[k]!r} vs {b[k]!r}" for k in a if a[k] != b[k]]
    expect(not diffs, f"{uid} comes back with the same meaning {diffs[:4]}")
print(f"events with floating times (instant not compared): {floating}", flush=True)

# vdirsyncer gets no ETag on PUT (the gateway stores Exchange's version, not the bytes sent:
# RFC 7231 §4.3.4), so the second sync downloads every uploaded item once, in the server's form.
before = (local_files(local_cal), local_files(local_book))
ok, out = vdirsyncer(cfg, "sync")
expect(ok, "second vdirsyncer sync succeeded")
after = (local_files(local_cal), local_files(local_book))


def file_diff(x, y):
    gone = sorted(set(x) - set(y))
    new = sorted(set(y) - set(x))
    changed = sorted(n for n in set(x) & set(y) if x[n] != y[n])
    return f"removed {gone[:6]}, added {new[:6]}, rewritten {len(changed)}"


expect(sorted(before[0]) == sorted(after[0]) and sorted(before[1]) == sorted(after[1]),
       "the second sync (server forms come down) keeps every local file name: "
       f"events {file_diff(before[0], after[0])}; cards {file_diff(before[1], after[1])}")
for label, b, a, ext in (("event", before[0], after[0], ".ics"), ("card", before[1], after[1], ".vcf")):
    for name in sorted(set(b) & set(a)):
        if b[name] == a[name]:
            continue
        mb = event_meaning(b[name]) if ext == ".ics" else card_meaning(b[name])
        ma = event_meaning(a[name]) if ext == ".ics" else card_meaning(a[name])
        diffs = compare_events(mb, ma) if ext == ".ics" else [f"{k}: {mb[k]!r} vs {ma[k]!r}" for k in mb if mb[k] != ma[k]]
        expect(uid_of(b[name], ext) == uid_of(a[name], ext) and not diffs,
               f"local {label} {name} rewritten by the second sync keeps its UID and meaning {diffs[:3]}")
ok, out = vdirsyncer(cfg, "sync")
expect(ok, "third vdirsyncer sync succeeded")
again = (local_files(local_cal), local_files(local_book))
expect(again == after, "a sync with no changes leaves every local file untouched: "
       f"events {file_diff(after[0], again[0])}; cards {file_diff(after[1], again[1])}")
loc_ev, loc_cd = again

# Exchange-side change: first event and first card on the simulator.
ev_item = sorted(sim_items(8), key=lambda i: i["server_id"])[0]
cd_item = sorted(sim_items(9), key=lambda i: i["server_id"])[0]
for sid, data in ((ev_item["server_id"], {"Calendar:Subject": "Changed on Exchange"}),
                  (cd_item["server_id"], {"Contacts:CompanyName": "Changed on Exchange Ltd"})):
    r = requests.put(f"{control}/users/{user}/items/{sid}", json={"data": data, "merge": True}, timeout=10)
    if r.status_code != 200:
        die(f"control API change of {sid} answered {r.status_code} {r.text[:200]}")
t0 = time.monotonic()
while time.monotonic() - t0 < 10:
    texts = list(remote_objects(CAL).values()) + list(remote_objects(BOOK).values())
    if any("SUMMARY:Changed on Exchange" in t for t in texts) and any("Changed on Exchange Ltd" in t for t in texts):
        break
    time.sleep(0.2)
print(f"exchange-side changes visible on the gateway after {(time.monotonic() - t0) * 1000:.0f} ms", flush=True)

# Local change: another event's SUMMARY and another card's TITLE.
# (not the items changed on the Exchange side: that would be a conflict, tested elsewhere)
ev_subject = ev_item["data"].get("Calendar:Subject") or "\0"
ev_name = [n for n in sorted(loc_ev) if ev_subject not in unfold(loc_ev[n])][-1]
cd_words = [str(cd_item["data"].get(k)) for k in ("Contacts:LastName", "Contacts:FirstName", "Contacts:Email1Address")
            if cd_item["data"].get(k)] or ["\0"]
cd_name = [n for n in sorted(loc_cd) if not any(w in unfold(loc_cd[n]) for w in cd_words)][-1]
p = os.path.join(local_cal, ev_name)
t = open(p, encoding="utf-8").read()
t2, n = re.subn(r"(?m)^SUMMARY[^:\r\n]*:.*$", "SUMMARY:Changed locally", unfold(t), count=1)
if n == 0:
    t2 = unfold(t).replace("BEGIN:VEVENT", "BEGIN:VEVENT\r\nSUMMARY:Changed locally", 1)
open(p, "w", encoding="utf-8").write(t2)
p = os.path.join(local_book, cd_name)
t = open(p, encoding="utf-8").read()
t = re.sub(r"(?m)^TITLE[^:\r\n]*:.*\r?\n", "", unfold(t))
open(p, "w", encoding="utf-8").write(t.replace("END:VCARD", "TITLE:Changed locally\r\nEND:VCARD"))
ok, out = vdirsyncer(cfg, "sync")
expect(ok, "fourth vdirsyncer sync (changes both ways) succeeded")
loc_ev, loc_cd = local_files(local_cal), local_files(local_book)
expect(sum("Changed on Exchange" in t for t in loc_ev.values()) == 1, "the Exchange-side event change came down")
expect(sum("Changed on Exchange Ltd" in t for t in loc_cd.values()) == 1, "the Exchange-side contact change came down")
expect([i["data"].get("Calendar:Subject") for i in sim_items(8)].count("Changed locally") == 1,
       "the local event change reached Exchange")
expect([i["data"].get("Contacts:JobTitle") for i in sim_items(9)].count("Changed locally") == 1,
       "the local contact change reached Exchange")
check_sides("after the two-way changes")
ok, out = vdirsyncer(cfg, "sync")
expect(ok, "fifth vdirsyncer sync succeeded")
ok, out = vdirsyncer(cfg, "sync")
expect(ok, "sixth vdirsyncer sync succeeded")
final = (local_files(local_cal), local_files(local_book))
loc_ev, loc_cd = local_files(local_cal), local_files(local_book)
ok, out = vdirsyncer(cfg, "sync")
expect((local_files(local_cal), local_files(local_book)) == final, "a further sync with no changes changes nothing")
if FAILED:
    die(f"{len(FAILED)} check(s) failed")
print("ALL OK", flush=True)
