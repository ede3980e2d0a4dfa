"""Calling windows, day rules, zones and next_callable_at at fixed instants (all UTC)."""

import pandas as pd
import pytest

from compliance import CallingPolicy
from compliance._zones import us_zones

NY = "2127365000"  # New York, Eastern; NY rule = federal hours
MIDDAY = "2026-11-30T18:00:00Z"  # a Monday, inside every window

# phone, extra columns, instant, expected reason, expected next_callable_at (None: the instant)
CASES = [
    # Federal window 08:00 <= t < 21:00 local, both boundaries.
    pytest.param(NY, {}, "2026-11-30T13:00:00Z", "ok", None, id="0800-is-inside"),
    pytest.param(
        NY,
        {},
        "2026-11-30T12:59:59Z",
        "outside_calling_hours",
        "2026-11-30T13:00Z",
        id="0759:59-is-outside",
    ),
    pytest.param(NY, {}, "2026-12-01T01:59:59Z", "ok", None, id="2059:59-is-inside"),
    pytest.param(
        NY,
        {},
        "2026-12-01T02:00:00Z",
        "outside_calling_hours",
        "2026-12-01T13:00Z",
        id="2100-is-outside",
    ),
    # Daylight saving: the offset changes, the local window does not.
    pytest.param(NY, {}, "2026-03-08T12:00:00Z", "ok", None, id="dst-start-day-0800-EDT"),
    pytest.param(
        NY,
        {},
        "2026-03-08T11:59:00Z",
        "outside_calling_hours",
        "2026-03-08T12:00Z",
        id="dst-start-day-0759-EDT",
    ),
    pytest.param(
        NY,
        {},
        "2026-03-08T02:30:00Z",
        "outside_calling_hours",
        "2026-03-08T12:00Z",
        id="next-across-spring-forward",
    ),
    pytest.param(
        NY,
        {},
        "2026-11-01T12:30:00Z",
        "outside_calling_hours",
        "2026-11-01T13:00Z",
        id="dst-end-day-0730-EST",
    ),
    pytest.param(
        NY,
        {},
        "2026-11-01T01:30:00Z",
        "outside_calling_hours",
        "2026-11-01T13:00Z",
        id="next-across-fall-back",
    ),
    # Zones without DST or far from the mainland.
    pytest.param("6022531234", {}, "2026-07-01T15:00:00Z", "ok", None, id="arizona-summer-0800"),
    pytest.param(
        "6022531234",
        {},
        "2026-07-01T14:59:00Z",
        "outside_calling_hours",
        "2026-07-01T15:00Z",
        id="arizona-summer-0759",
    ),
    pytest.param("6022531234", {}, "2026-01-15T15:00:00Z", "ok", None, id="arizona-winter-0800"),
    pytest.param("8085861234", {}, "2026-07-01T18:00:00Z", "ok", None, id="hawaii-0800"),
    pytest.param(
        "8085861234",
        {},
        "2026-07-01T17:59:00Z",
        "outside_calling_hours",
        "2026-07-01T18:00Z",
        id="hawaii-0759",
    ),
    pytest.param("9072691234", {}, "2026-01-15T17:00:00Z", "ok", None, id="alaska-0800"),
    pytest.param(
        "9072691234",
        {},
        "2026-01-15T16:59:00Z",
        "outside_calling_hours",
        "2026-01-15T17:00Z",
        id="alaska-0759",
    ),
    # Puerto Rico keeps AST all year and Law 210-2003 (10 L.P.R.A. 4033) allows telemarketing
    # only 09:00-21:00: 08:00 AST used to pass on the federal window alone (issue 18).
    pytest.param(
        "7877221234",
        {},
        "2026-07-01T12:00:00Z",
        "outside_calling_hours",
        "2026-07-01T13:00Z",
        id="puerto-rico-summer-0800-law-210",
    ),
    pytest.param("7877221234", {}, "2026-01-15T13:00:00Z", "ok", None, id="puerto-rico-0900"),
    pytest.param(
        "7877221234",
        {},
        "2026-01-16T01:00:00Z",
        "outside_calling_hours",
        "2026-01-16T13:00Z",
        id="puerto-rico-2100",
    ),
    pytest.param(
        NY,
        {},
        "2026-01-15T12:00:00Z",
        "outside_calling_hours",
        "2026-01-15T13:00Z",
        id="new-york-same-instant",
    ),
    # Split area codes: the exchange decides the zone.
    pytest.param(
        "8504341234",
        {},
        "2026-11-30T13:30:00Z",
        "outside_calling_hours",
        "2026-11-30T14:00Z",
        id="850-pensacola-central",
    ),
    pytest.param(
        "8506441234", {}, "2026-11-30T13:30:00Z", "ok", None, id="850-tallahassee-eastern"
    ),
    pytest.param(
        "2086671234",
        {},
        "2026-11-30T15:30:00Z",
        "outside_calling_hours",
        "2026-11-30T16:00Z",
        id="208-coeur-dalene-pacific",
    ),
    pytest.param("2083451234", {}, "2026-11-30T15:30:00Z", "ok", None, id="208-boise-mountain"),
    pytest.param("5418891234", {}, "2026-11-30T15:30:00Z", "ok", None, id="541-ontario-mountain"),
    pytest.param(
        "5413441234",
        {},
        "2026-11-30T15:30:00Z",
        "outside_calling_hours",
        "2026-11-30T16:00Z",
        id="541-eugene-pacific",
    ),
    pytest.param(
        "7012251234",
        {},
        "2026-11-30T14:30:00Z",
        "outside_calling_hours",
        "2026-11-30T15:00Z",
        id="701-dickinson-mountain",
    ),
    pytest.param("7012221234", {}, "2026-11-30T14:30:00Z", "ok", None, id="701-bismarck-central"),
    pytest.param(
        "8124221234",
        {},
        "2026-11-30T13:30:00Z",
        "outside_calling_hours",
        "2026-11-30T14:00Z",
        id="812-evansville-central",
    ),
    pytest.param(
        "8123301234", {}, "2026-11-30T13:30:00Z", "ok", None, id="812-bloomington-eastern"
    ),
    # SD: ATDS weekdays 09:00-21:00, on top of the split 605 area code.
    pytest.param("6053361234", {}, "2026-11-30T15:30:00Z", "ok", None, id="605-sioux-falls-0930"),
    pytest.param(
        "6053411234",
        {},
        "2026-11-30T15:30:00Z",
        "outside_calling_hours",
        "2026-11-30T16:00Z",
        id="605-rapid-city-0830",
    ),
    pytest.param(
        "6053361234",
        {},
        "2026-11-28T18:00:00Z",
        "state_restricted_day",
        "2026-11-30T15:00Z",
        id="sd-saturday-closed",
    ),
    # ZIP and number disagree: the call must be allowed in both zones.
    pytest.param(
        NY,
        {"postal_code": "90210"},
        "2026-11-30T13:00:00Z",
        "outside_calling_hours",
        "2026-11-30T17:00Z",  # the ZIP brings California's device rule: 09:00 PT
        id="ny-number-la-zip-morning",
    ),
    pytest.param(
        NY,
        {"postal_code": "90210"},
        "2026-12-01T02:30:00Z",
        "outside_calling_hours",
        "2026-12-01T17:00Z",
        id="ny-number-la-zip-evening",
    ),
    pytest.param(
        NY,
        {"postal_code": "90210"},
        "2026-11-30T18:00:00Z",
        "ok",
        None,
        id="ny-number-la-zip-midday",
    ),
    # Non-geographic numbers: ZIP, then state, else unknown.
    pytest.param(
        "8005550100", {}, "2026-11-30T18:00:00Z", "unknown_timezone", "NaT", id="toll-free-alone"
    ),
    pytest.param(
        "8005550100",
        {"postal_code": "10001"},
        "2026-11-30T13:00:00Z",
        "ok",
        None,
        id="toll-free-with-zip",
    ),
    pytest.param(
        "8005550100",
        {"state": "TX"},
        "2026-11-30T14:30:00Z",
        "outside_calling_hours",
        "2026-11-30T16:00Z",  # Texas 09:00 in its western, Mountain part
        id="toll-free-texas-central-and-mountain",
    ),
    # State hours (the area code is enough: FL, OK and CT presume in-state).
    pytest.param(
        "3055771234",
        {},
        "2026-12-01T01:30:00Z",
        "outside_calling_hours",
        "2026-12-01T13:00Z",
        id="fl-2030",
    ),
    pytest.param(NY, {}, "2026-12-01T01:30:00Z", "ok", None, id="ny-2030"),
    pytest.param(
        "3055771234",
        {"state": "NY", "postal_code": "10001"},
        "2026-12-01T01:30:00Z",
        "outside_calling_hours",
        "2026-12-01T13:00Z",
        id="fl-area-code-ny-resident",
    ),
    pytest.param(
        NY,
        {"state": "FL"},
        "2026-12-01T01:30:00Z",
        "outside_calling_hours",
        "2026-12-01T14:00Z",  # Florida's zones count too: 08:00 in its Central part
        id="declared-fl-state",
    ),
    pytest.param(
        NY,
        {"postal_code": "33101"},
        "2026-12-01T01:30:00Z",
        "outside_calling_hours",
        "2026-12-01T13:00Z",
        id="fl-zip",
    ),
    pytest.param(
        "4052321234",
        {},
        "2026-12-01T02:30:00Z",
        "outside_calling_hours",
        "2026-12-01T15:00Z",
        id="ok-2030-and-adad-0900",
    ),
    pytest.param(
        "4052321234",
        {},
        "2026-11-30T14:30:00Z",
        "outside_calling_hours",
        "2026-11-30T15:00Z",
        id="ok-adad-0830",
    ),
    pytest.param("4052321234", {}, "2026-11-30T15:00:00Z", "ok", None, id="ok-0900"),
    pytest.param(
        "2032271234",
        {},
        "2026-11-30T13:30:00Z",
        "outside_calling_hours",
        "2026-11-30T14:00Z",
        id="ct-0830",
    ),
    pytest.param(
        "2032271234",
        {},
        "2026-12-01T01:00:00Z",
        "outside_calling_hours",
        "2026-12-01T14:00Z",
        id="ct-2000",
    ),
    pytest.param(
        "7024551234",
        {},
        "2026-11-30T16:30:00Z",
        "outside_calling_hours",
        "2026-11-30T17:00Z",
        id="nv-0830",
    ),
    pytest.param(
        "5058271234",
        {},
        "2026-11-30T15:30:00Z",
        "outside_calling_hours",
        "2026-11-30T16:00Z",
        id="nm-0830",
    ),
    pytest.param(
        "2076261234",
        {},
        "2026-11-30T22:30:00Z",
        "outside_calling_hours",
        "2026-12-01T14:00Z",
        id="me-1730",
    ),
    pytest.param(
        "2076261234",
        {},
        "2026-11-28T16:00:00Z",
        "state_restricted_day",
        "2026-11-30T14:00Z",
        id="me-saturday",
    ),
    # Sundays and Saturdays.
    pytest.param(
        "2053221234",
        {},
        "2026-11-29T18:00:00Z",
        "state_restricted_day",
        "2026-11-30T14:00Z",
        id="al-sunday",
    ),
    pytest.param(
        "2053221234",
        {},
        "2026-11-30T04:00:00Z",
        "state_restricted_day",
        "2026-11-30T14:00Z",
        id="al-sunday-night-day-wins-over-hours",
    ),
    pytest.param(
        "2053221234",
        {},
        "2026-11-29T02:30:00Z",
        "outside_calling_hours",
        "2026-11-30T14:00Z",
        id="al-saturday-2030",
    ),
    pytest.param(
        "5045231234",
        {},
        "2026-11-29T18:00:00Z",
        "state_restricted_day",
        "2026-11-30T14:00Z",
        id="la-sunday",
    ),
    pytest.param(
        "8015381234",
        {},
        "2026-11-29T18:00:00Z",
        "state_restricted_day",
        "2026-11-30T15:00Z",
        id="ut-sunday",
    ),
    pytest.param(
        "6019611234",
        {},
        "2026-11-29T18:00:00Z",
        "state_restricted_day",
        "2026-11-30T14:00Z",
        id="ms-sunday",
    ),
    pytest.param(
        "4012221234",
        {},
        "2026-11-28T14:30:00Z",
        "outside_calling_hours",
        "2026-11-28T15:00Z",
        id="ri-saturday-0930",
    ),
    pytest.param(
        "4012221234",
        {},
        "2026-11-28T22:00:00Z",
        "outside_calling_hours",
        "2026-11-30T14:00Z",
        id="ri-saturday-1700",
    ),
    pytest.param(
        "4012221234",
        {},
        "2026-11-30T23:00:00Z",
        "outside_calling_hours",
        "2026-12-01T14:00Z",
        id="ri-weekday-1800",
    ),
    pytest.param(
        "4012221234",
        {},
        "2026-11-29T16:00:00Z",
        "state_restricted_day",
        "2026-11-30T14:00Z",
        id="ri-sunday",
    ),
    # Holidays.
    pytest.param(
        "8015381234",
        {},
        "2026-07-24T18:00:00Z",
        "state_restricted_day",
        "2026-07-25T14:00Z",
        id="ut-pioneer-day",
    ),
    pytest.param(
        "2155611234",
        {},
        "2026-04-03T16:00:00Z",
        "state_restricted_day",
        "2026-04-04T12:00Z",
        id="pa-good-friday",
    ),
    pytest.param(
        "2155611234",
        {},
        "2027-06-14T16:00:00Z",
        "state_restricted_day",
        "2027-06-15T13:00Z",  # SB 992 (blocked, unverified): from 09:00
        id="pa-flag-day",
    ),
    pytest.param(
        "2155611234",
        {},
        "2026-11-03T16:00:00Z",
        "state_restricted_day",
        "2026-11-04T14:00Z",
        id="pa-election-day",
    ),
    pytest.param(
        "2155611234",
        {},
        "2026-11-26T16:00:00Z",
        "state_restricted_day",
        "2026-11-28T14:00Z",
        id="pa-thanksgiving-and-day-after",
    ),
    pytest.param(NY, {}, "2026-11-26T16:00:00Z", "ok", None, id="ny-thanksgiving-open"),
    pytest.param(
        "4012221234",
        {},
        "2026-05-04T16:00:00Z",
        "state_restricted_day",
        "2026-05-05T13:00Z",
        id="ri-independence-day",
    ),
    pytest.param(
        "4012221234",
        {},
        "2026-08-10T16:00:00Z",
        "state_restricted_day",
        "2026-08-11T13:00Z",
        id="ri-victory-day",
    ),
    pytest.param(
        "5045231234",
        {},
        "2026-02-17T18:00:00Z",
        "state_restricted_day",
        "2026-02-18T14:00Z",
        id="la-mardi-gras",
    ),
    pytest.param(
        "2053221234",
        {},
        "2026-12-25T18:00:00Z",
        "state_restricted_day",
        "2026-12-26T14:00Z",
        id="al-christmas",
    ),
    pytest.param(
        "6019611234", {}, "2026-12-25T18:00:00Z", "ok", None, id="ms-holiday-ban-repealed"
    ),
    # Mississippi's "Central Standard Time": 08:00 CST is 09:00 CDT in summer.
    pytest.param(
        "6019611234",
        {},
        "2026-07-01T13:30:00Z",
        "outside_calling_hours",
        "2026-07-01T14:00Z",
        id="ms-summer-0830-cdt",
    ),
    pytest.param("6019611234", {}, "2026-01-14T14:00:00Z", "ok", None, id="ms-winter-0800-cst"),
    pytest.param(
        "6019611234",
        {},
        "2026-07-02T01:00:00Z",
        "outside_calling_hours",
        "2026-07-02T14:00Z",
        id="ms-summer-2000-cdt",
    ),
    # Effective dates: Oregon's 20:00 end applies from 2026-01-01.
    pytest.param("5032291234", {}, "2026-01-01T04:30:00Z", "ok", None, id="or-2030-before-2026"),
    pytest.param(
        "5032291234",
        {},
        "2026-01-03T04:30:00Z",
        "outside_calling_hours",
        "2026-01-03T16:00Z",
        id="or-2030-from-2026",
    ),
    # Unverified (low-confidence) rows are enforced by default: blocked until read.
    pytest.param(
        "5025841234",
        {},
        "2026-11-30T14:30:00Z",
        "outside_calling_hours",
        "2026-11-30T15:00Z",
        id="ky-0930-unverified-10am-start",
    ),
    pytest.param(
        "3077771234",
        {},
        "2026-12-01T03:30:00Z",
        "outside_calling_hours",
        "2026-12-01T15:00Z",
        id="wy-2030-unverified-8pm-end",
    ),
    # Texas 301.051: 9-9 Monday to Saturday, noon-9 Sunday.
    pytest.param(
        "2147481234",
        {},
        "2026-11-30T14:30:00Z",
        "outside_calling_hours",
        "2026-11-30T15:00Z",
        id="tx-weekday-0830",
    ),
    pytest.param(
        "2147481234",
        {},
        "2026-11-29T16:00:00Z",
        "outside_calling_hours",
        "2026-11-29T18:00Z",
        id="tx-sunday-1000",
    ),
    pytest.param("2147481234", {}, "2026-11-30T02:30:00Z", "ok", None, id="tx-sunday-2030"),
    # Device rules, enforced for every call: California 9-9 California time, SC 8-7, IL 9-9.
    pytest.param(
        "2136241234",
        {},
        "2026-11-30T16:30:00Z",
        "outside_calling_hours",
        "2026-11-30T17:00Z",
        id="ca-adad-0830",
    ),
    pytest.param("2136241234", {}, "2026-12-01T04:30:00Z", "ok", None, id="ca-adad-2030"),
    pytest.param(
        "8037341234",
        {},
        "2026-12-01T00:30:00Z",
        "outside_calling_hours",
        "2026-12-01T13:00Z",
        id="sc-adad-1930",
    ),
    pytest.param(
        "3122221234",
        {},
        "2026-11-30T14:30:00Z",
        "outside_calling_hours",
        "2026-11-30T15:00Z",
        id="il-autodialer-0830",
    ),
    # Pennsylvania SB 992 (unverified, blocked) from 2026-10-18: no Sundays, 9-7.
    pytest.param(
        "2155611234",
        {},
        "2026-11-29T18:00:00Z",
        "state_restricted_day",
        "2026-11-30T14:00Z",
        id="pa-sb992-sunday",
    ),
    pytest.param("2155611234", {}, "2026-10-11T18:00:00Z", "ok", None, id="pa-sunday-before-sb992"),
    pytest.param(
        "2155611234",
        {},
        "2026-12-01T00:30:00Z",
        "outside_calling_hours",
        "2026-12-01T14:00Z",
        id="pa-sb992-1930",
    ),
    # Utah's own calendar: Juneteenth on the Monday before a Friday June 19; Good Friday.
    pytest.param(
        "8015381234",
        {},
        "2026-06-15T18:00:00Z",
        "state_restricted_day",
        "2026-06-16T14:00Z",
        id="ut-juneteenth-moved-to-monday",
    ),
    pytest.param("8015381234", {}, "2026-06-19T18:00:00Z", "ok", None, id="ut-june-19-open"),
    pytest.param(
        "8015381234",
        {},
        "2026-04-03T18:00:00Z",
        "state_restricted_day",
        "2026-04-04T14:00Z",
        id="ut-good-friday",
    ),
    pytest.param(
        "8015381234",
        {},
        "2027-11-02T18:00:00Z",
        "state_restricted_day",
        "2027-11-03T14:00Z",
        id="ut-election-day-from-2027-unverified",
    ),
    # Louisiana: every day of R.S. 1:55, e.g. All Saints' Day and the Battle of New Orleans.
    pytest.param(
        "5045231234",
        {},
        "2027-11-01T18:00:00Z",
        "state_restricted_day",
        "2027-11-03T13:00Z",  # November 2 is election day, closed as well
        id="la-all-saints-day",
    ),
    pytest.param(
        "5045231234",
        {},
        "2027-01-08T18:00:00Z",
        "state_restricted_day",
        "2027-01-09T14:00Z",
        id="la-battle-of-new-orleans",
    ),
    # The declared state is a candidate location even when number and ZIP give a zone.
    pytest.param(
        NY,
        {"state": "HI"},
        "2026-11-30T14:00:00Z",
        "outside_calling_hours",
        "2026-11-30T18:00Z",
        id="ny-number-declared-hawaii",
    ),
    pytest.param(
        NY,
        {"state": "CA", "postal_code": "10001"},
        "2026-11-30T16:30:00Z",
        "outside_calling_hours",
        "2026-11-30T17:00Z",
        id="ny-number-and-zip-declared-california",
    ),
    # Canada: CRTC hours (weekdays 9:00-21:30, weekends 10:00-18:00), local time, no US rules.
    pytest.param(
        "4165551234",
        {},
        "2026-11-30T13:30:00Z",
        "outside_calling_hours",
        "2026-11-30T14:00Z",
        id="toronto-weekday-0830",
    ),
    pytest.param("4165551234", {}, "2026-12-01T02:15:00Z", "ok", None, id="toronto-weekday-2115"),
    pytest.param(
        "4165551234",
        {},
        "2026-12-01T02:30:00Z",
        "outside_calling_hours",
        "2026-12-01T14:00Z",
        id="toronto-weekday-2130",
    ),
    pytest.param(
        "4165551234",
        {},
        "2026-11-28T14:30:00Z",
        "outside_calling_hours",
        "2026-11-28T15:00Z",
        id="toronto-saturday-0930",
    ),
    pytest.param(
        "4165551234",
        {},
        "2026-11-28T23:00:00Z",
        "outside_calling_hours",
        "2026-11-29T15:00Z",
        id="toronto-saturday-1800",
    ),
    pytest.param(
        "6045551234",
        {},
        "2026-08-03T20:00:00Z",
        "state_restricted_day",
        "2026-08-04T16:00Z",
        id="vancouver-bc-day-holiday",
    ),
    # A Canadian postal code brings the CRTC hours in its FSA's zones: M5V is downtown Toronto
    # (data/fsa_zones.csv), so Toronto time only. It used to be every Ontario zone, which waited
    # for Winnipeg's 09:00 (issue 18: a legal call blocked).
    pytest.param(
        NY,
        {"postal_code": "M5V 3L9"},
        "2026-11-30T13:30:00Z",
        "outside_calling_hours",
        "2026-11-30T14:00Z",
        id="us-number-canadian-postal-code",
    ),
    pytest.param(
        NY,
        {"postal_code": "M5V 3L9"},
        "2026-11-30T14:30:00Z",
        "ok",
        None,
        id="us-number-toronto-postal-code-toronto-time-only",
    ),
    # Other +1 countries are refused, never judged by the US window.
    pytest.param("8765551234", {}, MIDDAY, "unsupported_country", "NaT", id="jamaica"),
    pytest.param("2423221234", {}, MIDDAY, "unsupported_country", "NaT", id="bahamas"),
    pytest.param("6714771234", {}, "2026-11-30T23:00:00Z", "ok", None, id="guam-us-territory"),
    # Tribal land: the Navajo Nation keeps daylight time, Arizona and the Hopi do not.
    pytest.param(
        "8005550100",
        {"postal_code": "86045"},  # Tuba City (Navajo) and Moenkopi (Hopi)
        "2026-07-02T03:30:00Z",
        "outside_calling_hours",
        "2026-07-02T15:00Z",
        id="tuba-city-summer-2130-mdt",
    ),
    pytest.param(
        "8005550100",
        {"postal_code": "85001"},
        "2026-07-02T03:30:00Z",
        "ok",
        None,
        id="phoenix-summer-2030-mst",
    ),
    pytest.param(
        "8005550100",
        {"postal_code": "86515"},  # Window Rock: the ZIP table says Denver only
        "2026-07-01T14:30:00Z",
        "outside_calling_hours",
        "2026-07-01T15:00Z",
        id="window-rock-summer-0730-mst",
    ),
]


