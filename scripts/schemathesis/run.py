"""Runs Schemathesis against a running backend-event, once per caller: anonymous, USER, ORGANIZER, ADMIN.

Started by scripts/schemathesis.sh with the venv's Python, which also starts the service. Before each
pass it seeds fresh data through the API (so the hooks can aim generated requests at real ids,
and what an earlier pass cancelled does not starve the next), then runs `st run` over every
operation of the committed openapi.json with the conformance checks. It prints one summary line
with the number of generated cases and exits non-zero when any pass failed or errored.

Environment: BASE_URL, AUTH_JWT_SECRET, PAYMENT_WEBHOOK_SECRET (all set by schemathesis.sh);
optional SCHEMATHESIS_MAX_EXAMPLES (default 50), SCHEMATHESIS_SEED (default: random, printed),
SCHEMATHESIS_PASSES (comma-separated subset of anonymous,USER,ORGANIZER,ADMIN), REPORT_DIR.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCHEMA = Path(os.environ.get("SCHEMATHESIS_SCHEMA") or ROOT / "openapi.json")  # another document only to try the harness
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)

# Fixed callers: events belong to ORGANIZER, bookings to USER, so each pass meets data it owns.
SUBJECTS = {
    "USER": "5c6a8e0e-0000-4000-8000-000000000001",
    "ORGANIZER": "5c6a8e0e-0000-4000-8000-000000000002",
    "ADMIN": "5c6a8e0e-0000-4000-8000-000000000003",
    "OTHER_USER": "5c6a8e0e-0000-4000-8000-000000000004",
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token(secret: str, sub: str, role: str, ttl_s: int = 3600) -> str:
    """An HS256 access token as the service expects it: sub (uuid), roles, exp."""
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": sub, "roles": [role], "iat": now, "exp": now + ttl_s}, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


class Api:
    def __init__(self, base: str, secret: str) -> None:
        self.base = base.rstrip("/")
        self.secret = secret
        self.session = requests.Session()

    def call(self, method: str, path: str, who: str, body: dict | None = None, expect: tuple[int, ...] = (200, 201)) -> dict:
        role = "USER" if who == "OTHER_USER" else who
        headers = {"authorization": f"Bearer {token(self.secret, SUBJECTS[who], role)}"}
        response = self.session.request(method, self.base + path, json=body, headers=headers, timeout=30)
        if response.status_code not in expect:
            raise SystemExit(f"seeding failed: {method} {path} as {who} answered {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else {}


def seed(api: Api) -> dict[str, list[str]]:
    """A small world through the API itself; returns the ids the hooks may use."""
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    iso = lambda d: d.isoformat().replace("+00:00", "Z")  # noqa: E731

    def event(title: str, capacity: int, price: dict | None, location: str | None, publish: bool = True, starts: datetime = start) -> str:
        body = {"title": title, "description": "Seeded for the Schemathesis run", "startDate": iso(starts), "endDate": iso(starts + timedelta(hours=3)), "capacity": capacity, "price": price, "locationId": location}
        created = api.call("POST", "/api/v2/events", "ORGANIZER", body)
        if publish:
            api.call("POST", f"/api/v2/events/{created['id']}/publish", "ORGANIZER")
        return created["id"]

    location = api.call("POST", "/api/v2/locations", "ORGANIZER", {"name": "Seeded lake", "address": "1 Shore Road", "coordinates": {"lat": 59.9, "lon": 10.7}})["id"]
    paid = event("Paid kayak tour", 20, {"amount": 2500, "currency": "EUR"}, location)
    full = event("Full free tour", 1, None, location)
    draft = event("Draft tour", 10, None, None, publish=False)
    declined = event("Declined card tour", 10, {"amount": 1013, "currency": "EUR"}, location)  # sandbox declines *13
    paid_again = event("Second paid tour", 10, {"amount": 4000, "currency": "EUR"}, None)
    # Starts within the hour: its bookings can be checked in today (unless the run straddles midnight UTC).
    today = event("Today's free tour", 10, None, location, starts=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=30))
    group = api.call("POST", "/api/v2/events", "ORGANIZER", {"title": "Group rafting", "startDate": iso(start), "endDate": iso(start + timedelta(hours=3)), "capacity": 6, "price": {"amount": 1500, "currency": "EUR"}, "maxSeatsPerBooking": 5, "waitlistAllowsPassing": True})["id"]
    api.call("POST", f"/api/v2/events/{group}/publish", "ORGANIZER")
    legacy = api.call("POST", "/api/v1/events", "ORGANIZER", {"title": "Legacy v1 tour", "start_date": iso(start), "location": "Old harbour", "capacity": 5})["id"]

    api.call("POST", "/api/v2/bookings", "OTHER_USER", {"eventId": full})  # the free event is now full: waitlist territory
    pending = api.call("POST", "/api/v2/bookings", "USER", {"eventId": paid})["id"]
    unpayable = api.call("POST", "/api/v2/bookings", "USER", {"eventId": declined})["id"]
    confirmed = api.call("POST", "/api/v2/bookings", "USER", {"eventId": paid_again})["id"]
    attending = api.call("POST", "/api/v2/bookings", "USER", {"eventId": today})["id"]
    payment = api.call("POST", f"/api/v2/bookings/{confirmed}/pay", "USER")["paymentId"]
    # A paid group of four (reduce has seats to give up and money to refund) and a group waiting on the rest.
    grouped = api.call("POST", "/api/v2/bookings", "USER", {"eventId": group, "seats": 4, "participants": [{"name": "Anna"}, {"name": "Boris", "email": "boris@example.org"}]})["id"]
    api.call("POST", f"/api/v2/bookings/{grouped}/pay", "USER")
    api.call("POST", f"/api/v2/events/{group}/waitlist?seats=3", "OTHER_USER")
    return {
        "locations": [location],
        "events": [paid, full, draft, declined, paid_again, today, legacy, group],
        "bookings": [pending, unpayable, confirmed, attending, grouped],
        "payments": [payment],
        "organizers": [SUBJECTS["ORGANIZER"]],
    }


def run_pass(name: str, api: Api, st: str, base: str, out: Path, max_examples: int, seed_value: str | None) -> dict:
    ids = seed(api)
    seed_file = out / f"seed-{name}.json"
    seed_file.write_text(json.dumps(ids, indent=2))
    report = out / f"report-{name}.json"
    report.unlink(missing_ok=True)
    command = [
        st, "run", str(SCHEMA),
        "--url", base,
        "--checks", CHECKS,
        "--max-examples", str(max_examples),
        "--request-timeout", "30",
        "--generation-database", "none",
        "--no-color",
        "--report", "json,junit",
        "--report-json-path", str(report),
        "--report-junit-path", str(out / f"junit-{name}.xml"),
    ]
    if seed_value:
        command += ["--seed", seed_value]
    if name != "anonymous":
        command += ["--header", f"Authorization: Bearer {token(api.secret, SUBJECTS[name], name, ttl_s=6 * 3600)}"]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "hooks",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        "BE_ST_SEED_FILE": str(seed_file),
        "BE_ST_BASE_URL": base,
        # The anonymous pass is the Payment Service's view: the webhook goes out signed.
        "BE_ST_SIGN_WEBHOOK": "1" if name == "anonymous" else "0",
    }
    printable = [c if not c.startswith("Authorization:") else "Authorization: Bearer <" + name + " token>" for c in command]
    print(f"\n::: schemathesis pass {name}: {' '.join(printable)}", flush=True)
    started = time.monotonic()
    code = subprocess.call(command, env=env, cwd=out)
    elapsed = time.monotonic() - started
    try:
        result = json.loads(report.read_text())
    except (OSError, ValueError):
        result = {}
    cases = result.get("test_cases", {})
    return {
        "name": name,
        "exit_code": code,
        "generated": cases.get("generated", 0),
        "failures": cases.get("unique_failures", 0),
        "errors": len(result.get("errors", [])),
        "tested": result.get("operations", {}).get("tested", 0),
        "selected": result.get("operations", {}).get("selected", 0),
        "seconds": elapsed,
        "seed": result.get("seed"),
    }


def main() -> int:
    base = os.environ["BASE_URL"]
    secret = os.environ["AUTH_JWT_SECRET"]
    max_examples = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"))
    seed_value = os.environ.get("SCHEMATHESIS_SEED") or None
    passes = [p.strip() for p in os.environ.get("SCHEMATHESIS_PASSES", "anonymous,USER,ORGANIZER,ADMIN").split(",") if p.strip()]
    unknown = [p for p in passes if p not in ("anonymous", "USER", "ORGANIZER", "ADMIN")]
    if unknown:
        print(f"unknown pass(es): {', '.join(unknown)}", file=sys.stderr)
        return 2
    out = Path(os.environ.get("REPORT_DIR", ROOT / "build" / "schemathesis"))
    out.mkdir(parents=True, exist_ok=True)
    st = str(Path(sys.executable).parent / "st")
    api = Api(base, secret)

    results = [run_pass(name, api, st, base, out, max_examples, seed_value) for name in passes]

    print("\n::: schemathesis results")
    for r in results:
        print(f"  {r['name']:<10} {r['generated']:>6} cases  {r['tested']}/{r['selected']} operations  {r['failures']} failures  {r['errors']} errors  exit {r['exit_code']}  {r['seconds']:.0f}s  seed {r['seed']}")
    total = sum(r["generated"] for r in results)
    failures = sum(r["failures"] for r in results)
    errors = sum(r["errors"] for r in results)
    bad = [r["name"] for r in results if r["exit_code"] != 0 or r["failures"] or r["errors"] or not r["generated"]]
    print(f"schemathesis: {total} cases generated in {len(results)} passes ({', '.join(passes)}), {failures} failures, {errors} errors; reports in {out}")
    if bad:
        print(f"schemathesis FAILED in pass(es): {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
