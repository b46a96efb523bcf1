#!/usr/bin/python3
"""Browser tests of the web console against a real federation on 127.0.0.1.

Two agencies (DE, AT), each an ifed-node with an ifed-console; Debian's
chromium, headless, driven by Selenium. The tests sign in as each role, let
an analyst match a pasted list and see the planted hits, run a follow-up
from a request in DE's console to its approval in AT's console and back,
and see a watch alert arrive after an ingest at the partner. After every
page the browser log must hold no error and no Content-Security-Policy
violation. Screenshots of each page land in IFED_ARTIFACT_DIR.

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

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from consolefed import PASSWORD, STAFF, Federation  # noqa: E402

ARTIFACTS = os.environ.get("IFED_ARTIFACT_DIR", "test-artifacts/console")
WAIT = 30  # seconds: generous for a loaded CI machine.

# Planted overlap: what AT holds, and how DE's analyst writes the same
# numbers (national format, spaces), plus values nobody holds.
AT_HOLDS = [("phone", "+43 660 1234567", "AT"), ("phone", "+49 1523 7654321", "DE"),
            ("email", "boss@smuggle-routes.net", "")]
DE_PASTES = ["0660 1234567", "+49 (0)1523 7654321", "+43 660 9999999"]
DE_PASTE_REGION = "AT"  # the first value is written as AT dials it.
WATCHED = "+43 664 5550123"


def browser_log_problems(driver):
    problems = []
    for entry in driver.get_log("browser"):
        msg = entry.get("message", "")
        if entry.get("level") == "SEVERE" or "Content Security Policy" in msg or \
                "Content-Security-Policy" in msg:
            problems.append(f"{entry.get('level')}: {msg}")
    return problems


class ConsoleBrowserTest(unittest.TestCase):
    fed = None

    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS, exist_ok=True)
        cls.fed = Federation(("de", "at"))
        try:
            cls.fed.start()
            cls.fed.ingest("at", AT_HOLDS, "CASE-AT-2026-17")
            cls.fed.ingest("de", [("phone", "+49 151 11112222", "DE")], "CASE-DE-2026-03")
        except Exception:
            cls.fed.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.fed:
            cls.fed.stop()

    def setUp(self):
        self.drivers = []

    def tearDown(self):
        for d in self.drivers:
            d.quit()

    # --- helpers -----------------------------------------------------------
    def browser(self):
        o = webdriver.ChromeOptions()
        o.binary_location = "/usr/bin/chromium"
        profile = tempfile.mkdtemp(prefix="ifed-chrome-")
        self.downloads = tempfile.mkdtemp(prefix="ifed-dl-")
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1400,1000",
                     f"--user-data-dir={profile}",
                     # The consoles' certificates come from per-test agency CAs.
                     "--ignore-certificate-errors"]:
            o.add_argument(flag)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        o.add_experimental_option("prefs", {"download.default_directory": self.downloads,
                                            "download.prompt_for_download": False})
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
        d.set_page_load_timeout(WAIT)
        self.drivers.append(d)
        return d

    def wait(self, driver, cond, what):
        try:
            return WebDriverWait(driver, WAIT, ignored_exceptions=(
                NoSuchElementException, StaleElementReferenceException)).until(cond)
        except Exception as e:
            self.shot(driver, f"FAILED-{what}")
            raise AssertionError(f"timed out waiting for {what}: {e}\n"
                                 f"browser log: {browser_log_problems(driver)}\n"
                                 f"{self.fed.logs()}") from None

    def shot(self, driver, name):
        driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}.png"))

    def assert_clean_log(self, driver):
        problems = browser_log_problems(driver)
        self.assertEqual(problems, [], "browser log has errors or CSP violations")

    def sign_in(self, driver, node, staff_id, password=PASSWORD):
        driver.get(self.fed.consoles[node]["url"] + "/signin")
        self.wait(driver, EC.element_to_be_clickable((By.ID, "signin-submit")), "sign-in page")
        driver.find_element(By.ID, "signin-id").send_keys(staff_id)
        driver.find_element(By.ID, "signin-password").send_keys(password)
        driver.find_element(By.ID, "signin-submit").click()

    def ready(self, driver, what):
        self.wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute(
            "data-ready") == "true", what)

    def match(self, driver):
        d = driver
        d.find_element(By.ID, "match-peer-at").click()
        d.find_element(By.ID, "match-case").send_keys("CASE-DE-2026-03")
        d.find_element(By.ID, "match-region").send_keys(DE_PASTE_REGION)
        d.find_element(By.ID, "match-values").send_keys("\n".join(DE_PASTES))
        d.find_element(By.ID, "match-submit").click()
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "match-status"), "hit"),
                  "match results")
        return d.find_elements(By.CSS_SELECTOR, "#match-table tbody tr")

    # --- tests -------------------------------------------------------------
    def test_1_sign_in_as_each_role(self):
        d = self.browser()
        self.sign_in(d, "de", "ana", "wrong password")
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "signin-error"), "wrong password"),
                  "sign-in refusal")
        self.shot(d, "signin-refused")
        d.get_log("browser")  # the 401 of the refused attempt is expected.
        for sid, name, roles in STAFF:
            self.sign_in(d, "de", sid)
            self.wait(d, EC.text_to_be_present_in_element((By.ID, "who-name"), name),
                      f"header of {sid}")
            page = d.current_url.split("/")[-1].split("#")[0] or "home"
            if "analyst" in roles:
                self.assertEqual(page, "analyst")
            elif "approver" in roles:
                self.assertEqual(page, "approver")
            self.ready(d, f"{page} page of {sid}")
            nav = d.find_element(By.CSS_SELECTOR, "header#top nav").text
            for r in roles:
                label = {"analyst": "Analyst", "approver": "Approver", "admin": "Administration",
                         "dpo": "Data protection", "hub_operator": "Hub"}[r]
                self.assertIn(label, nav, f"{sid}'s navigation")
            self.shot(d, f"page-{sid}-{page}")
            self.assert_clean_log(d)
            d.find_element(By.ID, "signout").click()
            self.wait(d, EC.url_contains("/signin"), f"sign-out of {sid}")

    def test_2_analyst_matches_and_sees_planted_hits(self):
        d = self.browser()
        self.sign_in(d, "de", "ana")
        self.wait(d, EC.url_contains("/analyst"), "analyst page")
        self.ready(d, "analyst page")
        self.shot(d, "analyst-empty")
        rows = self.match(d)
        hits = [r.text for r in rows if "hit" in r.get_attribute("class").split()]
        self.assertEqual(len(hits), 2, f"rows: {[r.text for r in rows]}")
        self.assertTrue(all(" at " in f" {h} " for h in hits), hits)
        self.assertTrue(rows[0].get_attribute("class") == "hit", "hits first")
        summary = d.find_element(By.ID, "match-summary").text
        self.assertIn("3 item(s) asked, 2 hit(s)", summary)
        # Sort by value, then back: the table re-orders without a reload.
        d.find_element(By.CSS_SELECTOR, "th[data-key='value'] button").click()
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "th[data-key='value']")
                         .get_attribute("aria-sort"), "ascending")
        self.shot(d, "analyst-match")
        d.find_element(By.ID, "export-csv").click()
        self.wait(d, lambda _: os.path.exists(os.path.join(self.downloads, "ifed-match.csv")),
                  "CSV download")
        with open(os.path.join(self.downloads, "ifed-match.csv")) as f:
            csv = f.read()
        self.assertEqual(csv.count("\nHIT,at,"), 2, csv)
        d.find_element(By.ID, "export-stix").click()
        stix = os.path.join(self.downloads, "ifed-match.stix.json")
        self.wait(d, lambda _: os.path.exists(stix), "STIX download")
        time.sleep(0.2)
        with open(stix) as f:
            bundle = json.load(f)
        self.assertEqual(sum(o["type"] == "sighting" for o in bundle["objects"]), 2)
        self.assert_clean_log(d)
        # The node audited the person, not only the console's uid.
        self.assertRegex(self.fed.audit("de"), r'"action":"match.out","actor":"staff:ana via local:uid=')

    def test_3_followup_requested_in_de_is_approved_in_at(self):
        de = self.browser()
        self.sign_in(de, "de", "ana")
        self.ready(de, "DE analyst page")
        rows = self.match(de)
        follow = [b for b in de.find_elements(By.CSS_SELECTOR, "#match-table button.follow")]
        self.assertTrue(follow, "a HIT row offers a follow-up")
        follow[0].click()
        reference = de.find_element(By.ID, "followup-reference").get_attribute("value")
        self.assertTrue(reference)
        de.find_element(By.ID, "followup-basis").send_keys("Art. 39 CISA")
        de.find_element(By.ID, "followup-justification").send_keys("Same number in our case.")
        de.find_element(By.ID, "followup-submit").click()
        self.wait(de, EC.text_to_be_present_in_element((By.ID, "followup-status"), "Requested"),
                  "follow-up request")
        fu_id = re.search(r"Requested (fu-[0-9a-f]+)", de.find_element(By.ID, "followup-status").text).group(1)
        self.shot(de, "analyst-followup-requested")

        at = self.browser()
        self.sign_in(at, "at", "appr")
        self.wait(at, EC.url_contains("/approver"), "approver page")
        self.ready(at, "approver page")
        row = self.wait(at, EC.presence_of_element_located((By.ID, f"fu-{fu_id}")), "queued request")
        self.assertIn("PENDING", row.text)
        self.assertRegex(row.find_element(By.CSS_SELECTOR, "td.countdown").text, r"\d+h \d\dm \d\ds")
        self.shot(at, "approver-queue")
        row.find_element(By.CSS_SELECTOR, "button.decide").click()
        at.find_element(By.ID, "decide-text").send_keys("Call our duty desk, case CASE-AT-2026-17.")
        self.shot(at, "approver-decide")
        at.find_element(By.ID, "decide-submit").click()
        self.wait(at, EC.text_to_be_present_in_element((By.ID, f"fu-{fu_id}"), "APPROVED"),
                  "approval in AT")
        self.shot(at, "approver-approved")
        self.assert_clean_log(at)
        self.assertRegex(self.fed.audit("at"), r'"action":"followup.approve","actor":"staff:appr via')

        def approved(_):
            de.find_element(By.ID, "followups-refresh").click()
            return "APPROVED" in de.find_element(By.ID, "followups-table").text
        self.wait(de, approved, "APPROVED in DE")
        self.assertIn("duty-desk@at.police.example", de.find_element(By.ID, "followups-table").text)
        self.shot(de, "analyst-followup-approved")
        self.assert_clean_log(de)

    def test_4_watch_alert_after_partner_ingest(self):
        d = self.browser()
        self.sign_in(d, "de", "ana")
        self.ready(d, "analyst page")
        badge = d.find_element(By.ID, "alert-count")
        self.wait(d, lambda _: badge.text == "0", "alert count 0")
        d.find_element(By.ID, "watch-peer-at").click()
        d.find_element(By.ID, "watch-values").send_keys(WATCHED)
        d.find_element(By.ID, "watch-submit").click()
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "watch-status"), "held by at"),
                  "watch added")
        self.wait(d, EC.presence_of_element_located((By.CSS_SELECTOR, "#watches-table button.remove")),
                  "watch listed")
        self.fed.ingest("at", [("phone", WATCHED, "AT")], "CASE-AT-2026-18")
        self.wait(d, lambda _: badge.text not in ("0", "?"), "alert count after the ingest at AT")
        self.assertIn("hot", badge.get_attribute("class"))
        self.wait(d, EC.text_to_be_present_in_element((By.ID, "alerts-table"), "HIT"),
                  "alert row")
        self.assertIn("at", d.find_element(By.CSS_SELECTOR, "#alerts-table tbody tr").text)
        d.find_element(By.ID, "alerts").location_once_scrolled_into_view
        self.shot(d, "analyst-watch-alert")
        self.assert_clean_log(d)

    def test_5_trace_our_record_from_a_partners_reference(self):
        # DE saw AT's reference for a hit; AT's analyst traces it to the case.
        de = self.browser()
        self.sign_in(de, "de", "ana")
        self.ready(de, "DE analyst page")
        self.match(de)
        reference = de.find_element(By.CSS_SELECTOR, "#match-table tbody tr.hit td.ref").text
        at = self.browser()
        self.sign_in(at, "at", "ana")
        self.ready(at, "AT analyst page")
        at.find_element(By.ID, "trace-reference").send_keys(reference)
        at.find_element(By.ID, "trace-submit").click()
        self.wait(at, EC.text_to_be_present_in_element((By.ID, "trace-result"), "CASE-AT-2026-17"),
                  "traced case")
        at.find_element(By.ID, "trace").location_once_scrolled_into_view
        self.shot(at, "analyst-trace")
        self.assert_clean_log(at)


if __name__ == "__main__":
    unittest.main(verbosity=2)