@pytest.mark.parametrize(("phone", "extra", "at", "reason", "next_at"), CASES)
def test_time_rules(judge, phone, extra, at, reason, next_at):
    row = judge(at, phone=phone, **extra)

    assert row.reason == reason
    assert row.dialable == (reason == "ok")
    expected = pd.Timestamp(next_at or at)
    if pd.isna(expected):
        assert pd.isna(row.next_callable_at)
    else:
        assert row.next_callable_at == expected


# phone, policy, instant, expected reason, expected next_callable_at (None: the instant)
POLICY_CASES = [
    pytest.param(
        "5025841234",
        CallingPolicy(enforced_confidence={"high", "medium"}),
        "2026-11-30T14:30:00Z",
        "ok",
        None,
        id="ky-unverified-rule-dropped-by-counsel",
    ),
    pytest.param(
        "6019611234",
        CallingPolicy(enforced_confidence={"high"}),
        "2026-07-01T13:30:00Z",
        "ok",
        None,
        id="ms-cst-reading-is-medium",
    ),
    pytest.param(
        "2155611234",
        CallingPolicy(enforced_confidence={"high"}),
        "2027-06-14T16:00:00Z",
        "ok",
        None,
        id="pa-holiday-list-is-medium",
    ),
    pytest.param(
        "2053221234",
        CallingPolicy(enforced_confidence={"high"}),
        "2026-11-29T18:00:00Z",
        "state_restricted_day",
        "2026-11-30T14:00Z",
        id="al-sunday-is-high",
    ),
    pytest.param(
        NY,
        CallingPolicy(federal_start="09:00", federal_end="20:00"),
        "2026-11-30T13:30:00Z",
        "outside_calling_hours",
        "2026-11-30T14:00Z",
        id="narrower-window-start",
    ),
    pytest.param(
        NY,
        CallingPolicy(federal_start="09:00", federal_end="20:00"),
        "2026-12-01T01:00:00Z",
        "outside_calling_hours",
        "2026-12-01T14:00Z",
        id="narrower-window-end",
    ),
    pytest.param(
        "8005550100",
        CallingPolicy(block_unknown_timezone=False),
        "2026-11-30T22:30:00Z",
        "ok",
        None,
        id="unknown-zone-judged-in-every-us-zone",
    ),
    pytest.param(
        "8005550100",
        CallingPolicy(block_unknown_timezone=False),
        "2026-11-30T18:00:00Z",  # 13:00 ET but 08:00 in Hawaii, 04:00 in Guam
        "outside_calling_hours",
        "2026-11-30T22:00Z",  # 08:00 in Guam; Puerto Rico closes at 01:00Z
        id="unknown-zone-waits-for-guam",
    ),
]


