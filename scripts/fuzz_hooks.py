"""Schemathesis hooks for scripts/fuzz-api.sh.

A real client sends a fresh Idempotency-Key with each new request (the IETF httpapi
draft). The fuzzer draws header values from the schema, in every phase, and so sends
one key with many different bodies, which the server rightly refuses (422,
`idempotency.reused`). The fuzz therefore leaves the optional header out; its rules
(empty, too long, reused with another body, in flight) are tested with real
concurrent requests in crates/web/tests/http/idempotency.rs.
"""

import schemathesis

IDEMPOTENCY_REF = "#/components/parameters/IdempotencyKey"


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    for item in raw_schema.get("paths", {}).values():
        for op in item.values():
            if isinstance(op, dict) and "parameters" in op:
                op["parameters"] = [
                    p for p in op["parameters"] if p.get("$ref") != IDEMPOTENCY_REF
                ]
