"""A real federation on 127.0.0.1 with a web console per node, for the
console's browser tests and screenshots.

Built like tests/integration/federation.cc: certificates from
certs/make-certs.sh (the federation CA for the nodes; an agency web CA per
agency for its console), one ifed-node per agency with `console_uids` set to
this uid, one ifed-console per node, local staff accounts whose password
hashes come from `ifed-console hash-password`. Everything lives in a scratch
directory removed at the end (IFED_KEEP_TEST_DIR keeps it).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

TRUST_DOMAIN = "ifed-console-test.eu"
PASSWORD = "correct horse battery staple"
# Staff of every console: one per role, and one with two roles.
STAFF = [
    ("ana", "Ana Analyst", ["analyst"]),
    ("appr", "Paul Approver", ["approver"]),
    ("adm", "Ada Admin", ["admin"]),
    ("dpo", "Dora DPO", ["dpo"]),
    ("hubop", "Hugo Hub", ["hub_operator"]),
    ("lead", "Lena Lead", ["analyst", "approver"]),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Federation:
    def __init__(self, node_ids=("de", "at")):
        self.source = os.environ["IFED_SOURCE_DIR"]
        self.bin = os.environ["IFED_BIN_DIR"]
        self.dir = tempfile.mkdtemp(prefix="ifed-console-")
        self.ids = list(node_ids)
        self.nodes = {}
        self.consoles = {}
        self.procs = []
        # Extra top-level YAML of a node's console config, by node id (TAXII).
        self.console_yaml_extra = {}
        self._certs("ca", f"{self.dir}/ca", TRUST_DOMAIN)
        with open(f"{self.dir}/federation.key", "w") as f:
            f.write("1 " + os.urandom(32).hex() + "\n")
        os.chmod(f"{self.dir}/federation.key", 0o600)
        self.hash = self._run([f"{self.bin}/ifed-console", "hash-password", "--log2-n", "10"],
                              stdin=PASSWORD + "\n").strip()

    # --- processes -------------------------------------------------------
    def _run(self, argv, stdin=None, check=True):
        r = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr}{r.stdout}")
        return r.stdout

    def _certs(self, *args):
        return self._run([f"{self.source}/certs/make-certs.sh", *args])

    def ctl(self, node, *args, check=True):
        return self._run([f"{self.bin}/ifedctl", "--socket", self.nodes[node]["socket"], *args],
                         check=check)

    # --- set-up ----------------------------------------------------------
    def start(self):
        for nid in self.ids:
            base = f"{self.dir}/{nid}"
            os.makedirs(f"{base}/policy")
            self._certs("node", base, TRUST_DOMAIN, nid, "--ca-dir", f"{self.dir}/ca")
            with open(f"{base}/local.key", "w") as f:
                f.write(os.urandom(32).hex() + "\n")
            os.chmod(f"{base}/local.key", 0o600)
            port = free_port()
            self.nodes[nid] = {"base": base, "address": f"127.0.0.1:{port}",
                               "socket": f"{base}/admin.sock", "log": f"{base}/node.log"}
        for nid in self.ids:
            self._write_node(nid)
        for nid in self.ids:
            n = self.nodes[nid]
            err = open(f"{n['base']}/node.stderr", "w")
            self.procs.append(subprocess.Popen(
                [f"{self.bin}/ifed-node", "--config", f"{n['base']}/node.yaml"],
                stdout=err, stderr=err))
        for nid in self.ids:
            self._wait(lambda nid=nid: subprocess.run(
                [f"{self.bin}/ifedctl", "--socket", self.nodes[nid]["socket"], "stats"],
                capture_output=True).returncode == 0, f"node {nid}")
        for nid in self.ids:
            self._start_console(nid)

    def _write_node(self, nid):
        n = self.nodes[nid]
        peers = "".join(f"  - id: {p}\n    address: {self.nodes[p]['address']}\n"
                        f"    jurisdiction: {p.upper()}\n" for p in self.ids if p != nid)
        with open(f"{n['base']}/node.yaml", "w") as f:
            f.write(f"""node_id: {nid}
