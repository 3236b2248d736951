"""End-to-end check of easdav with the python `caldav` library and the simulator's control API.

Usage: e2e_caldav.py BASE_URL USER PASSWORD CONTROL_URL [PREFIX]

BASE_URL is where the client starts (the gateway, or nginx in front of it); discovery starts at
BASE_URL/.well-known/caldav. CONTROL_URL is the simulator's control API. With PREFIX (e.g. /dav)
every href and redirect the client sees must lie under PREFIX/.
Prints "ok: ..." per passed check and "push latency: N ms"; exits non-zero with "FAIL: ..." on the
first failed check.
"""
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urljoin, urlparse

import caldav
import requests

base, user, password, control = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4].rstrip("/")
prefix = sys.argv[5].rstrip("/") if len(sys.argv) > 5 else ""
auth = (user, password)
D = "{DAV:}"


FAILED = []


def check(cond, msg):
    """A check later steps depend on: stop at the first failure."""
    if not cond:
        print("FAIL:", msg, file=sys.stderr, flush=True)
        for f in FAILED:
            print("FAIL (earlier):", f, file=sys.stderr, flush=True)
        sys.exit(1)
    print("ok:", msg, flush=True)


def expect(cond, msg):
    """A check nothing later depends on: record the failure, go on, fail at the end."""
    if not cond:
        FAILED.append(msg)
        print("FAIL:", msg, file=sys.stderr, flush=True)
    else:
        print("ok:", msg, flush=True)


def ctl(method, path, **kw):
    r = requests.request(method, control + path, timeout=10, **kw)
    if r.status_code >= 300:
        check(False, f"control {method} {path} answered {r.status_code} {r.text[:200]}")
    return r.json()


def items_of(folder_type):
    folders = ctl("GET", f"/users/{user}/folders")
    fid = [f["id"] for f in folders if f["type"] == folder_type]
    check(len(fid) == 1, f"simulator has one folder of type {folder_type}")
    return ctl("GET", f"/users/{user}/folders/{fid[0]}/items")


def by_subject(items, cls, subject):
    found = [i for i in items if i["data"].get(f"{cls}:Subject") == subject]
    check(len(found) == 1, f"simulator holds exactly one {cls} item {subject!r} (found {len(found)})")
    return found[0]


def under_prefix(href, what):
    path = urlparse(href).path
    check(path.startswith(prefix + "/"), f"{what} {href} lies under {prefix or ''}/")


def sync_collection(url, token):
    body = ('<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>'
            f'{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop>'
            '</d:sync-collection>')
    r = requests.request("REPORT", url, data=body, auth=auth, timeout=10,
                         headers={"Content-Type": "application/xml", "Depth": "1"})
    if r.status_code != 207:
        check(False, f"sync-collection answered {r.status_code} {r.text[:300]}")
    root = ET.fromstring(r.content)
    out = {}
    for resp in root.findall(f"{D}response"):
        href = resp.findtext(f"{D}href")
        if prefix:
            under_prefix(href, "sync-collection href")
        etag = resp.findtext(f".//{D}getetag")
        out[unquote(urlparse(href).path)] = etag  # None for a removed member (404 status)
    return out, root.findtext(f"{D}sync-token")


# 1. Discovery from the well-known URL.
r = requests.request("PROPFIND", base + "/.well-known/caldav", auth=auth, allow_redirects=False, timeout=10)
check(r.status_code in (301, 302, 307, 308), f"well-known answers a redirect ({r.status_code})")
loc = r.headers.get("Location", "")
check(urlparse(loc).netloc == urlparse(base).netloc, f"redirect {loc} keeps the client's host and port")
if prefix:
    under_prefix(urljoin(base + "/", loc), "well-known redirect")
r = requests.request("PROPFIND", base + "/.well-known/carddav", auth=auth, allow_redirects=False, timeout=10)
check(r.status_code in (301, 302, 307, 308), f"well-known carddav answers a redirect ({r.status_code})")
loc2 = urljoin(base + "/", r.headers.get("Location", ""))
check(urlparse(loc2).netloc == urlparse(base).netloc, f"carddav redirect {loc2} keeps the client's host and port")
if prefix:
    under_prefix(loc2, "well-known carddav redirect")
r = requests.request("PROPFIND", loc2, auth=auth, timeout=10, headers={"Depth": "0"},
                     data='<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>')
cup = ET.fromstring(r.content).find(f".//{D}current-user-principal/{D}href") if r.status_code == 207 else None
check(cup is not None and cup.text.rstrip("/").endswith(f"/principals/{user}"),
      f"PROPFIND at the redirect target names the current-user-principal ({r.status_code})")
if prefix:
    under_prefix(cup.text, "current-user-principal")
client = caldav.DAVClient(url=base + "/.well-known/caldav", username=user, password=password)
principal = client.principal()
check(str(principal.url).endswith(f"/principals/{user}/"), f"principal discovered at {principal.url}")
if prefix:
    under_prefix(str(principal.url), "principal")
home = principal.calendar_home_set
if prefix:
    under_prefix(str(home.url), "calendar home")
