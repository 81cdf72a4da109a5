"""The directory part of the benchmark: a real OpenLDAP `slapd` on loopback seeded with
DIRECTORY_PEOPLE people, and `latchkey directory sync` timed (wall clock) and measured (peak RSS
of the CLI process, from its VmHWM) against it: the first sync (everyone added) and a re-sync
(nobody changed). See bench/README.md."""

import os
import shutil
import socket
import subprocess
import time

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SUFFIX = "dc=bench,dc=example"
PEOPLE = f"ou=people,{SUFFIX}"
ROOT_DN = f"cn=admin,{SUFFIX}"
SERVICE_DN = f"cn=latchkey,{SUFFIX}"
SERVICE_PASSWORD = "bench-service-password"
PORT = 18389
RUNS = 3


def _wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"slapd did not answer on port {port}")


class Slapd:
    """slapd with an mdb database of `people` inetOrgPersons, seeded by slapadd before start."""

    def __init__(self, work, people):
        self.dir = os.path.join(work, "slapd")
        self.people = people
        self.proc = None

    def setup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "db"))
        hashed = subprocess.run(["/usr/sbin/slappasswd", "-h", "{SSHA}", "-s", SERVICE_PASSWORD],
                                check=True, capture_output=True, text=True).stdout.strip()
        conf = os.path.join(self.dir, "slapd.conf")
        with open(conf, "w") as f:
            f.write(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {self.dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb.la
sizelimit 500
database mdb
maxsize 1073741824
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {hashed}
directory {self.dir}/db
limits dn.exact="{SERVICE_DN}" size.prtotal=unlimited
access to attrs=userPassword by dn.exact="{SERVICE_DN}" write by anonymous auth by self write by * none
access to * by dn.exact="{SERVICE_DN}" read by self read by * none
""")
        ldif = os.path.join(self.dir, "seed.ldif")
        with open(ldif, "w") as f:
            f.write(f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: bench\no: Bench\n\n")
            f.write(f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
                    f"cn: latchkey\nuserPassword: {hashed}\n\n")
            f.write(f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n")
            for i in range(self.people):
                uid = f"p{i:05d}"
                f.write(f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
                        f"cn: Person {i}\nsn: {i}\nmail: {uid}@dir.example\nuserPassword: {hashed}\n\n")
        subprocess.run([SLAPADD, "-q", "-f", conf, "-l", ldif], check=True, capture_output=True)
        self.conf = conf

    def start(self):
        self.log = open(os.path.join(self.dir, "slapd.log"), "w")
        self.proc = subprocess.Popen([SLAPD, "-d", "0", "-f", self.conf, "-h", f"ldap://127.0.0.1:{PORT}/"],
                                     stdout=self.log, stderr=self.log)
        _wait_port(PORT)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


def _hwm_kib(pid):
    """VmHWM of `pid` (the peak RSS of its program since exec), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _timed(cmd, env):
    """Runs `cmd`; wall seconds, peak RSS in KiB and its stdout. The peak is read from the
    process's own VmHWM while it runs (getrusage/wait4 would report the forking Python parent's
    size, which an exec'd child inherits as its starting maximum)."""
    out_path = os.path.join(os.path.dirname(env["LATCHKEY_DATA_DIR"]), "sync.out")
    peak = 0
    with open(out_path, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            hwm = _hwm_kib(proc.pid)
            if hwm:
                peak = max(peak, hwm)
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
    with open(out_path) as f:
        text = f.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {text}")
    return seconds, peak, text


def sync_bench(system, binary):
    """Connects a fresh tenant of `system` (a harness.Latchkey) to the bench slapd and syncs it:
    the first sync RUNS times (each on a fresh tenant: everyone added) and the re-sync RUNS times
    (nobody changed)."""
    first, again = [], []
    for run in range(RUNS):
        slug = f"dir{run}"
        system.cli("tenant", "create", slug)
        system.cli("directory", "set", "--tenant", slug, "--url", f"ldap://127.0.0.1:{PORT}",
                   "--security", "none", "--bind-dn", SERVICE_DN, "--bind-password-stdin",
                   "--base-dn", PEOPLE, "--disabled-attr", "", "--sync-interval", "0",
                   stdin=SERVICE_PASSWORD)
        cmd = [binary, "--json", "directory", "sync", "--tenant", slug]
        seconds, peak, text = _timed(cmd, system.env)
        if '"added": ' not in text:
            raise RuntimeError(f"unexpected sync output: {text}")
        first.append({"seconds": seconds, "peak_kib": peak})
        seconds, peak, _ = _timed(cmd, system.env)
        again.append({"seconds": seconds, "peak_kib": peak})
    return {"first": first, "again": again}


def syncs(h, latchkeys):
    """The directory part of a run: `sync_bench` for each Latchkey, against one seeded slapd."""
    slapd = Slapd(h.WORK, h.DIRECTORY_PEOPLE)
    h.log(f"seeding slapd with {h.DIRECTORY_PEOPLE} people")
    slapd.setup()
    slapd.start()
    try:
        out = {"people": h.DIRECTORY_PEOPLE}
        for s in latchkeys:
            h.wait_idle()
            out[s.name] = sync_bench(s, h.BIN)
            h.log(f"{s.name} directory sync: {out[s.name]}")
        return out
    finally:
        slapd.stop()


def report(h, D):
    L = []
    w = L.append
    w("## Directory sync")
    w("")
    w(f"`latchkey directory sync` of a tenant against OpenLDAP's `slapd` on loopback holding "
      f"{D['people']:,} people (paged searches of 500; slapd's size limit 500): the first sync "
      "adds everyone (a fresh tenant each run), the re-sync finds nothing changed. Wall time of "
      "the CLI process, and its peak RSS (its `VmHWM`, read while it runs); `serve` keeps running beside it.")
    w("")
    w("| | first sync | re-sync | peak RSS (first / re-sync) |")
    w("| --- | --- | --- | --- |")
    for name in ("Latchkey/SQLite", "Latchkey/PostgreSQL"):
        r = D.get(name)
        if not r:
            continue
        f = h.summary([x["seconds"] for x in r["first"]])
        a = h.summary([x["seconds"] for x in r["again"]])
        pf = max(x["peak_kib"] for x in r["first"]) / 1024
        pa = max(x["peak_kib"] for x in r["again"]) / 1024
        w(f"| {name} | {h.fmt(f, 2, ' s')} | {h.fmt(a, 2, ' s')} | {pf:.0f} MiB / {pa:.0f} MiB |")
    w("")
    return L
