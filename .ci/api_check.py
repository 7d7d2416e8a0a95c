"""The REST API against the running release server: the OpenAPI document validates, and the
calendar feeds parse as iCalendar with the mailed invitations' UIDs and SEQUENCE. Prints a token
(scope admin) for schemathesis, which test.sh runs next.

Usage: api_check.py BASE_URL
"""

import json
import sys
from datetime import datetime, timedelta
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import icalendar
from openapi_spec_validator import validate

BASE = sys.argv[1].rstrip("/")
PASSWORD = "Demo-2026-labshare"


def session(email):
    """An opener signed in as `email` (the demo password)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    call(opener, "sign_in", {"email": email, "password": PASSWORD})
    return opener


def call(opener, function, fields):
    req = urllib.request.Request(
        f"{BASE}/api/{function}",
        data=urlencode(fields).encode(),
        headers={"Accept": "application/json"},
    )
    with opener.open(req) as res:
        return json.loads(res.read() or b"null")


def api(method, path, token, body=None):
    req = urllib.request.Request(
        f"{BASE}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def get(path):
    with urllib.request.urlopen(f"{BASE}{path}") as res:
        assert res.headers["Content-Type"].startswith("text/calendar"), res.headers["Content-Type"]
        return res.read()


def events(ics):
    calendar = icalendar.Calendar.from_ical(ics)
    return [c for c in calendar.walk("VEVENT")]


with urllib.request.urlopen(f"{BASE}/api/v1/openapi.json") as res:
    document = json.loads(res.read())
validate(document)
assert document["openapi"].startswith("3.1"), document["openapi"]
print(f"openapi.json validates (OpenAPI {document['openapi']}, {len(document['paths'])} paths)", file=sys.stderr)

# A booking made through the API, then made longer: its invitation went out twice (SEQUENCE 0,
# then 1), and the feed has the event as the second one left it.
booker = session("liu.fang@nk-furniture.example")
token = call(booker, "create_api_token", {"token_name": "api_check", "scope": "book"})["secret"]
# Far enough ahead for any resource's cancellation cut-off, so that it may be moved.
later = (datetime.now() + timedelta(days=5)).date().isoformat()
_, page = api("GET", f"/api/v1/free?hours=3&kind=instrument&from={later}", token)
bookable = next(r for r in page["items"] if r["windows"])
starts = datetime.fromisoformat(bookable["windows"][0]["starts"])
hour = timedelta(hours=1)
status, made = api("POST", "/api/v1/bookings", token, {
    "resource_id": bookable["resource"]["id"], "starts": starts.isoformat(),
    "ends": (starts + hour).isoformat(), "purpose": "API check", "contact_phone": "13900001111",
})
assert status == 201, (status, made)
booking = made["booking"]["id"]
status, moved = api("POST", f"/api/v1/bookings/{booking}/reschedule", token, {
    "starts": starts.isoformat(), "ends": (starts + 2 * hour).isoformat(),
})
assert status == 200, (status, moved)

feed_url = call(booker, "reset_calendar_feed", {})
feed_path = feed_url[feed_url.index("/api/v1/"):]
mine = events(get(feed_path))
ours = [e for e in mine if str(e["UID"]).startswith(f"booking-{booking}@")]
assert len(ours) == 1, [str(e["UID"]) for e in mine]
event = ours[0]
assert int(event["SEQUENCE"]) == 1, event["SEQUENCE"]
assert event.decoded("DTSTART") == starts, (event.decoded("DTSTART"), starts)
assert event.decoded("DTEND") == starts + 2 * hour, event.decoded("DTEND")
print(f"person feed: {len(mine)} events, booking {booking} as {event['UID']} SEQUENCE {event['SEQUENCE']}", file=sys.stderr)

public = events(get(f"/api/v1/calendars/resources/{bookable['resource']['id']}.ics"))
assert public and all("刘芳" not in str(e.get("SUMMARY", "")) for e in public)
print(f"resource feed: {len(public)} events, no personal data", file=sys.stderr)

# The token schemathesis uses: an institution admin's, with every right they have.
admin = session("admin@jxiic.example")
print(call(admin, "create_api_token", {"token_name": "schemathesis", "scope": "admin"})["secret"])