cals = principal.calendars()
for c in cals:
    if prefix:
        under_prefix(str(c.url), "calendar")
events_cal = [c for c in cals if "VEVENT" in c.get_supported_components()]
tasks_cal = [c for c in cals if "VTODO" in c.get_supported_components()]
check(len(events_cal) >= 1 and len(tasks_cal) >= 1, f"an event and a task calendar among {[str(c.url) for c in cals]}")
cal, tasks = events_cal[0], tasks_cal[0]
if prefix:
    # Raw PROPFIND on the home: every href must carry the prefix.
    r = requests.request("PROPFIND", str(home.url), auth=auth, headers={"Depth": "1"}, timeout=10)
    check(r.status_code == 207, f"PROPFIND Depth 1 on the home ({r.status_code})")
    for h in ET.fromstring(r.content).iter(f"{D}href"):
        under_prefix(h.text, "home PROPFIND href")

# 2. Create an event, a recurring event with an override and an EXDATE, a todo.
SINGLE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easdav e2e//EN
BEGIN:VEVENT
UID:e2e-single@example.org
DTSTAMP:20240101T000000Z
DTSTART:20240301T120000Z
DTEND:20240301T130000Z
SUMMARY:E2E lunch
LOCATION:Canteen
DESCRIPTION:Bring a tray
END:VEVENT
END:VCALENDAR
"""
# Weekly on Tuesdays in Europe/Berlin local time, 10 occurrences; the 2nd is cancelled, the 3rd moved.
WEEKLY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easdav e2e//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:e2e-weekly@example.org
DTSTAMP:20240101T000000Z
DTSTART;TZID=Europe/Berlin:20240102T100000
DTEND;TZID=Europe/Berlin:20240102T110000
RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=10;BYDAY=TU
EXDATE;TZID=Europe/Berlin:20240109T100000
SUMMARY:E2E weekly
END:VEVENT
BEGIN:VEVENT
UID:e2e-weekly@example.org
DTSTAMP:20240101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20240116T100000
DTSTART;TZID=Europe/Berlin:20240116T150000
DTEND;TZID=Europe/Berlin:20240116T160000
SUMMARY:E2E weekly (moved)
END:VEVENT
END:VCALENDAR
"""
TODO = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easdav e2e//EN
BEGIN:VTODO
UID:e2e-todo@example.org
DTSTAMP:20240101T000000Z
DTSTART:20240105T080000Z
DUE:20240106T170000Z
PRIORITY:1
SUMMARY:E2E file taxes
DESCRIPTION:Before the deadline
END:VTODO
END:VCALENDAR
"""
ev_single = cal.save_event(SINGLE)
ev_weekly = cal.save_event(WEEKLY)
todo = tasks.save_todo(TODO)
check(True, "event, recurring event and todo saved through DAV")
# A todo with DTSTART + DURATION (no DUE): what comes back must stay valid (RFC 5545 §3.6.2: DUE
# and DURATION MUST NOT both occur).
DUR_TODO = TODO.replace("e2e-todo@", "e2e-todo-duration@").replace("DUE:20240106T170000Z", "DURATION:PT2H") \
    .replace("E2E file taxes", "E2E todo with duration")
r = requests.put(str(tasks.url) + "e2e-todo-duration.ics", data=DUR_TODO, auth=auth, timeout=10,
                 headers={"Content-Type": "text/calendar", "If-None-Match": "*"})
check(r.status_code in (201, 204), f"PUT of a todo with DURATION ({r.status_code})")
r = requests.get(str(tasks.url) + "e2e-todo-duration.ics", auth=auth, timeout=10)
has_due = any(line.startswith("DUE") for line in r.text.splitlines())
has_dur = any(line.startswith("DURATION") for line in r.text.splitlines())
expect(not (has_due and has_dur), f"the todo comes back with DUE or DURATION, not both:\n{r.text}")
requests.delete(str(tasks.url) + "e2e-todo-duration.ics", auth=auth, timeout=10)

# The client's UIDs must survive the round trip through Exchange.
for obj, uid in ((ev_single, "e2e-single@example.org"), (ev_weekly, "e2e-weekly@example.org"),
                 (todo, "e2e-todo@example.org")):
    obj.load()
    got = str(obj.icalendar_component.get("uid"))
    expect(got == uid, f"GET after PUT keeps the client's UID {uid} (got {got})")

# 3. The EAS items carry the right fields.
cal_items = items_of(8)
single = by_subject(cal_items, "Calendar", "E2E lunch")["data"]
check(single.get("Calendar:StartTime") == "20240301T120000Z", f"single StartTime in UTC: {single.get('Calendar:StartTime')}")
check(single.get("Calendar:EndTime") == "20240301T130000Z", f"single EndTime in UTC: {single.get('Calendar:EndTime')}")
loc = single.get("AirSyncBase:Location", {})
loc = loc.get("AirSyncBase:DisplayName") if isinstance(loc, dict) else single.get("Calendar:Location")
check(loc == "Canteen", f"single Location: {loc}")
check("Calendar:Recurrence" not in single, "single event has no Recurrence")
body = single.get("AirSyncBase:Body", {})
check(isinstance(body, dict) and "Bring a tray" in str(body.get("AirSyncBase:Data", "")), f"single Body: {body}")

weekly_item = by_subject(cal_items, "Calendar", "E2E weekly")
weekly = weekly_item["data"]
# 10:00 Berlin in January = 09:00 UTC.
check(weekly.get("Calendar:StartTime") == "20240102T090000Z", f"weekly StartTime in UTC: {weekly.get('Calendar:StartTime')}")
check(weekly.get("Calendar:EndTime") == "20240102T100000Z", f"weekly EndTime in UTC: {weekly.get('Calendar:EndTime')}")
rec = weekly.get("Calendar:Recurrence", {})
check(rec.get("Calendar:Type") == "1", f"Recurrence Type weekly (1): {rec}")
check(rec.get("Calendar:Interval", "1") == "1", f"Recurrence Interval 1: {rec}")
check(rec.get("Calendar:Occurrences") == "10", f"Recurrence Occurrences 10: {rec}")
check(rec.get("Calendar:DayOfWeek") == "4", f"Recurrence DayOfWeek Tuesday (4): {rec}")
check(weekly.get("Calendar:Timezone"), "weekly event carries a Timezone blob")
exc = weekly.get("Calendar:Exceptions", {}).get("Calendar:Exception", [])
exc = exc if isinstance(exc, list) else [exc]


def exc_at(instant):
    return [e for e in exc if instant in (e.get("AirSyncBase:InstanceId"), e.get("Calendar:ExceptionStartTime"))]


deleted = exc_at("20240109T090000Z")
check(len(deleted) == 1 and deleted[0].get("Calendar:Deleted") == "1", f"EXDATE became a deleted exception: {exc}")
moved = exc_at("20240116T090000Z")
check(len(moved) == 1 and moved[0].get("Calendar:StartTime") == "20240116T140000Z"
      and moved[0].get("Calendar:EndTime") == "20240116T150000Z"
      and moved[0].get("Calendar:Subject") == "E2E weekly (moved)", f"override became a moved exception: {exc}")

task = by_subject(items_of(7), "Tasks", "E2E file taxes")["data"]
check(str(task.get("Tasks:UtcDueDate", "")).startswith("2024-01-06T17:00:00"), f"task UtcDueDate: {task.get('Tasks:UtcDueDate')}")
check(str(task.get("Tasks:UtcStartDate", "")).startswith("2024-01-05T08:00:00"), f"task UtcStartDate: {task.get('Tasks:UtcStartDate')}")
check(task.get("Tasks:Importance") == "2", f"PRIORITY 1 became Importance high (2): {task.get('Tasks:Importance')}")
check(task.get("Tasks:Complete") == "0", f"task not complete: {task.get('Tasks:Complete')}")

# 4. A change on the Exchange side reaches the DAV client through sync-collection.
cal_url = str(cal.url)
before, token = sync_collection(cal_url, "")
single_href = unquote(urlparse(str(ev_single.url)).path)
old_etag = before.get(single_href)
check(old_etag, f"sync-collection lists {single_href} with an ETag")
sid = by_subject(cal_items, "Calendar", "E2E lunch")["server_id"]
t0 = time.monotonic()
ctl("PUT", f"/users/{user}/items/{sid}", json={"data": {"Calendar:Subject": "E2E long lunch"}, "merge": True})
seen = None
for _ in range(100):
    changes, _tok = sync_collection(cal_url, token)
    if single_href in changes and changes[single_href] and changes[single_href] != old_etag:
        seen = time.monotonic() - t0
        break
    time.sleep(0.1)
check(seen is not None, "the Exchange-side change shows up in sync-collection within 10 s")
print(f"push latency: {seen * 1000:.0f} ms", flush=True)
check(list(changes) == [single_href], f"only the changed item is reported: {list(changes)}")
r = requests.get(str(ev_single.url), auth=auth, timeout=10)
check(r.status_code == 200 and "SUMMARY:E2E long lunch" in r.text, "GET returns the changed summary")
check(r.headers.get("ETag") == changes[single_href], "GET ETag equals the new sync-collection ETag")
expect("e2e-single@example.org" in r.text, "the change keeps the client's UID")

# 5. Delete through DAV: the simulator no longer has it in the calendar.
ev_weekly.delete()
todo.delete()
left = [i["data"].get("Calendar:Subject") for i in items_of(8)]
check("E2E weekly" not in left, f"deleted recurring event gone from the Exchange calendar: {left}")
check(not [i for i in items_of(7) if i["data"].get("Tasks:Subject") == "E2E file taxes"], "deleted todo gone")
after, _ = sync_collection(cal_url, token)
weekly_href = unquote(urlparse(str(ev_weekly.url)).path)
check(weekly_href in after and after[weekly_href] is None, "sync-collection reports the deletion")
if FAILED:
    print(f"FAIL: {len(FAILED)} check(s) failed: " + "; ".join(FAILED), file=sys.stderr, flush=True)
    sys.exit(1)
print("ALL OK", flush=True)
