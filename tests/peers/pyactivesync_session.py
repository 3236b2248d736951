#!/usr/bin/env python3
"""Drive a scripted EAS session against `easdav sim` with pyactivesync, a client nobody here wrote.

Steps: Provision, FolderSync, initial Sync of Calendar and Contacts, Add (ServerId back),
Change, Delete, and a Ping that returns when the control API changes an item.
Every step asserts on what comes back; any failure exits non-zero.

pyactivesync gaps, bridged with its own lower-level pieces (and said so):
* its transport hard-codes https://; we point `_transport.base_url` at the plain-HTTP simulator;
* it has no Calendar code page and no calendar write API; we register the MS-ASWBXML
  Calendar page (4) and AirSyncBase Location/InstanceId tokens in its tables and send the
  calendar Add with its WBXMLWriter through `Client._post`.

Usage: pyactivesync_session.py --url http://127.0.0.1:P/Microsoft-Server-ActiveSync
       --control http://127.0.0.1:Q --user alice --password secret
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request

from pyactivesync import Client, Contact, ContactChange
from pyactivesync import _codepages as cp
from pyactivesync._wbxml import WBXMLReader, WBXMLWriter, find, find_all, text_of, wtag

# MS-ASWBXML code page 4 (Calendar), the tokens this session uses.
CALENDAR_TOKENS = {
    "Timezone": 0x05, "AllDayEvent": 0x06, "BusyStatus": 0x0D, "DtStamp": 0x11, "EndTime": 0x12,
    "Location": 0x17, "MeetingStatus": 0x18, "OrganizerEmail": 0x19, "OrganizerName": 0x1A,
    "Subject": 0x26, "StartTime": 0x27, "UID": 0x28, "ClientUid": 0x3C,
}
AIRSYNCBASE_EXTRA = {"Location": 0x20, "InstanceId": 0x2D}

STEP = [0]


def register_calendar_page() -> None:
    cp.CODEPAGES["Calendar"] = dict(CALENDAR_TOKENS)
    cp.PAGE_INDEX["Calendar"] = 4
    cp.PAGE_ORDER[4] = "Calendar"
    cp.REVERSE[4] = {tok: name for name, tok in CALENDAR_TOKENS.items()}
    cp.CODEPAGES["AirSyncBase"].update(AIRSYNCBASE_EXTRA)
    cp.REVERSE[17].update({tok: name for name, tok in AIRSYNCBASE_EXTRA.items()})


def check(cond: bool, what: str) -> None:
    STEP[0] += 1
    if not cond:
        print(f"FAIL {STEP[0]}: {what}", flush=True)
        sys.exit(1)
    print(f"ok {STEP[0]}: {what}", flush=True)


def control(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def calendar_add(client: Client, folder: str, sync_key: str) -> tuple[str, str, str, str]:
    """Sync Add of a 16.1 calendar item; returns (new key, status, server id, UID)."""
    data = [
        wtag("Calendar", "Subject", text="Planning"),
        wtag("Calendar", "StartTime", text="2026-12-01T09:00:00.000Z"),
        wtag("Calendar", "EndTime", text="2026-12-01T10:00:00.000Z"),
        wtag("Calendar", "BusyStatus", text="2"),
        wtag("Calendar", "ClientUid", text="pyas-ical-uid-1"),
        wtag("AirSyncBase", "Location", children=[wtag("AirSyncBase", "DisplayName", text="Room 1")]),
    ]
    w = WBXMLWriter()
    w.tag("AirSync", "Sync", children=[wtag("AirSync", "Collections", children=[wtag("AirSync", "Collection", children=[
        wtag("AirSync", "SyncKey", text=sync_key),
        wtag("AirSync", "CollectionId", text=folder),
        wtag("AirSync", "GetChanges", text="0"),
        wtag("AirSync", "Commands", children=[wtag("AirSync", "Add", children=[
            wtag("AirSync", "ClientId", text="pyas-cal-1"),
            wtag("AirSync", "ApplicationData", children=data),
        ])]),
    ])])])
    nodes = WBXMLReader(client._post("Sync", w.render())).parse()
    add = find(nodes, "AirSync.Responses")
    add = find(add[2], "AirSync.Add") if add else None
    coll = find(nodes, "AirSync.Collection")
    key = text_of(find(coll[2], "AirSync.SyncKey")) if coll else None
    if add is None:
        return key or "", "", "", ""
    uid = text_of(find(add[2], "Calendar.UID")) or ""
    return key or "", text_of(find(add[2], "AirSync.Status")) or "", text_of(find(add[2], "AirSync.ServerId")) or "", uid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    args = ap.parse_args()
    register_calendar_page()
    ctl = args.control.rstrip("/")
    user = args.user

    client = Client("unused", user, args.password, device_id="pyas1", device_type="pyactivesync", timeout=30)
    client._transport.base_url = args.url

    key = client.provision()
    check(key.isdigit() and key != "0", f"provision returned final policy key {key}")

    folders = client.list_folders()
    by_type = {int(f.type): f for f in folders}
    check({2, 3, 4, 5, 6, 7, 8, 9, 10} <= set(by_type), f"default hierarchy present: {sorted(by_type)}")
    cal, con = by_type[8].id, by_type[9].id

    s, seeded = control(ctl, "POST", f"/users/{user}/folders/{cal}/items",
                        {"Subject": "Seeded meeting", "StartTime": "2026-11-30T08:00:00Z", "EndTime": "2026-11-30T09:00:00Z"})
    check(s == 201, f"control API seeded a calendar item: {seeded}")
    seeded_cal = seeded["server_id"]
    s, _ = control(ctl, "POST", f"/users/{user}/folders/{con}/items", {"FirstName": "Seed", "LastName": "Contact"})
    check(s == 201, "control API seeded a contact")

    r0 = client.sync_folder(cal, "0")
    check(r0.sync_key != "0" and not r0.added, "calendar Sync key 0 gives a key and no items")
    r1 = client.sync_folder(cal, r0.sync_key)
    subjects = {i.fields.get("Calendar.Subject"): i for i in r1.added}
    check("Seeded meeting" in subjects, f"initial calendar Sync delivers the seeded item: {list(subjects)}")
    item = subjects["Seeded meeting"]
    check(item.fields.get("Calendar.StartTime") == "20261130T080000Z", f"start time normalised: {item.fields.get('Calendar.StartTime')}")
    check(bool(item.fields.get("Calendar.UID")) and bool(item.fields.get("Calendar.DtStamp")), "server set UID and DtStamp")
    cal_key = r1.sync_key

    c0 = client.sync_folder(con, "0")
    c1 = client.sync_folder(con, c0.sync_key)
    check(any(i.fields.get("Contacts.FirstName") == "Seed" for i in c1.added), "initial contacts Sync delivers the seeded contact")
    con_key = c1.sync_key

    added = client.create_contact(con, con_key, Contact(first_name="Ada", last_name="Lovelace", email1_address="ada@example.test"))
    check(added.status == "1" and bool(added.server_id), f"contact Add returned ServerId {added.server_id}")
    con_key = added.sync_key
    s, stored = control(ctl, "GET", f"/users/{user}/items/{added.server_id}")
    check(s == 200 and stored["data"].get("Contacts:FileAs") == "Lovelace, Ada", f"server computed FileAs: {stored}")

    cal_key, st, cal_id, uid = calendar_add(client, cal, cal_key)
    check(st == "1" and cal_id.startswith(cal + ":"), f"calendar Add (16.1, ClientUid) returned ServerId {cal_id}")
    check(uid.startswith("040000008200E000"), f"server generated the UID: {uid}")
    cal_key2, st2, cal_id2, _ = calendar_add(client, cal, cal_key)
    check(st2 == "1" and cal_id2 == cal_id, "a repeated Add with the same ClientUid is de-duplicated")
    cal_key = cal_key2

    changed = client.apply_contact_changes(con, con_key, [ContactChange(server_id=added.server_id, contact=Contact(first_name="Ada", last_name="King"))])
    check(changed.statuses.get(added.server_id) == "1", f"contact Change accepted: {changed.statuses}")
    con_key = changed.sync_key
    s, stored = control(ctl, "GET", f"/users/{user}/items/{added.server_id}")
    check(stored["data"].get("Contacts:LastName") == "King" and "Contacts:Email1Address" not in stored["data"],
          "Change replaced the contact (omitted fields cleared, like Exchange)")

    deleted = client.apply_contact_changes(con, con_key, [ContactChange(server_id=added.server_id, delete=True)], deletes_as_moves=False)
    check(deleted.statuses.get(added.server_id) == "1", "contact Delete accepted")
    s, _ = control(ctl, "GET", f"/users/{user}/items/{added.server_id}")
    check(s == 404, "deleted contact is gone on the server")

    def change_later() -> None:
        for _ in range(500):
            _, devs = control(ctl, "GET", f"/users/{user}/devices")
            if any(d["id"] == "pyas1" and d.get("ping") for d in devs):
                break
            time.sleep(0.01)
        control(ctl, "PUT", f"/users/{user}/items/{seeded_cal}", {"merge": True, "data": {"Subject": "Moved by Outlook"}})

    t = threading.Thread(target=change_later)
    t.start()
    started = time.monotonic()
    res = client.ping(cal, folder_class="Calendar", heartbeat=300, timeout=60)
    t.join(timeout=30)
    check(res.status == "2" and res.changed_folder_ids == [cal], f"Ping returned status {res.status} for {res.changed_folder_ids}")
    check(time.monotonic() - started < 60, "Ping returned before its heartbeat expired")

    r = client.sync_folder(cal, cal_key)
    subjects = {i.server_id: i.fields.get("Calendar.Subject") for i in r.changed}
    check(subjects.get(seeded_cal) == "Moved by Outlook", f"the control API change arrives as a Sync Change: {subjects}")

    print("ALL OK", flush=True)


if __name__ == "__main__":
    main()
