#!/usr/bin/env python3
"""Proves that .github/workflows/deploy.yml cannot be driven by a fork's pull request.

deploy.yml runs on workflow_run (after CI) and workflow_dispatch. CI also runs for pull requests, a
fork's among them, and a fork's branch may be named develop: a workflow_run filtered on the branch
name alone would deploy that fork's code with the clusters' credentials. This script parses the
workflow and checks:

- its triggers are only workflow_run (after CI, completed, develop) and workflow_dispatch;
- permissions are least-privilege: nothing at the top, at most `read` in a job;
- every job depends (through `needs`, transitively) on one gate job, and no job-level condition can
  run a job whose needs were skipped (always(), failure(), cancelled());
- the gate's `if:` evaluated (GitHub's expression rules: case-insensitive string equality, missing
  properties are null) for the events that can reach it: false for a fork's pull request named
  develop (also via pull_request_target), for a pull request from this repository, for a failed CI
  run, for another branch; true for a successful push to develop here and for a manual dispatch.

Exit 0 when everything holds; otherwise each failure is printed and the exit status is 1.
Usage: check-deploy-workflow.py [path/to/deploy.yml]
"""
import re
import sys
from pathlib import Path

import yaml

REPO = "aquastream/backend-event"
FORK = "mallory/backend-event"


# ------------------------------------------------------------------ a small expression evaluator
TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|<=|>=|<|>)|(?P<num>\d+(?:\.\d+)?)|(?P<id>[A-Za-z_][A-Za-z0-9_.\-]*))")


def tokenize(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse expression at: {text[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


class Evaluator:
    """GitHub Actions expressions: literals, context properties, ==, !=, !, &&, ||, parentheses.
    Function calls are refused, so a condition this checker cannot judge fails the check."""

    def __init__(self, tokens, context):
        self.t, self.i, self.ctx = tokens, 0, context

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ValueError(f"expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self):
        v = self.or_()
        if self.i != len(self.t):
            raise ValueError(f"unexpected {self.peek()[1]!r}")
        return v

    def or_(self):
        v = self.and_()
        while self.peek()[1] == "||":
            self.take()
            r = self.and_()
            v = v if truthy(v) else r
        return v

    def and_(self):
        v = self.cmp()
        while self.peek()[1] == "&&":
            self.take()
            r = self.cmp()
            v = r if truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        while self.peek()[1] in ("==", "!="):
            op = self.take()[1]
            r = self.unary()
            same = equal(v, r)
            v = same if op == "==" else not same
        return v

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if value == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value)
        if kind == "id":
            if self.peek()[1] == "(":
                raise ValueError(f"function {value}() is not supported by this checker")
            low = value.lower()
            if low in ("true", "false"):
                return low == "true"
            if low == "null":
                return None
            node = self.ctx
            for part in value.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            return node
        raise ValueError(f"unexpected {value!r}")


def truthy(v):
    return v not in (None, False, 0, 0.0, "")


def equal(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


def evaluate(expression, context):
    expression = expression.strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", expression, re.S)
    if m:
        expression = m.group(1)
    return truthy(Evaluator(tokenize(expression), context).parse())


# ------------------------------------------------------------------------------------ the checks
def workflow_run(event, head_repo, branch="develop", conclusion="success"):
    return {
        "github": {
            "event_name": "workflow_run",
            "repository": REPO,
            "event": {
                "workflow_run": {
                    "conclusion": conclusion,
                    "event": event,
                    "head_branch": branch,
                    "head_repository": {"full_name": head_repo},
                    "repository": {"full_name": REPO},
                }
            },
        }
    }


SCENARIOS = [
    ("a fork's pull request from its branch develop", workflow_run("pull_request", FORK), False),
    ("a fork's pull request, head repository spelt in capitals", workflow_run("pull_request", FORK.upper()), False),
    ("a fork's pull_request_target run named develop", workflow_run("pull_request_target", FORK), False),
    ("a pull request from this repository's develop", workflow_run("pull_request", REPO), False),
    ("a push to develop whose CI failed", workflow_run("push", REPO, conclusion="failure"), False),
    ("a push to main", workflow_run("push", REPO, branch="main"), False),
    ("a push to develop of a fork (its own CI)", workflow_run("push", FORK), False),
    ("a successful CI run for a push to develop here", workflow_run("push", REPO), True),
    ("a manual dispatch (needs write access)", {"github": {"event_name": "workflow_dispatch", "repository": REPO, "event": {}}}, True),
]


def main(path):
    failures = []
    doc = yaml.safe_load(Path(path).read_text())
    # YAML 1.1 reads the key `on` as true.
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        on = {on: None}
    if isinstance(on, list):
        on = {k: None for k in on}
    triggers = set(on or {})
    if triggers != {"workflow_run", "workflow_dispatch"}:
        failures.append(f"triggers are {sorted(triggers)}, expected only workflow_run and workflow_dispatch")
    wr = (on or {}).get("workflow_run") or {}
    if wr.get("workflows") != ["CI"] or wr.get("types") != ["completed"] or wr.get("branches") != ["develop"]:
        failures.append(f"workflow_run must be workflows [CI], types [completed], branches [develop]: {wr}")

    if doc.get("permissions") not in ({}, None) and doc.get("permissions") != "read-all":
        top = doc.get("permissions")
        if not isinstance(top, dict) or any(v not in ("read", "none") for v in top.values()):
            failures.append(f"top-level permissions grant more than read: {top}")
    if "permissions" not in doc:
        failures.append("no top-level permissions: the GITHUB_TOKEN would get the repository's defaults")

    jobs = doc.get("jobs") or {}
    for name, job in jobs.items():
        perms = job.get("permissions")
        if perms in ("write-all",) or (isinstance(perms, dict) and any(v == "write" for v in perms.values())):
            failures.append(f"job {name}: permissions grant write: {perms}")

    def needs(name):
        n = jobs[name].get("needs") or []
        return [n] if isinstance(n, str) else list(n)

    gates = [n for n in jobs if not needs(n)]
    if len(gates) != 1:
        failures.append(f"expected exactly one job without needs (the gate), found {gates}")
    else:
        gate = gates[0]
        condition = jobs[gate].get("if")
        if not condition:
            failures.append(f"the gate job {gate} has no if: condition")
        else:
            for label, context, expected in SCENARIOS:
                try:
                    got = evaluate(str(condition), context)
                except ValueError as error:
                    failures.append(f"the gate's condition cannot be judged: {error}")
                    break
                status = "runs" if got else "skipped"
                print(f"[deploy-workflow]   {label}: {status}")
                if got != expected:
                    failures.append(f"{label}: the gate {'runs' if got else 'is skipped'}, expected {'to run' if expected else 'skipped'}")

        def reaches_gate(name, seen=()):
            if name == gate:
                return True
            return any(reaches_gate(n, seen + (name,)) for n in needs(name) if n in jobs and n not in seen)

        for name, job in jobs.items():
            if name == gate:
                continue
            if not reaches_gate(name):
                failures.append(f"job {name} does not depend on the gate job {gate}")
            cond = str(job.get("if", ""))
            if re.search(r"\b(always|failure|cancelled)\s*\(", cond):
                failures.append(f"job {name}: if: {cond!r} can run it although the gate was skipped")

    for f in failures:
        print(f"[deploy-workflow] FAIL {f}", file=sys.stderr)
    if failures:
        return 1
    print(f"[deploy-workflow] {path}: only a push to develop of this repository (or a dispatch) deploys")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".github/workflows/deploy.yml"))
