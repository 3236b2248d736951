"""Two-way sync with vdirsyncer (a client nobody here wrote) against easdav's DAV server.

Usage: dav_vdirsyncer.py BASE_URL USER PASSWORD CORPUS_DIR
Builds a local calendar and a local address book from corpus files that are valid object
resources, syncs them up, changes things on the server (HTTP PUT/DELETE) and locally, syncs
again and checks that both sides agree, with nothing duplicated or lost.
"""
import base64
import glob
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

base, user, password, corpus = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
AUTH = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
VDS = os.path.join(os.path.dirname(sys.executable), "vdirsyncer")


def check(cond, msg):
    if not cond:
        print("FAIL:", msg, file=sys.stderr)
        sys.exit(1)
    print("ok:", msg)


def http(method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body.encode() if body is not None else None, method=method,
                                 headers={"Authorization": AUTH, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def server_uids(coll):
    status, body = http("PROPFIND", coll, "", {"Depth": "1"})
    check(status == 207, f"PROPFIND {coll} → {status}")
    hrefs = [h.text for h in ET.fromstring(body).iter("{DAV:}href") if not h.text.endswith("/")]
    uids = []
    for h in hrefs:
        path = urllib.parse.urlparse(h).path if "://" in h else h
        s, data = http("GET", path)
        if s != 200:
            check(False, f"GET {path} → {s}")
        uids += [l.split(":", 1)[1].strip() for l in data.splitlines() if l.upper().startswith("UID:")][:1]
    return sorted(uids)


def local_uids(d):
    out = []
    for f in glob.glob(os.path.join(d, "*")):
        with open(f, encoding="utf-8") as fh:
            out += [l.split(":", 1)[1].strip() for l in fh.read().splitlines() if l.upper().startswith("UID:")][:1]
    return sorted(out)


def valid_event(text):
    lines = text.splitlines()
    uids = {l.split(":", 1)[1].strip() for l in lines if l.upper().startswith("UID:")}
    return (text.startswith("BEGIN:VCALENDAR") and text.count("BEGIN:VCALENDAR") == 1 and "METHOD:" not in text
            and "BEGIN:VEVENT" in text and "BEGIN:VTODO" not in text and "BEGIN:VJOURNAL" not in text
            and "BEGIN:VFREEBUSY" not in text and len(uids) == 1)


def pick(pattern, ok, limit):
    chosen, seen = [], set()
    for f in sorted(glob.glob(os.path.join(corpus, pattern))):
        try:
            text = open(f, encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        uid = next((l.split(":", 1)[1].strip() for l in text.splitlines() if l.upper().startswith("UID:")), None)
        if uid and uid not in seen and ok(text):
            seen.add(uid)
            chosen.append((os.path.basename(f), text, uid))
        if len(chosen) >= limit:
            break
    return chosen


def vds(cfg, *args):
    p = subprocess.run([VDS, "-c", cfg, *args], capture_output=True, text=True, timeout=300, input="y\n" * 10)
    print(p.stdout[-3000:], p.stderr[-3000:])
    check(p.returncode == 0, f"vdirsyncer {' '.join(args)} exited {p.returncode}")


with tempfile.TemporaryDirectory() as tmp:
    cal_dir, card_dir = os.path.join(tmp, "cal"), os.path.join(tmp, "card")
    os.makedirs(cal_dir)
    os.makedirs(card_dir)
    events = pick("ical/*.ics", valid_event, 25)
    cards = pick("vcard/*.vcf", lambda t: t.count("BEGIN:VCARD") == 1, 25)
    check(len(events) >= 10 and len(cards) >= 5, f"{len(events)} events and {len(cards)} cards from the corpus")
    for name, text, _ in events:
        open(os.path.join(cal_dir, name), "w", encoding="utf-8").write(text)
    for name, text, _ in cards:
        open(os.path.join(card_dir, name), "w", encoding="utf-8").write(text)
    cal_path = f"/calendars/{user}/calendar/"
    book_path = f"/addressbooks/{user}/contacts/"
    cfg = os.path.join(tmp, "config")
    with open(cfg, "w") as f:
        f.write(f"""[general]
status_path = "{tmp}/status/"

[pair cal]
a = "cal_local"
b = "cal_remote"
collections = null
conflict_resolution = "a wins"

[storage cal_local]
type = "filesystem"
path = "{cal_dir}"
fileext = ".ics"

[storage cal_remote]
type = "caldav"
url = "{base}{cal_path}"
username = "{user}"
password = "{password}"

[pair card]
a = "card_local"
b = "card_remote"
collections = null
conflict_resolution = "a wins"

[storage card_local]
type = "filesystem"
path = "{card_dir}"
fileext = ".vcf"

[storage card_remote]
type = "carddav"
url = "{base}{book_path}"
username = "{user}"
password = "{password}"
""")
    vds(cfg, "discover")
    vds(cfg, "sync")
    want_ev = sorted(u for _, _, u in events)
    want_cards = sorted(u for _, _, u in cards)
    check(server_uids(cal_path) == want_ev, "all events uploaded once")
    check(server_uids(book_path) == want_cards, "all cards uploaded once")

    # Server-side changes: add, modify, delete.
    new_ev = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//peer//EN\r\nBEGIN:VEVENT\r\nUID:server-side-1\r\n"
              "DTSTAMP:20240101T000000Z\r\nDTSTART:20240601T100000Z\r\nDURATION:PT1H\r\nSUMMARY:From server\r\n"
              "END:VEVENT\r\nEND:VCALENDAR\r\n")
    check(http("PUT", cal_path + "server-side-1.ics", new_ev, {"Content-Type": "text/calendar"})[0] == 201, "server add")
    status, body = http("PROPFIND", cal_path, "", {"Depth": "1"})
    member_hrefs = sorted(h.text for h in ET.fromstring(body).iter("{DAV:}href") if h.text.endswith(".ics"))
    victim = [h for h in member_hrefs if "server-side" not in h][0]
    s, data = http("GET", victim)
    victim_uid = next(l.split(":", 1)[1].strip() for l in data.splitlines() if l.upper().startswith("UID:"))
    check(http("DELETE", victim)[0] == 204, "server delete")
    changed = [h for h in member_hrefs if "server-side" not in h][1]
    s, data = http("GET", changed)
    data2 = data.replace("END:VEVENT", "X-EASDAV-TOUCHED:yes\r\nEND:VEVENT", 1)
    check(http("PUT", changed, data2, {"Content-Type": "text/calendar"})[0] == 204, "server modify")
    vds(cfg, "sync")
    want_ev = sorted([u for u in want_ev if u != victim_uid] + ["server-side-1"])
    check(local_uids(cal_dir) == want_ev, "server changes came down (add and delete)")
    touched = [f for f in glob.glob(os.path.join(cal_dir, "*")) if "X-EASDAV-TOUCHED" in open(f, encoding="utf-8").read()]
    check(len(touched) == 1, "server modification came down")

    # Local changes: modify a card, delete a card, add a card.
    card_files = sorted(glob.glob(os.path.join(card_dir, "*.vcf")))
    gone_uid = local_uids_one = None
    with open(card_files[0], encoding="utf-8") as fh:
        gone_uid = next(l.split(":", 1)[1].strip() for l in fh.read().splitlines() if l.upper().startswith("UID:"))
    os.remove(card_files[0])
    text = open(card_files[1], encoding="utf-8").read().replace("END:VCARD", "NOTE:changed locally\r\nEND:VCARD")
    open(card_files[1], "w", encoding="utf-8").write(text)
    open(os.path.join(card_dir, "local-new.vcf"), "w").write(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:local-new-1\r\nFN:Local New\r\nN:New;Local;;;\r\nEND:VCARD\r\n")
    vds(cfg, "sync")
    want_cards = sorted([u for u in want_cards if u != gone_uid] + ["local-new-1"])
    check(server_uids(book_path) == want_cards, "local changes went up (add and delete)")
    status, body = http("PROPFIND", book_path, "", {"Depth": "1"})
    found = False
    for h in ET.fromstring(body).iter("{DAV:}href"):
        if h.text.endswith(".vcf"):
            if "changed locally" in http("GET", urllib.parse.urlparse(h.text).path)[1]:
                found = True
    check(found, "local modification went up")

    # A further sync changes nothing and duplicates nothing.
    vds(cfg, "sync")
    check(server_uids(cal_path) == want_ev and local_uids(cal_dir) == want_ev, "calendar stable after another sync")
    check(server_uids(book_path) == want_cards and local_uids(card_dir) == want_cards, "address book stable")
print("all vdirsyncer checks passed")
