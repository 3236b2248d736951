"""Gateway restart check, in phases run around a stop and a start of `easdav serve`.

Usage: e2e_restart.py PHASE BASE_URL USER PASSWORD CONTROL_URL STATE_JSON
  before: create three events through DAV, sync-collection from scratch; save token and ETags.
  down:   (gateway stopped) change one event through the simulator's control API.
  after:  (gateway restarted on the same data) sync-collection with the saved token must list
          exactly the changed event (bounded wait for the gateway to catch up), the others keep
          their ETags, the new token reports nothing, and a new DAV write still reaches Exchange.
Prints "ok: ..." per check and "ALL OK"; exits non-zero with "FAIL: ..." otherwise.
"""
import json
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlparse

import requests

phase, base, user, password, control, state_path = sys.argv[1:7]
base, control = base.rstrip("/"), control.rstrip("/")
auth = (user, password)
D = "{DAV:}"
CAL = f"{base}/calendars/{user}/calendar/"


def check(cond, msg):
    if not cond:
        print("FAIL:", msg, file=sys.stderr, flush=True)
        sys.exit(1)
    print("ok:", msg, flush=True)


def event(uid, summary, day):
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easdav e2e//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
            f"DTSTAMP:20240101T000000Z\r\nDTSTART:202405{day:02d}T090000Z\r\nDTEND:202405{day:02d}T100000Z\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def sync(token):
    body = ('<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>'
            f'{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop>'
            '</d:sync-collection>')
    r = requests.request("REPORT", CAL, data=body, auth=auth, timeout=10,
                         headers={"Content-Type": "application/xml", "Depth": "1"})
    if r.status_code != 207:
        check(False, f"sync-collection with token {token!r} answered {r.status_code} {r.text[:300]}")
    root = ET.fromstring(r.content)
    out = {unquote(urlparse(x.findtext(f"{D}href")).path): x.findtext(f".//{D}getetag")
           for x in root.findall(f"{D}response")}
    return out, root.findtext(f"{D}sync-token")


def propfind_etags():
    r = requests.request("PROPFIND", CAL, auth=auth, timeout=10, headers={"Depth": "1"},
                         data='<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>')
    check(r.status_code == 207, f"PROPFIND Depth 1 ({r.status_code})")
    out = {}
    for x in ET.fromstring(r.content).findall(f"{D}response"):
        etag = x.findtext(f".//{D}getetag")
        if etag:
            out[unquote(urlparse(x.findtext(f"{D}href")).path)] = etag
    return out


def sim_items():
    folders = requests.get(f"{control}/users/{user}/folders", timeout=10).json()
    fid = [f["id"] for f in folders if f["type"] == 8][0]
    return requests.get(f"{control}/users/{user}/folders/{fid}/items", timeout=10).json()


if phase == "before":
    hrefs = {}
    for i in range(3):
        href = f"/calendars/{user}/calendar/restart-{i}.ics"
        r = requests.put(base + href, data=event(f"restart-{i}@example.org", f"Restart {i}", 10 + i), auth=auth,
                         timeout=10, headers={"Content-Type": "text/calendar", "If-None-Match": "*"})
        check(r.status_code in (201, 204), f"PUT {href} ({r.status_code} {r.text[:200]})")
        hrefs[f"Restart {i}"] = href
    items, token = sync("")
    check(all(h in items and items[h] for h in hrefs.values()), f"initial sync lists the three events: {items}")
    check(token and ":" in token, f"sync token {token}")
    subjects = {i["data"].get("Calendar:Subject"): i["server_id"] for i in sim_items()}
    check(all(s in subjects for s in hrefs), f"the simulator holds the three events: {sorted(subjects)}")
    json.dump({"token": token, "etags": items, "hrefs": hrefs, "sid": subjects["Restart 1"]},
              open(state_path, "w"))
elif phase == "down":
    st = json.load(open(state_path))
    r = requests.put(f"{control}/users/{user}/items/{st['sid']}", timeout=10,
                     json={"data": {"Calendar:Subject": "Restart 1 changed while down"}, "merge": True})
    check(r.status_code == 200, f"control API change while the gateway is down ({r.status_code})")
elif phase == "after":
    st = json.load(open(state_path))
    changed = st["hrefs"]["Restart 1"]
    t0 = time.monotonic()
    got = None
    for _ in range(150):
        items, token = sync(st["token"])
        if changed in items and items[changed] and items[changed] != st["etags"][changed]:
            got = items
            break
        time.sleep(0.1)
    check(got is not None, "the old sync token still works and the change made while down arrives within 15 s")
    print(f"catch-up after restart: {(time.monotonic() - t0) * 1000:.0f} ms", flush=True)
    check(sorted(got) == [changed], f"the old token lists only the changed event (nothing re-downloaded): {sorted(got)}")
    now = propfind_etags()
    for name, href in st["hrefs"].items():
        if href != changed:
            check(now.get(href) == st["etags"][href], f"{href} keeps its ETag across the restart")
    check(len([h for h in now if "/restart-" in h]) == 3, f"nothing lost or duplicated: {sorted(now)}")
    r = requests.get(base + changed, auth=auth, timeout=10)
    check(r.status_code == 200 and "SUMMARY:Restart 1 changed while down" in r.text, "GET shows the change")
    again, _ = sync(token)
    check(again == {}, f"the new token reports nothing: {again}")
    r = requests.put(base + f"/calendars/{user}/calendar/restart-new.ics", data=event("restart-new@example.org",
                     "Restart new", 20), auth=auth, timeout=10,
                     headers={"Content-Type": "text/calendar", "If-None-Match": "*"})
    check(r.status_code in (201, 204), f"PUT after restart ({r.status_code})")
    check("Restart new" in [i["data"].get("Calendar:Subject") for i in sim_items()], "it reaches the simulator")
    print("ALL OK", flush=True)
else:
    check(False, f"unknown phase {phase}")
