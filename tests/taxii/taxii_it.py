#!/usr/bin/python3
"""TAXII 2.1 end to end: two agencies' nodes on 127.0.0.1 (de and at, real
certificates, tests/console/consolefed.py), de's ifed-console serving
TAXII with two client accounts (a CTI platform reading everything, one
granted only the hits collection). de matches values at holds (hits) and
watches one that at ingests later (a watch alert); then the client written
from the specification (taxii_client.py) reads both collections and tries
the refusals, and de's audit must name the client and count the objects of
every fetch. Raw values must not reach the console's log.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "console"))
import consolefed  # noqa: E402

PASSWORD = "taxii platform secret 42"
LIMITED_PASSWORD = "misp feed secret 17"
# Values at holds and de asks about (phone numbers of the test ranges).
HELD = ["+43 660 1110001", "+43 660 1110002", "+43 660 1110003", "+43 660 1110004"]
WATCHED = "+43 660 1110099"


def wait_for(what, ready, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def main():
    fed = consolefed.Federation()
    # de's console serves TAXII; the account hashes come from hash-password.
    hash_all = fed._run([f"{fed.bin}/ifed-console", "hash-password", "--log2-n", "10"],
                        stdin=PASSWORD + "\n").strip()
    hash_limited = fed._run([f"{fed.bin}/ifed-console", "hash-password", "--log2-n", "10"],
                            stdin=LIMITED_PASSWORD + "\n").strip()
    fed.console_yaml_extra["de"] = f"""taxii:
  enabled: true
  contact: cti-desk@de.police.example
  max_page: 50
  clients:
    - id: opencti
      password_hash: '{hash_all}'
    - id: misp
      password_hash: '{hash_limited}'
      collections: [hits]
"""
    try:
        fed.start()
        fed.ingest("at", [("phone", v, "AT") for v in HELD], "CASE-AT-TAXII")
        out = fed.ctl("de", "match", "--peer", "at", "--type", "phone", "--region", "AT", *HELD,
                      "+43 660 1110050")
        print(out, flush=True)
        fed.ctl("de", "watch", "add", "--peer", "at", "--type", "phone", "--region", "AT", WATCHED)
        fed.ingest("at", [("phone", WATCHED, "AT")], "CASE-AT-TAXII-2")
        wait_for("the watch alert", lambda: "HIT" in fed.ctl("de", "watch", "events"))
        console = fed.consoles["de"]
        t0 = time.monotonic()
        r = subprocess.run(
            [sys.executable, os.path.join(HERE, "taxii_client.py"), "--base", console["url"],
             "--ca", console["ca"], "--user", "opencti", "--password", PASSWORD,
             "--limited-user", "misp", "--limited-password", LIMITED_PASSWORD,
             "--min-hits", str(len(HELD)), "--min-alerts", "1"],
            capture_output=True, text=True, timeout=300)
        print(r.stdout, r.stderr, flush=True)
        print(f"taxii client run: {time.monotonic() - t0:.1f} s", flush=True)
        ok = r.returncode == 0
        # Every fetch is audited on the node: the client and how many objects.
        events = [json.loads(line) for line in fed.audit("de").splitlines()
                  if '"action":"taxii.fetch"' in line]
        by_client = {e.get("client") for e in events}
        if not events or not {"opencti", "misp"} <= by_client:
            print(f"FAIL: taxii.fetch events for {by_client}", flush=True)
            ok = False
        if not any(e.get("objects", 0) > 0 and e.get("collection") == "watch-alerts"
                   for e in events):
            print("FAIL: no audited fetch of watch alerts with objects", flush=True)
            ok = False
        logs = fed.logs()
        for v in HELD + [WATCHED, "+436601110001"]:
            if v in logs:
                print(f"FAIL: a raw value is in a log", flush=True)
                ok = False
        if not ok:
            print(logs, flush=True)
        return 0 if ok else 1
    finally:
        fed.stop()


if __name__ == "__main__":
    sys.exit(main())
