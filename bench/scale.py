"""Soak runs and several instances (issue 20).

- `soak`: "Forgot password?" for the store's existing addresses at about half the capacity the
  same run measured (wrk paced with a per-request delay), for SOAK_SECONDS on one backend.
  Sampled every 5 s: the server's RSS and the backlog (reset requests not processed yet plus due
  mail not sent). Reported: requests/s, errors, RSS at start, end and peak, the backlog at the
  end and how long it then takes to drain.
- `instances`: the campaign of harness.CAMPAIGN personal reset mails on PostgreSQL delivered by
  three `serve` processes on one database, against one process on the same database: the factor,
  and every mail accepted exactly once (one successful mail-log row per task).

`bench/run --soak-only` and `bench/run --instances-only` run one part alone (results.md
untouched); the full `bench/run` includes both.
"""

import json
import os
import subprocess
import threading
import time

SOAK_SECONDS = 60 if os.environ.get("BENCH_QUICK") == "1" else 600
SOAK_CONNECTIONS = 64
INSTANCES = 3


def backlog(system):
    now = int(time.time())
    return system.sql("SELECT COUNT(*) FROM reset_requests") + system.sql(
        "SELECT COUNT(*) FROM mail_tasks WHERE status IN ('waiting', 'executing') "
        f"AND next_attempt_at <= {now}")


def soak(h, system, capacity, values):
    """One soak against `system` (set up and started) at half of `capacity` requests/s."""
    rate = max(capacity / 2, 1)
    # wrk's `delay()` is whole milliseconds per request and connection: the pace it gives is
    # connections / (delay + latency), a little under the rate asked for.
    delay_ms = max(int(SOAK_CONNECTIONS * 1000 / rate), 1)
    _, path, field, extra, cookie, _ = system.forgot_form()
    vfile = os.path.join(h.WORK, "soak-values.txt")
    with open(vfile, "w") as f:
        f.write("\n".join(values) + "\n")
    env = dict(os.environ, BENCH_PATH=path, BENCH_FIELD=field, BENCH_VALUES=vfile,
               BENCH_EXTRA=extra, BENCH_COOKIE=cookie, BENCH_DELAY_MS=str(delay_ms))
    system.drain()
    h.wait_idle()
    pid = system.proc.pid
    rss_start = h.rss_kib(pid)
    samples, stop = [], threading.Event()

    def sample():
        while not stop.wait(5):
            samples.append({"t": time.time(), "rss_kib": h.rss_kib(pid), "backlog": backlog(system)})

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = h.sh("wrk", "-t1", f"-c{SOAK_CONNECTIONS}", f"-d{SOAK_SECONDS}s", "--timeout", "10s",
               "-s", h.LUA, f"http://127.0.0.1:{system.port}", env=env)
    ended = time.time()
    stop.set()
    sampler.join()
    r = json.loads(out.strip().splitlines()[-1])
    result = {
        "capacity": capacity,
        "asked_rate": rate,
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "requests": r["requests"],
        "errors": r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
        + r["bad_status"],
        "p99_ms": r["p99"] / 1000,
        "rss_start_mib": rss_start / 1024,
        "rss_end_mib": h.rss_kib(pid) / 1024,
        "rss_peak_mib": max([s["rss_kib"] for s in samples] + [rss_start]) / 1024,
        "backlog_peak": max([s["backlog"] for s in samples] + [0]),
        "backlog_at_end": backlog(system),
        "seconds": SOAK_SECONDS,
    }
    system.drain(timeout=900)
    result["drain_s"] = time.time() - ended
    result["backlog_after_drain"] = backlog(system)
    h.log(f"{system.name} soak: {result}")
    return result


