"""Floods of "Forgot password?" requests with one real person among them (issue 20).

wrk sends requests over 4 connections for FLOOD_SECONDS, with the per-IP and per-tenant limits
lifted and the per-account mail limit kept, as in the flood measured from outside on
2026-12-02: *repeats* asks for FLOOD_ADDRESSES existing addresses in turn, *different* for a new
unknown address with every request. Halfway through, a real person asks for a link (one request
from another client on another loopback address, 127.0.0.2) and the time until their mail
reaches the sink is taken. Once a
second the backlog of unprocessed requests is sampled. Reported: requests/s accepted, the
backlog's peak and its size when the flood stops, how long it then takes to drain, the real
person's wait, the "requested" audit rows written, and the server's peak RSS.

Run it with `bench/run --flood-only` (results.md untouched; the table is printed).
"""

import os
import threading
import time

FLOOD_SECONDS = 20 if os.environ.get("BENCH_QUICK") == "1" else 60
FLOOD_ADDRESSES = 1000
FLOOD_CONNECTIONS = 4


KINDS = ("repeats", "different")
# The second kind: every request for an identifier nobody has and nobody asked for before.
DIFFERENT_ADDRESSES = 400_000


def flood(h, system, sink, kind="repeats"):
    """One flood against `system` (a harness.Latchkey, set up and started). `kind`: "repeats"
    (FLOOD_ADDRESSES existing addresses in turn) or "different" (a new unknown address each
    request)."""
    if kind == "repeats":
        values = [f"user{i:05d}@example.com" for i in range(FLOOD_ADDRESSES)]
    else:
        values = [f"flood{i:06d}@example.org" for i in range(DIFFERENT_ADDRESSES)]
    _, path, field, extra, cookie, _ = system.forgot_form()
    vfile = os.path.join(h.WORK, "flood-values.txt")
    with open(vfile, "w") as f:
        f.write("\n".join(values) + "\n")
    env = dict(os.environ, BENCH_PATH=path, BENCH_FIELD=field, BENCH_VALUES=vfile,
               BENCH_EXTRA=extra, BENCH_COOKIE=cookie)
    audit_before = system.sql("SELECT COUNT(*) FROM audit_events WHERE action = 'reset.requested'")
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(system.sql("SELECT COUNT(*) FROM reset_requests"))
            time.sleep(1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = {"kind": kind}

    def run_wrk():
        import json

        out = h.sh("wrk", "-t1", f"-c{FLOOD_CONNECTIONS}", f"-d{FLOOD_SECONDS}s", "--timeout", "10s",
                   "-s", h.LUA, f"http://127.0.0.1:{system.port}", env=env)
        r = json.loads(out.strip().splitlines()[-1])
        result["rps"] = r["requests"] / (r["duration_us"] / 1e6)
        result["errors"] = (r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
                            + r["bad_status"])

    load = threading.Thread(target=run_wrk)
    load.start()
    time.sleep(FLOOD_SECONDS / 2)
    # The real person: a fresh address of their own, one request from another client.
    sink.start_dump()
    c, path, field, _, _, token = system.forgot_form(source="127.0.0.2")
    asked = time.time()
    # A fresh person per flood: the per-account mail limit must not refuse the second one.
    person = f"real.{kind}@example.com"
    c.request("POST", path, {field: person, "csrf_token": token})
    sink.collect(1, "(" + person.replace(".", r"\.") + ")", timeout=FLOOD_SECONDS * 10)
    result["real_wait_s"] = time.time() - asked
    load.join()
    ended = time.time()
    result["backlog_at_end"] = system.sql("SELECT COUNT(*) FROM reset_requests")
    system.drain(timeout=900)
    result["drain_s"] = time.time() - ended
    stop.set()
    sampler.join()
    result["backlog_peak"] = max(samples) if samples else 0
    result["audit_rows"] = system.sql(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'reset.requested'") - audit_before
    result["peak_rss_mib"] = h.rss_kib(system.proc.pid, "VmHWM") / 1024
    return result


def report(results):
    """`results`: {"system name|kind": flood result}."""
    lines = [
        f"Floods of \"Forgot password?\": *repeats* asks for {FLOOD_ADDRESSES:,} existing addresses "
        "in turn, *different* for a new unknown address with every request (up to "
        f"{DIFFERENT_ADDRESSES:,}); {FLOOD_CONNECTIONS} connections from one address, "
        f"{FLOOD_SECONDS} s each, per-IP and per-tenant limits lifted, the per-account mail limit "
        "kept; one real person (another client, an address of their own) asks halfway. Backlog: "
        "requests not processed yet, sampled every second; audit rows: `reset.requested` events "
        "written.",
        "",
        "| | flood | requests/s | errors | backlog peak | backlog at end | drain after | real person's wait | audit rows | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in results.items():
        name = key.split("|")[0]
        lines.append(
            f"| {name} | {r.get('kind', 'repeats')} | {r['rps']:.0f} | {r['errors']} | {r['backlog_peak']} | "
            f"{r['backlog_at_end']} | {r['drain_s']:.1f} s | {r['real_wait_s']:.2f} s | {r['audit_rows']} | "
            f"{r['peak_rss_mib']:.0f} MiB |")
    return lines


def verdicts(results):
    out = []
    for key, r in results.items():
        name = key.split("|")[0]
        out.append(
            f"Issue 20, {name} flood of {r.get('kind', 'repeats')} identifiers: the real person's mail "
            f"after {r['real_wait_s']:.1f} s (target: within seconds, here ≤ 10 s: "
            f"{'met' if r['real_wait_s'] <= 10 else 'missed'}); backlog peak {r['backlog_peak']:,} for "
            f"{r['rps'] * FLOOD_SECONDS:,.0f} requests, drained {r['drain_s']:.0f} s after the flood "
            f"(target bounded, drained within a minute: {'met' if r['drain_s'] <= 60 else 'missed'}); "
            f"{r['audit_rows']:,} audit rows.")
    return out


def add_real_person(system):
    """The real person's account (a reset address of their own)."""
    csv = os.path.join(system.dir, "real.csv")
    with open(csv, "w") as f:
        f.write("username,email,reset_email\n")
        for kind in ("repeats", "different"):
            f.write(f"real.{kind},real.{kind}@example.com,real.{kind}@example.com\n")
    system.cli("user", "import", "--tenant", "acme", csv)
