#!/usr/bin/env python3
"""CPU per call against calls in progress; run it through scripts/bench/held (root, sipp).

The same namespaces and daemon config as scripts/bench/calls (calls.py, imported). For each
level L of calls in progress, a fresh daemon gets calls at a fixed --rate R, each held
L / R seconds (INVITE, 200, ACK, hold, BYE, 200), so that L calls are up at any time once the
first ones hang up. After the ramp (the hold, plus a margin), the daemon's CPU is read over
--window seconds; CPU per call = CPU time / calls handled in the window. The daemon is pinned
to CPU 1 and both sipp instances to CPU 0 (taskset), so the load generator does not take the
daemon's core.

Two series: calls with SDP (each call anchors one stream: four sockets, so the open-file limit
caps this series; levels above it are skipped and said so) and calls without SDP (signalling
only, up to 20,000). A flat CPU per call across levels is the target (within 20 %). Every run
must complete every call: a failed call fails the bench.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calls as cb  # noqa: E402  (the shared topology, daemon and sipp helpers)

SBC_CPU, SIPP_CPU = "1", "0"


def pin(pid, cpu):
    cb.run(["taskset", "-a", "-p", "-c", cpu, str(pid)], check=True)


def sipp_args(role, sdp, local_ip, target=None, rate=None, calls=None, hold_ms=None, limit=None, timeout_s=600):
    scenario = cb.SCENARIOS / (f"{role}.xml" if sdp else f"{role}_nosdp.xml")
    args = ["-sf", str(scenario), "-i", local_ip, "-p", str(cb.SIP_PORT), "-timeout", f"{int(timeout_s)}s"]
    if role == "uac":
        args = [target] + args + [
            "-s", "4930123", "-r", str(rate), "-rp", "1000", "-m", str(calls), "-l", str(limit),
            "-d", str(hold_ms), "-recv_timeout", "10000", "-timeout_error",
        ]
    else:
        args += ["-m", str(calls), "-recv_timeout", str(hold_ms + 30000)]
    return args


def level(workdir, binary, config, rate, held, sdp, window):
    d = workdir / f"{'sdp' if sdp else 'nosdp'}-{held}"
    d.mkdir()
    hold_s = held / rate
    ramp = hold_s + 3.0
    calls = int(rate * (ramp + window + 1.0))
    limit = int(held * 1.5) + 200
    sbc = cb.Sbc(binary, config, d)
    pin(sbc.pid, SBC_CPU)
    uas = cb.Sipp(cb.NS_PBX, "uas", d, sipp_args("uas", sdp, cb.PBX_IP, calls=calls, hold_ms=int(hold_s * 1000),
                                                timeout_s=ramp + window + hold_s + 60))
    try:
        cb.wait_bound(cb.NS_PBX, [f"{cb.PBX_IP}:{cb.SIP_PORT}"], uas.proc, "sipp uas", timeout=5)
        pin(uas.pid, SIPP_CPU)
        uac = cb.Sipp(cb.NS_CARRIER, "uac", d, sipp_args(
            "uac", sdp, cb.CARRIER_IP, target=f"{cb.SBC_OUT_IP}:{cb.SIP_PORT}", rate=rate, calls=calls,
            hold_ms=int(hold_s * 1000), limit=limit, timeout_s=ramp + window + hold_s + 60))
        pin(uac.pid, SIPP_CPU)
        time.sleep(ramp)
        up_before = cb.stat_int(uac.stat(), "CurrentCall")
        cpu = cb.CpuWindow({"sbc": sbc.pid, "uac": uac.pid, "uas": uas.pid})
        created_before = cb.stat_int(uac.stat(), "TotalCallCreated")
        cpu.start()
        time.sleep(window)
        cpu.stop()
        created_after = cb.stat_int(uac.stat(), "TotalCallCreated")
        up_after = cb.stat_int(uac.stat(), "CurrentCall")
        rss = cb.proc_rss_bytes(sbc.pid)
        uac_rc = uac.wait(hold_s + 60)
        uas.wait(15)
    finally:
        for p in (uas.proc,):
            if p.poll() is None:
                p.kill()
                p.wait()
        alive = sbc.alive()
        sbc.stop()
        log_counts = sbc.log_counts()
    a, b = uac.stat(), uas.stat()
    ok, failed = cb.stat_int(a, "SuccessfulCall(C)"), cb.stat_int(a, "FailedCall(C)") + cb.stat_int(b, "FailedCall(C)")
    pct = cpu.pct()
    handled = max(1, created_after - created_before)
    per_call_us = pct.get("sbc", 0.0) / 100.0 * pct.get("window_s", window) / handled * 1e6
    r = {
        "sdp": sdp, "held": held, "rate": rate, "hold_s": hold_s, "dir": str(d),
        "up": (up_before, up_after), "handled": handled, "cpu": pct, "per_call_us": per_call_us,
        "rss": rss, "ok": ok, "calls": calls, "failed": failed, "uac_rc": uac_rc,
        "alive": alive, "panics": log_counts.get("panics", 0),
    }
    cb.log(
        f"  {'SDP ' if sdp else 'no SDP'} {held:6d} held ({hold_s:5.1f} s at {rate} cps): up {up_before}..{up_after},"
        f" sbc {pct.get('sbc', 0):5.1f} % of a core, {per_call_us:6.0f} µs per call,"
        f" RSS {cb.fmt_bytes(rss or 0)}; calls ok {ok}/{calls} failed {failed}"
    )
    if failed or ok != calls or not alive or r["panics"]:
        raise cb.BenchError(f"calls failed at {held} held ({'SDP' if sdp else 'no SDP'}); evidence in {d}")
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--rate", type=int, default=500, help="calls/s offered at every level (default 500)")
    p.add_argument("--levels", default="100,1000,5000,20000",
                   help="calls in progress without SDP (default 100,1000,5000,20000)")
    p.add_argument("--sdp-levels", default="100,1000,4500",
                   help="calls in progress with SDP, each anchoring a stream (default 100,1000,4500: four sockets"
                        " per call, so the open-file limit caps them)")
    p.add_argument("--window", type=int, default=15, help="seconds of CPU measurement per level (default 15)")
    p.add_argument("--no-sdp-only", action="store_true", help="skip the series with SDP (media anchored)")
    opts = p.parse_args()
    levels = [int(x) for x in opts.levels.split(",") if x.strip()]
    sdp_levels = [int(x) for x in opts.sdp_levels.split(",") if x.strip()]
    workdir = Path(f"/tmp/sbc-bench-held-{int(time.time())}")
    workdir.mkdir()
    config = workdir / "sbc.toml"
    config.write_text(cb.config_text(False))
    cb.topology_up()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    anchored_cap = (hard - 200) // 4 if hard != resource.RLIM_INFINITY else None
    cb.log(f"bench/held: {opts.rate} calls/s, levels {sdp_levels} with SDP, {levels} without; window {opts.window} s;"
           f" logs in {workdir}")
    cb.log(f"  open-file hard limit {hard}: at most ~{anchored_cap} anchored calls (four sockets each)")
    results = []
    series = [False] if opts.no_sdp_only else [True, False]
    for sdp in series:
        for held in sdp_levels if sdp else levels:
            if sdp and anchored_cap is not None and held > anchored_cap:
                cb.log(f"  SDP    {held:6d} held: skipped (over the open-file limit's ~{anchored_cap} anchored calls)")
                continue
            results.append(level(workdir, Path(opts.binary), config, opts.rate, held, sdp, opts.window))
    cb.log("")
    cb.log("| calls in progress | with SDP: SBC CPU, µs per call | without SDP: SBC CPU, µs per call |")
    cb.log("|---|---|---|")
    for held in sorted(set(levels) | set(sdp_levels)):
        cells = []
        for sdp in (True, False):
            r = next((r for r in results if r["held"] == held and r["sdp"] == sdp), None)
            cells.append(f"{r['cpu'].get('sbc', 0):.0f} %, {r['per_call_us']:.0f} µs" if r else "—")
        cb.log(f"| {held:,} | {cells[0]} | {cells[1]} |")
    for sdp in series:
        xs = [r["per_call_us"] for r in results if r["sdp"] == sdp]
        if xs:
            spread = (max(xs) - min(xs)) / min(xs) * 100
            cb.log(f"RESULT per_call_us_{'sdp' if sdp else 'nosdp'} min={min(xs):.0f} max={max(xs):.0f} spread={spread:.0f}%")
    return 0


if __name__ == "__main__":
    code = 1
    try:
        code = main()
    except cb.BenchError as e:
        print(f"bench: {e}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        code = 130
    finally:
        cb.cleanup()
    sys.exit(code)