federation: {TRUST_DOMAIN}
jurisdiction: {nid.upper()}
listen: {n['address']}
admin_socket: {n['socket']}
tls:
  ca_cert: {self.dir}/ca/ca.pem
  cert: {n['base']}/{nid}.pem
  key: {n['base']}/{nid}.key
data_dir: {n['base']}/data
federation_key_file: {self.dir}/federation.key
local_key_file: {n['base']}/local.key
policy_dir: {n['base']}/policy
contact: duty-desk@{nid}.police.example
log_file: {n['log']}
outbox_retry_ms: 200
console_uids: [{os.getuid()}]
peers:
{peers}""")
        for p in self.ids:
            if p == nid:
                continue
            with open(f"{n['base']}/policy/{p}.yaml", "w") as f:
                f.write(f"""partners:
  - partner: {p}
    types: [phone, handle, url, email, iban]
    disclosure: hit_with_reference
    max_tlp: amber
    purposes: [migrant_smuggling]
    legal_basis: "console browser test"
    follow_ups: {{allowed: true}}
    watches: {{allowed: true, max_active: 20}}
""")

    def console_extra_yaml(self, nid):
        """More top-level YAML for node `nid`'s console (subclasses)."""
        return ""

    def _start_console(self, nid):
        n = self.nodes[nid]
        web = f"{n['base']}/web"
        self._certs("ca", f"{web}/ca", f"{nid}.local", "--name", f"{nid.upper()} staff CA")
        self._certs("web", web, "console", "--ca-dir", f"{web}/ca")
        with open(f"{web}/staff.yaml", "w") as f:
            f.write("staff:\n")
            for sid, name, roles in STAFF:
                f.write(f"  - id: {sid}\n    name: {name}\n    roles: [{', '.join(roles)}]\n"
                        f"    password_hash: '{self.hash}'\n")
        port = free_port()
        with open(f"{web}/console.yaml", "w") as f:
            f.write(f"""listen: 127.0.0.1:{port}
admin_socket: {n['socket']}
staff_file: staff.yaml
title: {nid.upper()} national unit
log_file: {web}/console.log
tls:
  cert: console.pem
  key: console.key
{self.console_extra_yaml(nid)}""" + self.console_yaml_extra.get(nid, ""))
        err = open(f"{web}/console.stderr", "w")
        self.procs.append(subprocess.Popen(
            [f"{self.bin}/ifed-console", "--config", f"{web}/console.yaml"], stdout=err,
            stderr=err))
        url = f"https://127.0.0.1:{port}"
        self.consoles[nid] = {"url": url, "ca": f"{web}/ca/ca.pem", "log": f"{web}/console.log"}

        def up():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False
        self._wait(up, f"console {nid}")

    def _wait(self, ready, what, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"a process exited while waiting for {what}: "
                                       f"{p.args} -> {p.returncode}\n{self.logs()}")
            if ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{what} not ready\n{self.logs()}")

    def ingest(self, nid, rows, case):
        """rows: [(type, value, region)]"""
        path = f"{self.nodes[nid]['base']}/ingest-{int(time.time() * 1000)}.csv"
        with open(path, "w") as f:
            f.write("type,value,case_ref,tlp,crime_area,region\n")
            for t, v, region in rows:
                f.write(f"{t},{v},{case},green,migrant_smuggling,{region}\n")
        return self.ctl(nid, "ingest", path)

    def audit(self, nid):
        return self.ctl(nid, "audit", "export")

    def logs(self):
        out = []
        for root, _, files in os.walk(self.dir):
            for name in files:
                if name.endswith((".log", ".stderr")):
                    with open(os.path.join(root, name), errors="replace") as f:
                        out.append(f"== {name} ({root})\n" + f.read()[-4000:])
        return "\n".join(out)

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if not os.environ.get("IFED_KEEP_TEST_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)
