#!/usr/bin/python3
"""API and browser tests of the console's operations pages (administrator,
DPO, hub operator) against a real federation on 127.0.0.1: two members (de,
at) and a hub (eu), each with its ifed-node and ifed-console.

API tests call every /api/ops handler as the right role (happy path), as a
wrong role (403), without the CSRF token (403) and with bad input (400 with
a clear message, nothing changed: the audit log does not move). Browser
tests sign in as administrator, DPO and hub operator in Debian's chromium
(headless, Selenium), check what each page shows, let the DPO verify the
audit chain, and require a browser log without errors or CSP violations.
Screenshots of each page land in IFED_ARTIFACT_DIR.

Run by ctest (label browser): IFED_SOURCE_DIR, IFED_BIN_DIR and
IFED_ARTIFACT_DIR are set there.
"""
import json
import os
import re
import sys
import tempfile
import time
import unittest

import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from consolefed import PASSWORD, Federation  # noqa: E402

ARTIFACTS = os.environ.get("IFED_ARTIFACT_DIR", "test-artifacts/console")
WAIT = 30  # seconds: generous for a loaded CI machine.
HUB = "eu"
SHARED = "+43 660 7000001"    # at holds it; de asks for it twice through the hub.
ONCE = "+43 660 7000002"      # at holds it; de asks once (below k = 2 at the hub).


class OpsFederation(Federation):
    """de and at (members) and eu (role hub, k = 2). Each console can
    back up into its node's scratch dir."""

    def _write_node(self, nid):
        super()._write_node(nid)
        path = f"{self.nodes[nid]['base']}/node.yaml"
        with open(path) as f:
            text = f.read()
        if nid == HUB:
            # A hub holds no federation key; it withholds cells below k.
            text = re.sub(r"federation_key_file: .*\n", "", text)
            text = text.replace("peers:\n", "role: hub\nhub_k_threshold: 2\npeers:\n", 1)
        else:
            text = text.replace(f"  - id: {HUB}\n", f"  - id: {HUB}\n    role: hub\n", 1)
        with open(path, "w") as f:
            f.write(text)

    def console_extra_yaml(self, nid):
        return f"backup_dir: {self.nodes[nid]['base']}/backups\n"


def browser_log_problems(driver):
    problems = []
    for entry in driver.get_log("browser"):
        msg = entry.get("message", "")
        if entry.get("level") == "SEVERE" or "Content Security Policy" in msg or \
                "Content-Security-Policy" in msg:
            problems.append(f"{entry.get('level')}: {msg}")
    return problems


FED = None


def setUpModule():
    global FED
    os.makedirs(ARTIFACTS, exist_ok=True)
    FED = OpsFederation(("de", "at", HUB))
    try:
        FED.start()
        FED.ingest("at", [("phone", SHARED, "AT"), ("phone", ONCE, "AT")], "CASE-AT-OPS-1")
        FED.ctl("de", "match", "--peer", "at", "--type", "phone", SHARED)
        for values in ([SHARED], [SHARED, ONCE]):
            FED.ctl("de", "match", "--peer", HUB, "--type", "phone", *values)
    except Exception:
        FED.stop()
        raise


def tearDownModule():
    if FED:
        FED.stop()