@pytest.mark.parametrize(("phone", "policy", "at", "reason", "next_at"), POLICY_CASES)
def test_policy_changes_what_is_enforced(judge, phone, policy, at, reason, next_at):
    row = judge(at, policy, phone=phone)

    assert row.reason == reason
    assert row.next_callable_at == pd.Timestamp(next_at or at)


def test_candidate_zones_are_listed(judge):
    assert judge("2026-11-30T18:00Z", phone=NY, postal_code="90210").time_zones == (
        "America/Los_Angeles;America/New_York"
    )
    assert judge("2026-11-30T18:00Z", phone="8005550100", state="FL").time_zones == (
        "America/Chicago;America/New_York"
    )
    assert judge("2026-11-30T18:00Z", phone=NY, state="HI").time_zones == (
        "America/New_York;Pacific/Honolulu"
    )
    assert judge("2026-11-30T18:00Z", phone="8005550100", postal_code="86045").time_zones == (
        "America/Denver;America/Phoenix"
    )
    assert judge("2026-11-30T18:00Z", phone="8005550100").time_zones == ""
    unknown = judge(
        "2026-11-30T18:00Z", CallingPolicy(block_unknown_timezone=False), phone="8005550100"
    )
    zones = unknown.time_zones.split(";")
    assert {"Pacific/Honolulu", "America/Anchorage", "America/Puerto_Rico", "Pacific/Guam"} <= set(
        zones
    )
    assert zones == sorted(us_zones()) and "Pacific/Palau" not in zones  # not a US jurisdiction


