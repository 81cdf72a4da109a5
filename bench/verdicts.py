"""The verdicts of a run: each target, met or missed, with the measured figure."""

import statistics

import flood
import scale


def all_verdicts(h, R):
    """Every verdict of a full run, one line each."""
    pct = h.pct
    out = []
    probe = statistics.median([r["rps"] for r in R["probe"]])
    peer = {k: statistics.median([r["rps"] for r in v]) for k, v in R["forgot"]["Django (peer)"].items()}
    for name in ("Latchkey/SQLite", "Latchkey/PostgreSQL"):
        f = R["forgot"][name]
        own = {k: statistics.median([r["rps"] for r in v]) for k, v in f.items()}
        p99 = max(statistics.median([r["p99"] for r in v]) for v in f.values()) / 1000
        worst = min(own["existing"] / peer["existing"], own["unknown"] / peer["unknown"])
        out.append(f"{name} forgot-password: {worst:.0f}× the peer at worst (target ≥ 20×: "
                   f"{'met' if worst >= 20 else 'missed'}); {pct(min(own.values()), probe)} of the probe "
                   f"(target ≥ 50 %: {'met' if min(own.values()) >= probe / 2 else 'missed'}); "
                   f"p99 {p99:.2f} ms (target ≤ 5 ms: {'met' if p99 <= 5 else 'missed'}).")
        g = R["gap"][name]
        out.append(f"{name} timing gap: {g['gap_us']:+.0f} µs, Mann–Whitney p = {g['mann_whitney_p']:.3g} "
                   f"({'no measurable gap at the 1 % level' if g['mann_whitney_p'] >= 0.01 else 'MEASURABLE at the 1 % level'}).")
        c, lg = R["completions"][name]["median"], R["logins"][name]["median"]
        ceil = R["argon2"]["median"]
        out.append(f"{name} completions {pct(c, ceil)} and sign-ins {pct(lg, ceil)} of the argon2 ceiling "
                   f"(target ≥ 90 %: {'met' if min(c, lg) >= 0.9 * ceil else 'missed'}).")
        out.append(campaign_verdict(h, R, name))
        idle = R["memory"][name]["idle_kib"] / 1024
        out.append(f"{name} idle RSS {idle:.1f} MiB (target ≤ 30 MB: {'met' if idle * 1.048576 <= 30 else 'missed'}).")
    out += issue20_verdicts(h, R)
    if R.get("soak"):
        out += scale.soak_verdicts(R["soak"])
    if R.get("flood"):
        out += flood.verdicts(R["flood"])
    if R.get("instances"):
        out.append(scale.instances_verdict(R["instances"]))
    return out


# Issue 20's targets for forgot-password (share of the probe), completions and sign-ins (share
# of the argon2 ceiling), and peak RSS, per backend.
ISSUE20 = {"Latchkey/SQLite": {"probe": 0.50, "argon2": 0.90},
           "Latchkey/PostgreSQL": {"probe": 0.35, "argon2": 0.85}}
PEAK_RSS_TARGET_MB = 150


def issue20_verdicts(h, R, part=""):
    """One line per issue-20 target this run measured: met or missed, with the figure. `part`:
    what a partial run measured (its peak RSS is that part's only)."""
    pct = h.pct
    out = []
    for name, t in ISSUE20.items():
        if R.get("probe") and name in R.get("forgot", {}):
            probe = statistics.median([r["rps"] for r in R["probe"]])
            own = min(statistics.median([r["rps"] for r in v]) for v in R["forgot"][name].values())
            out.append(f"Issue 20, {name} forgot-password: {pct(own, probe)} of the probe "
                       f"(target ≥ {t['probe']:.0%}: {'met' if own >= t['probe'] * probe else 'missed'}).")
            p99 = max(statistics.median([r["p99"] for r in v]) for v in R["forgot"][name].values())
            probe_p99 = statistics.median([r["p99"] for r in R["probe"]])
            out.append(f"Issue 20, {name} forgot-password p99: {p99 / 1000:.2f} ms, the probe's "
                       f"{probe_p99 / 1000:.2f} ms at the same {h.CONNECTIONS} connections (target ≤ 2×: "
                       f"{'met' if p99 <= 2 * probe_p99 else 'missed'}).")
        ceil = R.get("argon2", {}).get("median")
        for what, label in (("completions", "reset completions"), ("logins", "sign-ins")):
            if ceil and name in R.get(what, {}):
                v = R[what][name]["median"]
                out.append(f"Issue 20, {name} {label}: {pct(v, ceil)} of the argon2 ceiling "
                           f"(target ≥ {t['argon2']:.0%}: {'met' if v >= t['argon2'] * ceil else 'missed'}).")
        peak = R.get("memory", {}).get(name, {}).get("peak_kib")
        if peak:
            mb = peak * 1.024 / 1000
            out.append(f"Issue 20, {name} peak RSS{part}: {mb:.0f} MB "
                       f"(target ≤ {PEAK_RSS_TARGET_MB} MB: {'met' if mb <= PEAK_RSS_TARGET_MB else 'missed'}).")
    return out


def campaign_verdict(h, R, name):
    """The campaign against its target: ≥ 30 % of the ceiling on SQLite, ≥ 20 % on PostgreSQL."""
    m, ceiling = R["campaign"][name]["median"], R["smtp"]["median"]
    target = 0.3 if name == "Latchkey/SQLite" else 0.2
    return (f"{name} campaign {h.pct(m, ceiling)} of the smtp-sink ceiling "
            f"(target ≥ {target * 100:.0f} %: {'met' if m >= target * ceiling else 'missed'}).")
