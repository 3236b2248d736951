"""Drives easdav's DAV server with the python `caldav` library (a client nobody here wrote).

Usage: dav_caldav_client.py BASE_URL USER PASSWORD
Exits non-zero with a message on the first failed expectation.
Steps: discovery from /.well-known/caldav, calendar creation, events and todos with
recurrence, time-range search (with and without expansion), sync tokens, deletion.
"""
import base64
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone

import caldav
from caldav.lib import error

base, user, password = sys.argv[1], sys.argv[2], sys.argv[3]


def check(cond, msg):
    if not cond:
        print("FAIL:", msg, file=sys.stderr)
        sys.exit(1)
    print("ok:", msg)


def utc(*a):
    return datetime(*a, tzinfo=timezone.utc)


client = caldav.DAVClient(url=base.rstrip("/") + "/.well-known/caldav", username=user, password=password)
principal = client.principal()
check(principal.url is not None and str(principal.url).endswith("/"), f"principal discovered at {principal.url}")
home = principal.calendar_home_set
check(home is not None, f"calendar home {home.url}")
cals = principal.calendars()
check(len(cals) >= 1, f"{len(cals)} calendars listed")

cal = principal.make_calendar(name="Peer test", cal_id="peertest")
check(cal is not None, "calendar created with MKCALENDAR")
check(any("peertest" in str(c.url) for c in principal.calendars()), "new calendar listed")
check(cal.get_display_name() == "Peer test", "display name set at creation")

weekly = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//peer//test//EN
BEGIN:VEVENT
UID:weekly-1@peer
DTSTAMP:20240101T000000Z
DTSTART:20240102T090000Z
DTEND:20240102T100000Z
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE:20240109T090000Z
SUMMARY:Weekly sync
END:VEVENT
BEGIN:VEVENT
UID:weekly-1@peer
DTSTAMP:20240101T000000Z
RECURRENCE-ID:20240116T090000Z
DTSTART:20240116T140000Z
DTEND:20240116T150000Z
SUMMARY:Weekly sync (moved)
END:VEVENT
END:VCALENDAR
"""
single = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//peer//test//EN
BEGIN:VEVENT
UID:single-1@peer
DTSTAMP:20240101T000000Z
DTSTART:20240301T120000Z
DTEND:20240301T130000Z
SUMMARY:Lunch
END:VEVENT
END:VCALENDAR
"""
allday = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//peer//test//EN
BEGIN:VEVENT
UID:birthday-1@peer
DTSTAMP:20240101T000000Z
DTSTART;VALUE=DATE:20000415
RRULE:FREQ=YEARLY
SUMMARY:Birthday
END:VEVENT
END:VCALENDAR
"""
e1 = cal.save_event(weekly)
e2 = cal.save_event(single)
e3 = cal.save_event(allday)
check(len(cal.events()) == 3, "three events stored")

token0 = cal.objects_by_sync_token(load_objects=False)
t0 = token0.sync_token
check(t0 and ":" in t0, f"sync token is URI-shaped: {t0}")

# Time-range searches (server-side recurrence evaluation).
found = cal.search(start=utc(2024, 1, 9), end=utc(2024, 1, 10), event=True)
check(len(found) == 0, "EXDATE'd occurrence not found")
found = cal.search(start=utc(2024, 1, 16, 13), end=utc(2024, 1, 16, 16), event=True)
check(len(found) == 1 and "weekly-1" in found[0].data, "moved occurrence found at its new time")
found = cal.search(start=utc(2024, 2, 27), end=utc(2024, 3, 2), event=True)
uids = sorted(f.icalendar_component["uid"] for f in found)
check(uids == ["single-1@peer", "weekly-1@peer"], f"range over Feb 27-Mar 2 finds {uids}")
found = cal.search(start=utc(2031, 4, 15), end=utc(2031, 4, 16), event=True)
check(len(found) == 1 and "birthday" in found[0].data, "all-day yearly event found 7 years later")
found = cal.search(start=utc(2024, 1, 1), end=utc(2024, 1, 31), event=True, expand=True)
starts = sorted(str(f.icalendar_component["dtstart"].dt) for f in found if "weekly" in f.data)
check(len(starts) == 4, f"expanded January instances of the weekly event: {starts}")

# Todos go to the tasks collection (VTODO only).
tasks = [c for c in principal.calendars() if "tasks" in str(c.url)][0]
todo = tasks.save_todo("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//peer//test//EN
BEGIN:VTODO
UID:todo-1@peer
DTSTAMP:20240101T000000Z
DTSTART:20240105T080000Z
DUE:20240105T090000Z
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:Water plants
END:VTODO
END:VCALENDAR
""")
check(len(tasks.todos()) == 1, "todo stored and listed")
found = tasks.search(start=utc(2024, 1, 7), end=utc(2024, 1, 8), todo=True, include_completed=True)
check(len(found) == 1, "recurring todo found by its third occurrence")
found = tasks.search(start=utc(2024, 1, 9), end=utc(2024, 1, 10), todo=True, include_completed=True)
check(len(found) == 0, "recurring todo not found after its last occurrence")
try:
    cal.save_todo("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//peer//test//EN
BEGIN:VTODO
UID:todo-2@peer
DTSTAMP:20240101T000000Z
SUMMARY:Wrong place
END:VTODO
END:VCALENDAR
""")
    check(False, "VTODO refused in an event calendar")
except error.DAVError:
    check(True, "VTODO refused in an event calendar")

# Sync tokens: modify one, delete one, then ask for changes.
e2.vobject_instance.vevent.summary.value = "Long lunch"
e2.save()
e3.delete()
changes = cal.objects_by_sync_token(sync_token=t0, load_objects=True)
changed = [o for o in changes if o.data]
check(len(list(changes)) >= 2, f"sync since token reports {len(list(changes))} changes")
check(any("Long lunch" in o.data for o in changed), "modified event comes back with new data")
t1 = changes.sync_token
check(t1 != t0, "token advanced")
again = cal.objects_by_sync_token(sync_token=t1, load_objects=False)
check(len(list(again)) == 0, "no changes since the newest token")

body = """<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>http://easdav.invalid/sync/peertest/999999</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"""
req = urllib.request.Request(str(cal.url), data=body.encode(), method="REPORT",
                             headers={"Content-Type": "application/xml", "Depth": "1",
                                      "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
try:
    urllib.request.urlopen(req, timeout=10)
    check(False, "unknown token refused")
except urllib.error.HTTPError as e:
    text = e.read().decode()
    check(e.code == 403 and "valid-sync-token" in text, f"unknown token refused with 403 valid-sync-token (got {e.code})")

cal.delete()
check(not any("peertest" in str(c.url) for c in principal.calendars()), "calendar deleted")
print("all caldav peer checks passed")