def test_consent_does_not_lift_hours(judge):
    # Utah's Sunday ban exempts consented calls; dialers apply it anyway.
    row = judge("2026-11-29T18:00Z", phone="8015381234", consent_call=True)

    assert row.reason == "state_restricted_day"


def test_applicable_states_are_listed_declared_first(judge):
    row = judge("2026-11-30T18:00Z", phone="3055771234", postal_code="10001", state="CT")

    assert row.states == "CT;NY;FL"


def test_a_canadian_number_gets_canadian_rules_not_us_ones(judge):
    row = judge("2026-11-30T18:00Z", phone="4165551234")

    assert (row.states, row.time_zones) == ("ON", "America/Toronto")


def _contacts_in_many_zones() -> pd.DataFrame:
    """Consenting contacts across zones and states with their own rules."""
    return pd.DataFrame(
        {
            "contact_id": [f"c{i}" for i in range(6)],
            "phone": [
                "(212) 736-5000",
                "(808) 586-1234",
                "(406) 444-1234",
                "(305) 555-0100",
                "(907) 465-1234",
                "(702) 455-1234",
            ],
            "state": [None, "HI", "MT", "FL", None, "UT"],
            "consent_call": True,
        }
    )


def test_evaluations_sharing_a_grid_answer_as_a_fresh_one():
    """Evaluations of one minute share the grid and the candidates' answers (`calling_grid`,
    `candidates_for`): policies with other windows or rules must not see each other's."""
    from datetime import UTC, date, datetime, time

    import compliance
    from compliance import _places, _windows

    contacts = _contacts_in_many_zones()
    at = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    policies = [
        CallingPolicy(),
        CallingPolicy(federal_start=time(10, 0), federal_end=time(20, 0)),
        CallingPolicy(enforced_confidence=frozenset({"high"})),
        CallingPolicy(),
    ]
    shared = [compliance.evaluate(contacts, at, p) for p in policies]
    shared_days = [compliance.evaluate_day(contacts, date(2026, 12, 1), policy=p) for p in policies]
    fresh, fresh_days = [], []
    for policy in policies:
        _windows._GRIDS.clear()
        _places.candidates_for.cache_clear()
        fresh.append(compliance.evaluate(contacts, at, policy))
        _windows._GRIDS.clear()
        _places.candidates_for.cache_clear()
        fresh_days.append(compliance.evaluate_day(contacts, date(2026, 12, 1), policy=policy))
    for a, b in zip(shared + shared_days, fresh + fresh_days, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert shared[0]["next_callable_at"].tolist() != shared[1]["next_callable_at"].tolist()


def test_a_grid_that_lets_go_of_its_combined_masks_answers_alike(monkeypatch):
    from datetime import UTC, datetime

    import compliance
    from compliance import _windows

    contacts = _contacts_in_many_zones()
    at = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    _windows._GRIDS.clear()
    kept = compliance.evaluate(contacts, at)
    _windows._GRIDS.clear()
    monkeypatch.setattr(_windows, "_KEPT_ZONE_MASKS", 1)  # every new combination clears them
    pd.testing.assert_frame_equal(compliance.evaluate(contacts, at), kept)
    _windows._GRIDS.clear()


def test_first_allowed_minute_is_the_first_allowed_minute_of_each_rows_mask():
    """A capped contact's next minute comes from its combination's runs of allowed minutes,
    all rows in one search: each must be the first minute of its own combined mask at or
    after the one wanted (never one of the next combination's), -1 when there is none."""
    import numpy as np

    from compliance._rules import Rule, federal_rule, state_rules
    from compliance._windows import GRID_MINUTES, CallingGrid

    federal = federal_rule(CallingPolicy())
    never = Rule("NEVER", "US", week=(None,) * 7)
    combinations = [
        (frozenset(zones), (federal, *(r for r in state_rules() if r.state in states)))
        for zones, states in [
            ({"America/New_York"}, ()),
            ({"America/New_York"}, ("FL",)),
            ({"America/Chicago", "America/Denver"}, ("TX",)),
            ({"Pacific/Honolulu", "America/Anchorage"}, ()),
            ({"America/New_York", "Pacific/Honolulu"}, ("NY", "MA")),  # barely any overlap
        ]
    ] + [(frozenset({"America/New_York"}), (federal, never))]
    grid = CallingGrid(pd.Timestamp("2026-11-27 05:00", tz="UTC"))  # a Friday before a Sunday
    wanted = np.tile(np.arange(0, GRID_MINUTES + 60), len(combinations))
    which = np.repeat(np.arange(len(combinations)), GRID_MINUTES + 60)
    expected = np.full(len(wanted), -1)
    for i, (zones, rules) in enumerate(combinations):
        allowed = np.flatnonzero(grid._combined(zones, rules)[0])
        position = np.searchsorted(allowed, wanted[which == i])
        found = position < len(allowed)
        if len(allowed):
            expected[which == i] = np.where(
                found, allowed[np.minimum(position, len(allowed) - 1)], -1
            )
    assert (expected >= 0).any() and (expected == -1).any()
    np.testing.assert_array_equal(grid.first_allowed(combinations, which, wanted), expected)
    mixed = np.random.default_rng(5).permutation(len(wanted))  # rows of all combinations
    np.testing.assert_array_equal(
        grid.first_allowed(combinations, which[mixed], wanted[mixed]), expected[mixed]
    )
    assert (grid.first_allowed(combinations[-1:], which[:3] * 0, wanted[:3]) == -1).all()


def test_a_judged_combination_is_searched_without_combining_its_masks_again(monkeypatch):
    """Judging a combination (a day list's windows, an instant's status) keeps the runs of its
    allowed minutes: the frequency caps' search for its next minute reads those, and finds
    what a grid that never judged it finds."""
    import numpy as np

    from compliance._rules import federal_rule, state_rules
    from compliance._windows import GRID_MINUTES, CallingGrid

    federal = federal_rule(CallingPolicy())
    combinations = [
        (frozenset(zones), (federal, *(r for r in state_rules() if r.state in states)))
        for zones, states in [
            ({"America/New_York"}, ("FL",)),
            ({"America/Chicago", "America/Denver"}, ("TX",)),
            ({"America/New_York", "Pacific/Honolulu"}, ("NY", "MA")),
        ]
    ]
    start = pd.Timestamp("2026-11-27 05:00", tz="UTC")  # a Friday before a Sunday
    wanted = np.tile(np.arange(0, GRID_MINUTES + 60, 7), len(combinations))
    which = np.repeat(np.arange(len(combinations)), len(wanted) // len(combinations))
    expected = CallingGrid(start).first_allowed(combinations, which, wanted)
    for judge in ("day", "instant"):
        grid = CallingGrid(start)
        for zones, rules in combinations:
            if judge == "day":
                grid.judge_day(zones, rules, 1440)
            else:
                grid.judge(zones, rules)

        def combined_again(*_args):
            raise AssertionError("combined a judged combination's masks again")

        monkeypatch.setattr(grid, "_combined", combined_again)
        np.testing.assert_array_equal(grid.first_allowed(combinations, which, wanted), expected)


@pytest.mark.parametrize(
    "mask, starts, ends",
    [
        ("", [], []),
        ("0", [], []),
        ("1", [0], [1]),
        ("0000", [], []),
        ("1111", [0], [4]),
        ("0110", [1], [3]),
        ("1001", [0, 3], [1, 4]),
        ("101010", [0, 2, 4], [1, 3, 5]),
        ("010101", [1, 3, 5], [2, 4, 6]),
    ],
)
def test_the_runs_of_a_mask_start_and_end_where_it_turns(mask, starts, ends):
    """A combination's allowed minutes as runs [start, end): at the mask's first and last
    minute too, where no neighbour marks the turn."""
    import numpy as np

    from compliance._windows import _runs

    found = _runs(np.array([c == "1" for c in mask], dtype=bool))
    assert [found[0].tolist(), found[1].tolist()] == [starts, ends]