class Client:
    """A signed-in person on one console, through requests."""

    def __init__(self, node, staff_id):
        c = FED.consoles[node]
        self.url = c["url"]
        self.s = requests.Session()
        # REQUESTS_CA_BUNDLE in the environment would override the session's
        # CA (requests prefers it): trust only the console's CA.
        self.s.trust_env = False
        self.s.verify = c["ca"]
        r = self.s.post(f"{self.url}/api/signin", json={"id": staff_id, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.csrf = self.s.get(f"{self.url}/api/me").json()["csrf"]

    def get(self, path, **params):
        return self.s.get(self.url + path, params=params, timeout=WAIT)

    def post(self, path, body=None, csrf=True):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return self.s.post(self.url + path, json=body if body is not None else {},
                           headers=headers, timeout=WAIT)


def audit_head(node):
    """The number of audit events of `node` (to check that nothing moved),
    less the events of reading the log itself (each export is audited)."""
    return sum(1 for l in FED.audit(node).splitlines()
               if '"seq":' in l and '"action":"audit.export"' not in l)


class OpsApiTest(unittest.TestCase):
    def assertRefused(self, r, status, text=""):
        self.assertEqual(r.status_code, status, r.text)
        self.assertIn(text, r.json()["error"])

    def test_admin_reads_peers_status_rules_keys_activity(self):
        adm = Client("de", "adm")
        peers = adm.get("/api/ops/peers").json()["peers"]
        self.assertEqual(sorted(p["id"] for p in peers), ["at", HUB])
        self.assertTrue(all(p["health"] == "SERVING" for p in peers), peers)
        self.assertTrue(all(int(p["cert_not_after"]) > time.time() for p in peers), peers)
        status = adm.get("/api/ops/status").json()
        self.assertIn("quotas", status)
        rules = adm.get("/api/ops/policy/rules", partner="at").json()["rules"]
        self.assertEqual(len(rules), 1)
        fields = {f["name"]: f for f in rules[0]["fields"]}
        self.assertEqual(fields["types"]["source"], "at.yaml:3")
        self.assertEqual(fields["scheme"]["source"], "built-in default")
        keys = adm.get("/api/ops/keys").json()
        self.assertGreaterEqual(int(keys["current_epoch"]), 1)
        act = adm.get("/api/ops/activity", bucket_s=3600).json()
        out = sum(int(pt["queries_out"]) for p in act["partners"] if p["peer"] == "at"
                  for pt in p["points"])
        self.assertGreaterEqual(out, 1)
        ex = adm.get("/api/ops/policy/explain", partner="at", type="PHONE",
                     purpose="MIGRANT_SMUGGLING").json()
        self.assertTrue(ex["allowed"], ex)
        self.assertTrue(ex["explanation"].startswith("allow"))

    def test_admin_bad_input_is_refused_clearly(self):
        adm = Client("de", "adm")
        before = audit_head("de")
        self.assertRefused(adm.get("/api/ops/policy/explain", partner="at", type="PHONEY"), 400,
                           "type")
        self.assertRefused(adm.get("/api/ops/policy/rules", evil="1"), 400, "unknown parameter")
        self.assertRefused(adm.get("/api/ops/activity", since_ms=10, until_ms=5), 400, "after")
        self.assertRefused(adm.get("/api/ops/activity", bucket_s=5), 400, "60 seconds")
        self.assertRefused(adm.post("/api/ops/policy/diff", {"files": "nope"}), 400, "bad JSON")
        bad = {"files": [{"name": "at.yaml", "text": "partners:\n  - partner: at\n    types: [phonez]\n"}]}
        r = adm.post("/api/ops/policy/diff", bad)
        self.assertEqual(r.status_code, 400, r.text)
        self.assertRegex(r.json()["error"], r"at\.yaml:\d+")
        self.assertEqual(audit_head("de"), before)

    def test_admin_policy_diff_reload_and_backups(self):
        adm = Client("de", "adm")
        with open(f"{FED.nodes['de']['base']}/policy/at.yaml") as f:
            at = f.read()
        cand = {"files": [{"name": "at.yaml", "text": at.replace("iban]", "iban, imei]")}]}
        r = adm.post("/api/ops/policy/diff", cand)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(any("+ type imei" in c for c in r.json()["changes"]), r.json())
        self.assertRefused(adm.post("/api/ops/policy/diff", cand, csrf=False), 403, "CSRF")
        self.assertRefused(adm.post("/api/ops/policy/reload", csrf=False), 403, "CSRF")
        r = adm.post("/api/ops/policy/reload")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertFalse(r.json()["changed"])
        before = adm.get("/api/ops/backups")
        n = len(before.json()["backups"]) if before.status_code == 200 else 0
        self.assertRefused(adm.post("/api/ops/backups", csrf=False), 403, "CSRF")
        r = adm.post("/api/ops/backups")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(len(adm.get("/api/ops/backups").json()["backups"]), n + 1)

    def test_wrong_roles_are_refused(self):
        ana = Client("de", "ana")
        for path in ["/api/ops/peers", "/api/ops/status", "/api/ops/policy/rules", "/api/ops/keys",
                     "/api/ops/audit", "/api/ops/audit/export", "/api/ops/activity",
                     "/api/ops/hub", "/admin", "/dpo", "/hub"]:
            self.assertEqual(ana.get(path).status_code, 403, path)
        for path in ["/api/ops/audit/verify", "/api/ops/policy/reload", "/api/ops/backups",
                     "/api/ops/audit/reconcile"]:
            self.assertEqual(ana.post(path).status_code, 403, path)
        dpo = Client("de", "dpo")
        self.assertEqual(dpo.get("/api/ops/peers").status_code, 403)
        self.assertEqual(dpo.post("/api/ops/policy/reload").status_code, 403)
        adm = Client("de", "adm")
        self.assertEqual(adm.post("/api/ops/audit/reconcile", {"their_lines": ["{}"]}).status_code,
                         403)
        self.assertEqual(adm.get("/api/ops/hub").status_code, 403)

    def test_dpo_search_verify_export_reconcile(self):
        dpo = Client("de", "dpo")
        r = dpo.get("/api/ops/audit", action="match", peer="at")
        self.assertEqual(r.status_code, 200, r.text)
        events = [json.loads(l) for l in r.json()["events"]]
        self.assertTrue(events and all(e["action"].startswith("match.") for e in events), events)
        self.assertNotIn("6607000001", r.text, "no raw value in the audit")
        before = audit_head("de")
        self.assertRefused(dpo.get("/api/ops/audit", outcome="maybe"), 400, "outcome")
        self.assertRefused(dpo.get("/api/ops/audit", limit="lots"), 400, "limit")
        self.assertEqual(audit_head("de"), before)
        self.assertRefused(dpo.post("/api/ops/audit/verify", csrf=False), 403, "CSRF")
        job = dpo.post("/api/ops/audit/verify").json()
        for _ in range(300):
            if job["state"] != "running":
                break
            time.sleep(0.1)
            job = dpo.get("/api/ops/audit/verify", job_id=job["job_id"]).json()
        self.assertEqual(job["state"], "ok", job)
        self.assertEqual(job["actor"].split(" ")[0], "staff:dpo")
        export = dpo.get("/api/ops/audit/export")
        self.assertEqual(export.status_code, 200)
        self.assertIn("attachment", export.headers["content-disposition"])
        self.assertIn('"export":"ifed-audit-v1"', export.text.splitlines()[0])
        theirs = FED.audit("at").splitlines()
        r = dpo.post("/api/ops/audit/reconcile", {"their_lines": theirs})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["theirs"], "at")
        self.assertEqual(r.json()["differences"], [])
        cut = [l for l in theirs if '"action":"match.in"' not in l]
        self.assertTrue(dpo.post("/api/ops/audit/reconcile", {"their_lines": cut}).json()["differences"])
        self.assertRefused(dpo.post("/api/ops/audit/reconcile", {"their_lines": ["hello"]}), 400,
                           "no audit event")
        self.assertRefused(dpo.post("/api/ops/audit/reconcile", {"their_lines": theirs}, csrf=False),
                           403, "CSRF")

    def test_hub_operator_report(self):
        hub = Client(HUB, "hubop")
        r = hub.get("/api/ops/hub", min_jurisdictions=2)
        self.assertEqual(r.status_code, 200, r.text)
        rep = r.json()
        self.assertEqual(int(rep["k_threshold"]), 2)
        self.assertGreaterEqual(int(rep["suppressed"]), 1, rep)
        self.assertEqual(len(rep["clusters"]), 1, rep)
        self.assertEqual(sorted(rep["clusters"][0]["jurisdictions"]), ["at", "de"])
        self.assertEqual(hub.get("/api/ops/hub", min_jurisdictions=3).json()["clusters"], [])
        self.assertRefused(hub.get("/api/ops/hub", min_jurisdictions="two"), 400,
                           "min_jurisdictions")


class OpsBrowserTest(unittest.TestCase):
    def setUp(self):
        self.drivers = []

    def tearDown(self):
        for d in self.drivers:
            d.quit()

    def browser(self):
        o = webdriver.ChromeOptions()
        o.binary_location = "/usr/bin/chromium"
        profile = tempfile.mkdtemp(prefix="ifed-chrome-")
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1400,1000",
                     f"--user-data-dir={profile}", "--ignore-certificate-errors"]:
            o.add_argument(flag)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
        d.set_page_load_timeout(WAIT)
        self.drivers.append(d)
        return d

    def wait(self, driver, cond, what):
        try:
            return WebDriverWait(driver, WAIT).until(cond)
        except Exception as e:
            self.shot(driver, f"FAILED-ops-{what}")
            raise AssertionError(f"timed out waiting for {what}: {e}\n"
                                 f"browser log: {browser_log_problems(driver)}\n"
                                 f"{FED.logs()}") from None

    def shot(self, driver, name):
        driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}.png"))

    def sign_in(self, driver, node, staff_id, page):
        driver.get(FED.consoles[node]["url"] + "/signin")
        self.wait(driver, EC.element_to_be_clickable((By.ID, "signin-submit")), "sign-in page")
        driver.find_element(By.ID, "signin-id").send_keys(staff_id)
        driver.find_element(By.ID, "signin-password").send_keys(PASSWORD)
        driver.find_element(By.ID, "signin-submit").click()
        self.wait(driver, EC.url_contains(page), f"landing of {staff_id}")
        self.wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute(
            "data-ready") == "true", f"{page} ready")

    def text(self, driver, element_id):
        return driver.find_element(By.ID, element_id).text

    def assert_clean_log(self, driver):
        self.assertEqual(browser_log_problems(driver), [],
                         "browser log has errors or CSP violations")

    def test_admin_page(self):
        d = self.browser()
        self.sign_in(d, "de", "adm", "/admin")
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "peers-table"), "SERVING"), "peers")
        self.assertIn("at", self.text(d, "peers-table"))
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "rules-out"), "at.yaml:"), "rules")
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "keys-out"), "Current epoch"), "keys")
        d.find_element(By.ID, "explain-partner").send_keys("at")
        d.find_element(By.CSS_SELECTOR, "#explain-form button[type=submit]").click()
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "explain-out"), "allow"), "explain")
        d.find_element(By.ID, "backup-create").click()
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "backup-status"), "verified"),
                  "backup")
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "#queries-chart"))
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "activity-table"), "at"),
                  "activity table")
        self.shot(d, "ops-admin")
        self.assert_clean_log(d)

    def test_dpo_verifies_the_chain(self):
        d = self.browser()
        self.sign_in(d, "de", "dpo", "/dpo")
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "search-status"), "event(s) shown"),
                  "first search")
        d.find_element(By.ID, "verify").click()
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "verify-result"), "Chain intact"),
                  "chain verification")
        d.find_element(By.ID, "s-action").send_keys("match")
        d.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "search-out"), "match.out"),
                  "search results")
        theirs = os.path.join(FED.dir, "at-export.jsonl")
        with open(theirs, "w") as f:
            f.write(FED.audit("at"))
        d.find_element(By.ID, "rec-file").send_keys(theirs)
        d.find_element(By.CSS_SELECTOR, "#rec-form button[type=submit]").click()
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "rec-status"), "consistent"),
                  "reconcile")
        self.shot(d, "ops-dpo")
        self.assert_clean_log(d)

    def test_hub_operator_sees_the_graph(self):
        d = self.browser()
        self.sign_in(d, HUB, "hubop", "/hub")
        self.wait(d, lambda drv: len(drv.find_elements(By.CSS_SELECTOR, "#graph g.node")) >= 3,
                  "graph nodes")
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "#graph g.node.suppressed"),
                        "k-suppression is shown")
        self.assertIn("withheld", self.text(d, "totals"))
        self.shot(d, "ops-hub")
        field = d.find_element(By.ID, "min-j")
        field.clear()
        field.send_keys("3")
        d.find_element(By.CSS_SELECTOR, "#hub-form button[type=submit]").click()
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "clusters-table"), "no cluster"),
                  "filter")
        self.assert_clean_log(d)


if __name__ == "__main__":
    unittest.main(verbosity=2)
