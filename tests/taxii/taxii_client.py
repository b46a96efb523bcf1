#!/usr/bin/python3
"""A TAXII 2.1 client written from the OASIS specification (TAXII Version
2.1, 10 June 2021), run against a real ifed-node behind ifed-console.

It does what a CTI platform does (discovery, API root, collections, objects
page by page with `next`, `added_after` with the X-TAXII-Date-Added-Last
header, manifests, one object, its versions) and what a careless or hostile
client does (wrong media type, no or wrong credentials, a forged `next`
token, unknown collections and objects, writes). Section numbers below are
the specification's. Exits 0 when every check passes; prints one line per
failed check otherwise.

usage: taxii_client.py --base https://127.0.0.1:PORT --ca CA.pem
                       --user ID --password PW [--limited-user ID --limited-password PW]
                       [--min-hits N] [--min-alerts N]
"""
import argparse
import json
import statistics
import sys
import time

import requests

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


class Client:
    def __init__(self, base, ca, user=None, password=None):
        self.base = base.rstrip("/")
        self.ca = ca
        self.auth = (user, password) if user is not None else None
        self.session = requests.Session()
        self.timings = []

    def get(self, path, params=None, accept=TAXII, auth="default", method="GET", **kw):
        url = path if path.startswith("https://") else self.base + path
        headers = {}
        if accept is not None:
            headers["Accept"] = accept
        a = self.auth if auth == "default" else auth
        t0 = time.monotonic()
        r = self.session.request(method, url, params=params, headers=headers, auth=a,
                                 verify=self.ca, timeout=60, **kw)
        self.timings.append(time.monotonic() - t0)
        return r


def is_taxii_json(r):
    return r.headers.get("Content-Type", "").replace(" ", "").lower() == TAXII


def error_resource(r, status, what):
    """Section 3.6.1: an error message with a title, and http_status."""
    check(r.status_code == status, f"{what}: status {r.status_code}, want {status} ({r.text[:200]})")
    check(is_taxii_json(r), f"{what}: error content type {r.headers.get('Content-Type')}")
    try:
        body = r.json()
    except ValueError:
        check(False, f"{what}: error body is not JSON")
        return
    check(isinstance(body.get("title"), str) and body["title"], f"{what}: error without title")
    check(body.get("http_status") == str(status), f"{what}: http_status {body.get('http_status')}")


def discovery_and_root(c):
    """Sections 4.1 and 4.2."""
    r = c.get("/taxii2/")
    check(r.status_code == 200, f"discovery: status {r.status_code}")
    check(is_taxii_json(r), f"discovery: content type {r.headers.get('Content-Type')}")
    d = r.json()
    check(isinstance(d.get("title"), str), "discovery: title")
    roots = d.get("api_roots", [])
    check(len(roots) >= 1, "discovery: api_roots")
    check(d.get("default") in roots, "discovery: default is one of api_roots")
    root = roots[0]
    if not root.startswith("https://"):
        root = c.base + root
    r = c.get(root)
    check(r.status_code == 200, f"api root: status {r.status_code}")
    a = r.json()
    check(TAXII in a.get("versions", []), f"api root: versions {a.get('versions')}")
    check(isinstance(a.get("max_content_length"), int), "api root: max_content_length")
    check(r.headers.get("Cache-Control") == "no-store", "api root: Cache-Control no-store")
    return root


def collections(c, root):
    """Sections 5.1 and 5.2."""
    r = c.get(root + "collections/")
    check(r.status_code == 200, f"collections: status {r.status_code}")
    cols = {x["alias"]: x for x in r.json().get("collections", [])}
    check(set(cols) == {"hits", "watch-alerts"}, f"collections: {sorted(cols)}")
    for alias, col in cols.items():
        check(col["can_read"] is True and col["can_write"] is False, f"{alias}: read-only")
        check(STIX in col.get("media_types", []), f"{alias}: media_types")
        one = c.get(root + "collections/" + col["id"] + "/")
        check(one.status_code == 200 and one.json().get("id") == col["id"],
              f"{alias}: get a collection")
    return cols


def page_all(c, url, limit, params=None):
    """Section 3.5: follow `next` until `more` is false."""
    params = dict(params or {}, limit=str(limit))
    pages, objects, last_added = [], [], None
    for _ in range(1000):
        r = c.get(url, params=params)
        if not check(r.status_code == 200, f"page {len(pages)}: status {r.status_code} {r.text[:200]}"):
            break
        env = r.json()
        objs = env.get("objects", [])
        check(len(objs) <= limit, f"page {len(pages)}: {len(objs)} objects over limit {limit}")
        if objs:
            first = r.headers.get("X-TAXII-Date-Added-First")
            last = r.headers.get("X-TAXII-Date-Added-Last")
            check(first is not None and last is not None, "X-TAXII-Date-Added headers (3.2)")
            check(first <= last, "X-TAXII-Date-Added-First <= -Last")
            if last_added is not None:
                check(first > last_added, "pages are in date-added order without overlap (3.3)")
            last_added = last
        pages.append(r)
        objects.extend(objs)
        if not env.get("more"):
            check("next" not in env, "no next when more is false")
            break
        check(isinstance(env.get("next"), str), "more without next")
        params = {"limit": str(limit), "next": env["next"], **{k: v for k, v in (params or {}).items()
                                                                if k.startswith("match[")}}
    return pages, objects


