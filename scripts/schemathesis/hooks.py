"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

Random UUIDs only ever reach the "not found" branch of an operation, so generated ids are
sometimes swapped for ids that run.py seeded just before this pass (a location, published,
draft, full, unpayable and group events, pending, paid and group bookings, a payment): the happy paths and
the conflict branches are generated too, and their answers are checked against the document
like any other. Ids that are not UUIDs (negative cases) are left alone.

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

import schemathesis
from hypothesis import strategies as st

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

with open(os.environ["BE_ST_SEED_FILE"], encoding="utf-8") as _file:
    SEED: dict[str, list[str]] = json.load(_file)

WEBHOOK = "/api/v2/payments/webhook"
SIGN_WEBHOOK = os.environ.get("BE_ST_SIGN_WEBHOOK") == "1"
WEBHOOK_SECRET = os.environ.get("PAYMENT_WEBHOOK_SECRET", "")


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
def flatmap_body(context, body):
    operation = context.operation
    if operation.method.upper() == "POST" and operation.path == "/api/v2/bookings":
        return _with_seeded(body, "eventId", SEED["events"])
    if operation.path == "/api/v2/events" or operation.path.startswith("/api/v2/events/"):
        return _with_seeded(body, "locationId", SEED["locations"])
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


@schemathesis.hook
def before_call(context, case, kwargs):
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
