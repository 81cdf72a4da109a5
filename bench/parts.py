"""One part of the benchmark alone: `bench/run --<part>-only`, on fresh databases, for both
Latchkey backends; prints the part's table and issue 20's verdicts (results.md untouched).
`--report-only` rewrites the report from the last full run's numbers (target/bench/results.json).
"""

import json
import os
import shutil

import directory
import flood
import scale
import verdicts


def run(h, args):
    parts = {
        "--campaign-only": campaign_only,
        "--forgot-only": lambda h: targets_only(h, forgot=True, signin=False),
        "--signin-only": lambda h: targets_only(h, forgot=False, signin=True),
        "--flood-only": flood_only,
        "--directory-only": directory_only,
        "--soak-only": soak_only,
        "--instances-only": instances_only,
        "--report-only": report_only,
    }
    if len(args) != 1 or args[0] not in parts:
        raise SystemExit(f"bench/run: unknown arguments {args}; one of {', '.join(parts)} or none")
    if args[0] != "--report-only":
        shutil.rmtree(h.WORK, ignore_errors=True)
        os.makedirs(h.WORK)
    return parts[args[0]](h)


def report_only(h):
    with open(os.path.join(h.WORK, "results.json")) as f:
        h.write_report(json.load(f))


def flood_only(h):
    sink = h.Sink()
    sink.start()
    results = {}
    try:
        for backend in ("sqlite", "postgres"):
            system = h.Latchkey(backend)
            system.setup()
            flood.add_real_person(system)
            system.start()
            try:
                for kind in flood.KINDS:
                    h.wait_idle()
                    key = f"{system.name}|{kind}"
                    results[key] = flood.flood(h, system, sink, kind)
                    h.log(f"{key}: {results[key]}")
            finally:
                system.stop()
    finally:
        sink.stop()
    print("\n".join(flood.report(results)))
    print("\n".join("- " + v for v in flood.verdicts(results)))


def directory_only(h):
    systems = [h.Latchkey("sqlite"), h.Latchkey("postgres")]
    for s in systems:
        s.cli("migrate")
    print("\n".join(directory.report(h, directory.syncs(h, systems))))


def soak_only(h):
    """The soak at half of a capacity measured here first (one wrk run of existing addresses)."""
    sink = h.Sink()
    sink.start()
    S = {"seconds": scale.SOAK_SECONDS}
    existing = [f"user{i:05d}@example.com" for i in range(h.USERS)]
    try:
        for backend in ("sqlite", "postgres"):
            system = h.Latchkey(backend)
            system.setup()
            system.start()
            try:
                _, path, field, extra, cookie, _ = system.forgot_form()
                h.wait_idle()
                capacity = h.wrk(system.port, path, field, existing, extra, cookie)["rps"]
                S[system.name] = scale.soak(h, system, capacity, existing)
            finally:
                system.stop()
    finally:
        sink.stop()
    print("\n".join(scale.soak_report(S)))
    print("\n".join("- " + v for v in scale.soak_verdicts(S)))


def instances_only(h):
    sink = h.Sink()
    sink.start()
    try:
        system = h.Latchkey("postgres")
        system.setup_campaign()
        I = scale.instances(h, system)
    finally:
        sink.stop()
    print("\n".join(scale.instances_report(h, I)))
    print("- " + scale.instances_verdict(I))


def campaign_only(h):
    """The campaign and its ceiling on fresh databases, both backends."""
    R = {"campaign": {}, "mail_connections": h.MAIL_CONNECTIONS}
    sink = h.Sink()
    sink.start()
    try:
        for backend in ("sqlite", "postgres"):
            system = h.Latchkey(backend)
            h.log(f"setting up {system.name}")
            system.setup_campaign()
            system.start()
            try:
                R["mail_size"] = system.campaign_mail_size(sink)
                R["campaign"][system.name] = h.campaign(system)
            finally:
                system.stop()
        R["smtp"] = h.smtp_ceiling(R["mail_size"])
    finally:
        sink.stop()
    with open(os.path.join(h.WORK, "campaign.json"), "w") as f:
        json.dump(R, f, indent=2, default=str)
    n = h.MAIL_CONNECTIONS
    print(f"\nA campaign of {h.CAMPAIGN:,} personal reset mails ({R['mail_size']:,} bytes each), "
          f"{n} SMTP connection(s) on both sides; median of {h.RUNS} (min–max):\n")
    print("| System | Mails/s | of ceiling |")
    print("|---|---|---|")
    for name, c in R["campaign"].items():
        print(f"| {name} | {h.fmt(c)} | {h.pct(c['median'], R['smtp']['median'])} |")
    print(f"| `smtp-source -s {n}` → `smtp-sink` (ceiling) | {h.fmt(R['smtp'])} | 100 % |")
    print("")
    for name in R["campaign"]:
        print("- " + verdicts.campaign_verdict(h, R, name))


def targets_only(h, forgot, signin):
    """`--forgot-only` / `--signin-only` (reset completions and sign-ins): only those
    measurements."""
    R = {"forgot": {}, "completions": {}, "logins": {}, "memory": {}}
    sink = h.Sink()
    sink.start()
    existing = [f"user{i:05d}@example.com" for i in range(h.USERS)]
    unknown = [f"nobody{i:05d}@example.org" for i in range(h.USERS)]
    try:
        if signin:
            R["argon2"] = h.argon2_ceiling()
        for backend in ("sqlite", "postgres"):
            system = h.Latchkey(backend)
            system.setup()
            system.start()
            try:
                if forgot:
                    R["forgot"][system.name] = h.forgot_throughput(system, existing, unknown)
                if signin:
                    R["completions"][system.name] = h.completions(system, sink, h.LOGIN_USERS)
                    R["logins"][system.name] = h.logins(system)
                R["memory"][system.name] = {"peak_kib": h.rss_kib(system.proc.pid, "VmHWM")}
                h.log(f"{system.name} peak RSS {R['memory'][system.name]['peak_kib']} KiB")
            finally:
                system.stop()
        if forgot:
            probe = h.Probe()
            probe.start()
            R["probe"] = h.probe_throughput(probe, unknown)
            probe.stop()
    finally:
        sink.stop()
    with open(os.path.join(h.WORK, "targets.json"), "w") as f:
        json.dump(R, f, indent=2, default=str)
    print("\n".join(verdicts.issue20_verdicts(h, R, " (this part only)")))