def soak_report(S):
    lines = [
        f"\"Forgot password?\" for existing addresses in turn for {S['seconds'] // 60} minutes "
        f"({S['seconds']} s) at about half the capacity measured in this run (section 1, existing "
        f"addresses), {SOAK_CONNECTIONS} connections paced by wrk; the per-account mail limit kept, "
        "the per-IP and per-tenant limits lifted. Backlog: reset requests not processed yet plus "
        "due mail not sent, sampled every 5 s.",
        "",
        "| System | asked | got | errors | p99 | RSS start → end (peak) | backlog peak | backlog at end | drained after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in S.items():
        if not isinstance(r, dict):
            continue
        lines.append(
            f"| {name} | {r['asked_rate']:,.0f}/s | {r['rps']:,.0f}/s | {r['errors']} | "
            f"{r['p99_ms']:.2f} ms | {r['rss_start_mib']:.0f} → {r['rss_end_mib']:.0f} MiB "
            f"({r['rss_peak_mib']:.0f}) | {r['backlog_peak']} | {r['backlog_at_end']} | "
            f"{r['drain_s']:.1f} s |")
    return lines


def soak_verdicts(S):
    out = []
    for name, r in S.items():
        if not isinstance(r, dict):
            continue
        flat = r["rss_end_mib"] <= r["rss_start_mib"] * 1.25 + 5
        out.append(
            f"Issue 20, {name} soak ({r['seconds']} s at {r['rps']:,.0f}/s): {r['errors']} errors "
            f"(target 0: {'met' if r['errors'] == 0 else 'missed'}); RSS {r['rss_start_mib']:.0f} → "
            f"{r['rss_end_mib']:.0f} MiB (target flat, here within 25 % + 5 MiB: "
            f"{'met' if flat else 'missed'}); backlog at end {r['backlog_at_end']}, drained in "
            f"{r['drain_s']:.1f} s (target within a minute: {'met' if r['drain_s'] <= 60 else 'missed'}).")
    return out


def instances(h, system):
    """`system`: a Latchkey on PostgreSQL, set up for the campaign (setup or setup_campaign) and
    stopped. Runs the campaign with one process, then with INSTANCES processes on the same
    database; returns both rates and the exactly-once check."""
    out = {"instances": INSTANCES}
    system.start()
    try:
        out["one"] = h.campaign(system)
    finally:
        system.stop()
    extra = []
    system.start()
    try:
        for i in range(1, INSTANCES):
            port = system.port + 100 * i
            env = dict(system.env, LATCHKEY_LISTEN=f"127.0.0.1:{port}")
            logf = open(os.path.join(system.dir, f"serve-{i}.log"), "a")
            extra.append(subprocess.Popen([h.BIN, "serve"], env=env, stdout=logf, stderr=logf))
            h.wait_http(port, "/readyz")
        runs, exact = [], []
        for _ in range(h.RUNS):
            system.drain()
            h.wait_idle()
            seen, stop = [], threading.Event()

            def watch():
                # lease_owner is cleared once a mail is done: look while the campaign runs.
                while not stop.wait(0.2):
                    seen.append(system.sql("SELECT COUNT(DISTINCT lease_owner) FROM mail_tasks "
                                           "WHERE status = 'executing'"))

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            elapsed, done, cid = system.campaign(with_id=True)
            stop.set()
            watcher.join()
            if done != h.CAMPAIGN:
                raise RuntimeError(f"{INSTANCES} instances: campaign delivered {done} of {h.CAMPAIGN}")
            sent = system.sql(
                "SELECT COUNT(*) FROM mail_log l JOIN mail_tasks t ON t.id = l.task_id "
                f"WHERE t.campaign_id = {cid} AND l.success = 1")
            workers = max(seen + [0])
            exact.append({"accepted": sent, "tasks": done, "workers": workers})
            runs.append(h.CAMPAIGN / elapsed)
        out["three"] = h.summary(runs)
        out["exact"] = exact
    finally:
        for p in extra:
            p.terminate()
        for p in extra:
            p.wait(timeout=60)
        system.stop()
    out["factor"] = out["three"]["median"] / out["one"]["median"]
    h.log(f"instances: {out}")
    return out


def instances_report(h, I):
    n = I["instances"]
    exact = ", ".join(f"{e['accepted']:,}/{e['tasks']:,} (workers seen: {e['workers']})" for e in I["exact"])
    return [
        f"The campaign of section 4 on PostgreSQL, delivered by one `serve` and then by {n} `serve` "
        f"processes on the same database (each with the same `mail_connections_per_server`); the "
        "campaign is started through the first one's API. \"Accepted\" counts successful mail-log "
        "rows of the campaign's tasks: exactly one per task means no mail was sent twice.",
        "",
        "| | Mails/s |",
        "|---|---|",
        f"| 1 instance | {h.fmt(I['one'])} |",
        f"| {n} instances | {h.fmt(I['three'])} |",
        "",
        f"Factor: **{I['factor']:.2f}×**. Accepted/tasks per run: {exact}.",
        "",
    ]


def instances_verdict(I):
    once = all(e["accepted"] == e["tasks"] for e in I["exact"])
    return (f"Issue 20, {I['instances']} instances on one PostgreSQL: {I['factor']:.2f}× one instance's "
            f"campaign rate (target > 1×: {'met' if I['factor'] > 1 else 'missed'}); each mail exactly "
            f"once: {'yes' if once else 'NO'}.")
