"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

Random UUIDs only ever reach the "not found" branch of an operation, so generated ids are
sometimes swapped for ids that run.py seeded just before this pass (a location, published,
draft, full, unpayable and group events, an event running today, pending, paid, free and group
bookings (one on today's event, so check-in succeeds), a payment): the happy paths and
the conflict branches are generated too, and their answers are checked against the document
like any other. Ids that are not UUIDs (negative cases) are left alone.

Event reads and changes take entity tags (If-None-Match on GET, If-Match on PUT, publish and
cancel): a generated tag is almost never the event's, so the header is sometimes replaced by `*`
or by the event's current ETag, read just before the call; the 304, the successful conditional
change and the 412 are then all generated. Event bodies sometimes get a real IANA time zone
instead of a generated (unknown, 400) one.

With BE_ST_SIGN_WEBHOOK=1 the payment webhook is signed as the Payment Service would sign it
(X-Signature: sha256=<HMAC-SHA256 of the exact body bytes> with PAYMENT_WEBHOOK_SECRET); in the
other passes it goes out as generated, so unsigned and wrongly signed calls must get a 401/400.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re

import requests
import schemathesis
from hypothesis import strategies as st

from run import SUBJECTS, token

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

with open(os.environ["BE_ST_SEED_FILE"], encoding="utf-8") as _file:
    SEED: dict[str, list[str]] = json.load(_file)

WEBHOOK = "/api/v2/payments/webhook"
SIGN_WEBHOOK = os.environ.get("BE_ST_SIGN_WEBHOOK") == "1"
WEBHOOK_SECRET = os.environ.get("PAYMENT_WEBHOOK_SECRET", "")


# Stands for "the event's current ETag" until before_call reads it.
CURRENT_ETAG = '"current-etag"'
CONDITIONAL = {"if-match", "if-none-match"}
TIME_ZONES = ["UTC", "Europe/Moscow", "asia/novosibirsk", "America/Argentina/Buenos_Aires"]


def _ids_for(path: str) -> list[str]:
    if path.startswith("/api/v2/bookings/"):
        return SEED["bookings"]
    if path.startswith("/api/v2/locations/"):
        return SEED["locations"]
    if path.startswith(("/api/v2/events/", "/api/v1/events/")):
        return SEED["events"]
    return []


def _with_seeded(value: dict, key: str, ids: list[str]):
    """The generated value, or the same value with `key` set to one of the seeded ids."""
    if not ids or not isinstance(value, dict) or not isinstance(value.get(key), str) or not UUID.match(value[key]):
        return st.just(value)
    return st.sampled_from([value, *({**value, key: i} for i in ids)])


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    return _with_seeded(path_parameters, "id", _ids_for(context.operation.path))


@schemathesis.hook
def flatmap_headers(context, headers):
    names = {p.name.lower() for p in context.operation.headers} & CONDITIONAL if context.operation.headers else set()
    if not names or (headers is not None and not isinstance(headers, dict)):
        return st.just(headers)
    name = next(iter(names))
    base = headers or {}
    return st.sampled_from([headers, {**base, name: "*"}, {**base, name: CURRENT_ETAG}])


def _with_time_zone(body):
    if not isinstance(body, dict) or not isinstance(body.get("timeZone"), str):
        return st.just(body)
    return st.sampled_from([body, *({**body, "timeZone": zone} for zone in TIME_ZONES)])


@schemathesis.hook
def flatmap_body(context, body):
    operation = context.operation
    if operation.method.upper() == "POST" and operation.path == "/api/v2/bookings":
        return _with_seeded(body, "eventId", SEED["events"])
    if operation.path == "/api/v2/events" or operation.path.startswith("/api/v2/events/"):
        return _with_seeded(body, "locationId", SEED["locations"]).flatmap(_with_time_zone)
    if operation.path == WEBHOOK:
        return _with_seeded(body, "paymentId", SEED["payments"])
    return st.just(body)


@schemathesis.hook
def flatmap_query(context, query):
    if context.operation.path == "/api/v2/events" and isinstance(query, dict):
        return _with_seeded(query, "locationId", SEED["locations"]).flatmap(lambda q: _with_seeded(q, "organizerId", SEED["organizers"]))
    return st.just(query)


def _raw_json(body) -> bytes | None:
    """The exact bytes Schemathesis' requests transport sends for a JSON body, or None when unsure."""
    if isinstance(body, bytes):
        return body
    if body is None:
        return b"null"
    try:
        return json.dumps(body, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return None


def _current_etag(case) -> str | None:
    """The event's ETag as an admin reads it now (drafts included); None when it cannot be read."""
    event_id = (case.path_parameters or {}).get("id")
    if not isinstance(event_id, str) or not UUID.match(event_id):
        return None
    auth = {"authorization": f"Bearer {token(os.environ['AUTH_JWT_SECRET'], SUBJECTS['ADMIN'], 'ADMIN')}"}
    response = requests.get(f"{os.environ['BE_ST_BASE_URL']}/api/v2/events/{event_id}", headers=auth, timeout=30)
    return response.headers.get("etag") if response.status_code == 200 else None


def _resolve_current_etag(case) -> None:
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() in CONDITIONAL and value == CURRENT_ETAG:
            etag = _current_etag(case)
            if etag is None:
                del headers[name]
            else:
                headers[name] = etag


@schemathesis.hook
def before_call(context, case, kwargs):
    _resolve_current_etag(case)
    if not SIGN_WEBHOOK or case.operation.path != WEBHOOK or not WEBHOOK_SECRET:
        return
    if case.media_type and case.media_type.split(";")[0].strip().lower() != "application/json":
        return
    raw = _raw_json(case.body)
    if raw is None:
        return
    # Sign the bytes that go out: the body is handed over already serialized.
    case.body = raw
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode("utf-8"), raw, hashlib.sha256).hexdigest()
    case.headers = {**(case.headers or {}), "x-signature": signature}