def objects_checks(c, root, col, min_sightings, source):
    url = root + "collections/" + col["id"] + "/objects/"
    pages, paged = page_all(c, url, 3)
    ids = [o["id"] for o in paged]
    check(len(ids) == len(set(ids)), f"{col['alias']}: an object repeated across pages")
    full = c.get(url, params={"limit": "1000"}).json().get("objects", [])
    check([o["id"] for o in full] == ids, f"{col['alias']}: paged != unpaged")
    by_id = {o["id"]: o for o in full}
    sightings = [o for o in full if o["type"] == "sighting"]
    check(len(sightings) >= min_sightings,
          f"{col['alias']}: {len(sightings)} sightings, want >= {min_sightings}")
    for o in full:
        check(o.get("spec_version") == "2.1" and o["id"].startswith(o["type"] + "--"),
              f"{col['alias']}: object {o['id']} shape")
    for s in sightings:
        check(s["sighting_of_ref"] in by_id, "sighting_of_ref points into the collection")
        check(all(w in by_id for w in s["where_sighted_refs"]), "where_sighted_refs in collection")
        check(s.get("x_ifed_source") == source, f"{col['alias']}: x_ifed_source {s.get('x_ifed_source')}")
    if len(pages) > 1:
        # The other way to page (3.5): added_after from X-TAXII-Date-Added-Last.
        last = pages[0].headers["X-TAXII-Date-Added-Last"]
        rest = c.get(url, params={"added_after": last, "limit": "1000"}).json().get("objects", [])
        check([o["id"] for o in rest] == ids[len(pages[0].json()["objects"]):],
              f"{col['alias']}: added_after continues after the first page")
    # Filters (3.4): match[type].
    only = c.get(url, params={"match[type]": "indicator", "limit": "1000"}).json().get("objects", [])
    check(only and all(o["type"] == "indicator" for o in only), "match[type]=indicator")
    # Manifest (5.3): the same ids with date_added, version, media_type.
    _, manifest = page_all(c, root + "collections/" + col["id"] + "/manifest/", 4)
    check([m["id"] for m in manifest] == ids, f"{col['alias']}: manifest ids")
    check(all(m.get("media_type") == STIX and m.get("version") and m.get("date_added")
              for m in manifest), "manifest records")
    if sightings:
        s = sightings[0]
        one = c.get(url + s["id"] + "/")  # 5.6
        check(one.status_code == 200 and [o["id"] for o in one.json().get("objects", [])] == [s["id"]],
              "get an object")
        v = c.get(url + s["id"] + "/versions/")  # 5.8
        check(v.status_code == 200 and v.json().get("versions") == [s["modified"]], "object versions")
    return url, pages


def refusals(c, root, cols, args):
    hits_url = root + "collections/" + cols["hits"]["id"] + "/objects/"
    for accept in ["application/json", "application/stix+json;version=2.1",
                   "application/taxii+json;version=2.0", "*/*"]:
        error_resource(c.get(hits_url, accept=accept), 406, f"Accept {accept}")
    r = c.get(hits_url, accept=None)
    error_resource(r, 406, "no Accept header (requests sends */*)")
    r = c.get(hits_url, auth=None)
    error_resource(r, 401, "no credentials")
    check(r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), "401 challenges Basic")
    error_resource(c.get(hits_url, auth=(args.user, args.password + "x")), 401, "wrong password")
    error_resource(c.get("/taxii2/", auth=("nobody", "x")), 401, "unknown client")
    error_resource(c.get(hits_url, params={"next": "garbage"}), 400, "bad next token")
    first = c.get(hits_url, params={"limit": "1"})
    token = first.json().get("next", "")
    if check(token, "a next token to tamper with"):
        forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        error_resource(c.get(hits_url, params={"next": forged}), 400, "edited next token")
        alerts = root + "collections/" + cols["watch-alerts"]["id"] + "/objects/"
        error_resource(c.get(alerts, params={"next": token}), 400, "next token of another collection")
    error_resource(c.get(hits_url, params={"limit": "0"}), 400, "limit=0")
    error_resource(c.get(hits_url, params={"added_after": "last tuesday"}), 400, "bad added_after")
    error_resource(c.get(root + "collections/00000000-0000-4000-8000-000000000000/objects/"), 404,
                   "unknown collection")
    error_resource(c.get(hits_url + "sighting--00000000-0000-4000-8000-000000000000/"), 404,
                   "unknown object")
    r = c.session.post(hits_url, data=json.dumps({"objects": []}), auth=c.auth, verify=c.ca,
                       timeout=60, headers={"Accept": TAXII, "Content-Type": TAXII})
    error_resource(r, 403, "add objects to a read-only collection")
    if args.limited_user:
        lim = Client(args.base, args.ca, args.limited_user, args.limited_password)
        got = lim.get(root + "collections/").json().get("collections", [])
        check([x["alias"] for x in got] == ["hits"], f"limited client sees {got}")
        error_resource(lim.get(root + "collections/" + cols["watch-alerts"]["id"] + "/objects/"),
                       404, "limited client: collection not granted")
        check(lim.get(hits_url).status_code == 200, "limited client reads its collection")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--limited-user")
    p.add_argument("--limited-password")
    p.add_argument("--min-hits", type=int, default=1)
    p.add_argument("--min-alerts", type=int, default=1)
    args = p.parse_args()
    c = Client(args.base, args.ca, args.user, args.password)
    root = discovery_and_root(c)
    cols = collections(c, root)
    if set(cols) != {"hits", "watch-alerts"}:
        return 1
    c.timings.clear()
    _, pages = objects_checks(c, root, cols["hits"], args.min_hits, "match")
    page_ms = statistics.median(c.timings) * 1000 if c.timings else 0
    objects_checks(c, root, cols["watch-alerts"], args.min_alerts, "watch")
    refusals(c, root, cols, args)
    print(f"taxii client: {len(pages)} pages of hits; median request {page_ms:.1f} ms; "
          f"{len(failures)} failures", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
