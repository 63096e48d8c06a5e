"""Runs the independent SCIM 2.0 checker `scim2-tester` (PyPI) against a Tenantry server.

    python check.py <scim base url> <bearer token> <org email domain>

Prints one line per check and a JSON summary on the last line; exits 1 if any check failed
(status ERROR or CRITICAL). Tenantry only accepts users whose `userName` is an address in the
org's email domain (the rule that makes provisioning safe), so the random `userName` values the
checker makes up are given that domain; nothing else about the checker is changed.
"""
import json
import sys
import uuid

import httpx2
import scim2_tester.checkers.patch_add as patch_add
import scim2_tester.checkers.patch_replace as patch_replace
import scim2_tester.filling as filling
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base_url, token, domain = sys.argv[1:4]

original = filling.generate_random_value


def generate_random_value(context, path, mutability=None, required=None):
    value = original(context, path, mutability=mutability, required=required)
    if value is not None and str(path).split(":")[-1] == "userName":
        return f"{uuid.uuid4().hex[:16]}@{domain}"
    return value


for module in (filling, patch_add, patch_replace):
    module.generate_random_value = generate_random_value

client = SyncSCIMClient(httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30))
results = check_server(client)
counts = {}
for r in results:
    counts[r.status.name] = counts.get(r.status.name, 0) + 1
    print(f"{r.status.name:10} {r.resource_type or '-':5} {r.title}: {r.reason or ''}".replace("\n", " "))
failed = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
print(json.dumps({"checks": len(results), "by_status": counts, "failed": len(failed)}))
sys.exit(1 if failed or not results else 0)
