"""
The failures the conformance run (test/e2e/conformance.e2e.spec.ts) accepts, each named and
explained. Schemathesis loads this file as its hooks (SCHEMATHESIS_HOOKS); every other failure
fails the run.

Each exception is a rule the API enforces that JSON Schema cannot state: a relation between
parameters, a sum over a list, a value only the API itself issues, the service's clock, or the meaning of a SQL
statement. A schema-valid request that breaks such a rule is refused with 400, which the check
`positive_data_acceptance` (ST202) reports. An exception excuses only that refusal: the answer must
be a 400 whose problem names only the rules' fields and messages (or, for SQL, its codes).
Each excused failure is counted by name in the file CONFORMANCE_EXCUSED names, for the test to show.
"""

import json
import os

import schemathesis

EXCEPTIONS = [
    {
        "name": "cursor not issued by the API",
        "why": "A cursor is opaque: only one the API issued as a page's nextCursor can be passed back, for the same order's events.",
        "operations": {"GET /orders", "GET /customers/{customerId}/orders", "GET /orders/{orderId}/events"},
        "errors": {("cursor", "is not a cursor this API issued"), ("cursor", "is not a cursor this API issued for this order")},
    },
    {
        "name": "an instant in the future",
        "why": "asOf asks about the past: an instant after the service's clock, which JSON Schema cannot read, is refused.",
        "operations": {"GET /orders/{orderId}", "GET /orders/{orderId}/events", "GET /stats/orders", "GET /analytics/revenue"},
        "errors": {("asOf", "must not be in the future")},
    },
    {
        "name": "asOf with a read of the order now",
        "why": "An order as it stood at asOf is read from the event log; consistency=strong and minVersion ask about it now: a relation between parameters.",
        "operations": {"GET /orders/{orderId}"},
        "errors": {
            ("asOf", "cannot be combined with consistency=strong or minVersion: the order as it stood then is read from the event log")
        },
    },
    {
        "name": "empty or reversed range",
        "why": "The range [from, to) must hold some time: a relation between two parameters.",
        "operations": {"GET /stats/orders", "GET /analytics/revenue", "GET /analytics/top-products"},
        "errors": {("from", "must be before to")},
    },
    {
        "name": "more than 2000 revenue buckets",
        "why": "A revenue series is at most 2000 buckets: a relation between from, to and granularity.",
        "operations": {"GET /analytics/revenue"},
        "errors": {
            ("granularity", f"the range holds more than 2000 {size} buckets; narrow it or use a coarser granularity")
            for size in ("hour", "day", "month")
        },
    },
    {
        "name": "order total beyond Decimal(18, 2)",
        "why": "The total, a sum over the lines, must fit the event log's Decimal(18, 2).",
        "operations": {"POST /orders"},
        "errors": {("items", "the order total must be at most 9999999999999.99")},
    },
    {
        "name": "SQL that is not one read-only SELECT ClickHouse accepts, within the analysts' limits",
        "why": "Whether a string is such a statement, and what it costs, is for the API's SQL check and ClickHouse to say.",
        "operations": {"POST /analytics/sql"},
        "codes": {"SQL_NOT_ALLOWED", "SQL_FAILED", "SQL_LIMIT_EXCEEDED"},
    },
]


def _problem(response):
    try:
        problem = json.loads(response.content)
    except (ValueError, TypeError):
        return None
    return problem if isinstance(problem, dict) else None


def _excused_by(operation, response):
    """The exceptions that cover this refusal, every error it names by one of them; none if it is not covered."""
    problem = _problem(response) if response.status_code == 400 else None
    if problem is None:
        return []
    named = {(error.get("field"), error.get("message")) for error in problem.get("errors") or []}
    applicable = [exception for exception in EXCEPTIONS if operation in exception["operations"]]
    for exception in applicable:
        if problem.get("code") in exception.get("codes", set()):
            return [exception]
    # A request may break several rules at once (a future asOf and a made-up cursor).
    covering = [exception for exception in applicable if named & exception.get("errors", set())]
    if named and named <= set().union(*(exception["errors"] for exception in covering)):
        return covering
    return []


def _count(exceptions):
    path = os.environ.get("CONFORMANCE_EXCUSED")
    if path:
        with open(path, "a", encoding="utf-8") as excused:
            for exception in exceptions:
                excused.write(exception["name"] + "\n")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps every failure but a schema-valid request refused by one of the rules above."""
    if failure.checks != ("positive_data_acceptance",):
        return True
    exceptions = _excused_by(f"{case.method.upper()} {case.operation.path}", response)
    if not exceptions:
        return True
    _count(exceptions)
    return False


@schemathesis.deserializer("application/x-ndjson")
def ndjson_lines(context, response):
    """The rebuild answers NDJSON: every line must be JSON; the last one, its outcome, is held to RebuildLine."""
    lines = [json.loads(line) for line in response.content.decode("utf-8").splitlines() if line.strip()]
    if not lines:
        raise ValueError("an NDJSON answer with no line")
    return lines[-1]
