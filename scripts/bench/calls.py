#!/usr/bin/env python3
"""Call-signalling benchmark of the SBC; run it through scripts/bench/calls (root, sipp).

Builds its own network namespaces

    bench-carrier  eth0 10.91.1.2 --- out0 10.91.1.1  bench-sbc  in0 10.91.2.1 --- eth0 10.91.2.2  bench-pbx
                   ref0 10.91.3.2 ------------------------------------------------ ref0 10.91.3.3

(ip_forward off in bench-sbc; the ref0 pair is a direct link used for the sipp-to-sipp
reference), starts the real daemon in bench-sbc and sipp in the peers, and measures:

  1. the highest calls/s sustained for --window seconds with zero failed calls through the SBC
     (INVITE/200/ACK, --hold-ms pause, BYE/200), and the SBC's CPU at that rate;
  2. the same search sipp-to-sipp over the direct link (the reference: what sipp itself does
     on this machine);
  3. RSS of a fresh SBC before and while --dialogs calls are held up at once: bytes per dialog;
     then the same cycle again, whose RSS growth shows whether freed call state is reused.

Every loop has a count and a deadline; the whole run stays within --budget seconds. All traffic
stays inside the namespaces created here; they are removed at exit (also on error and Ctrl-C).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"

NS_CARRIER, NS_SBC, NS_PBX = "bench-carrier", "bench-sbc", "bench-pbx"
NAMESPACES = (NS_CARRIER, NS_SBC, NS_PBX)

CARRIER_IP, SBC_OUT_IP, SBC_IN_IP, PBX_IP = "10.91.1.2", "10.91.1.1", "10.91.2.1", "10.91.2.2"
REF_CARRIER_IP, REF_PBX_IP = "10.91.3.2", "10.91.3.3"
SIP_PORT = 5060

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# Published scale reference (from the issue), printed for context.
PUBLISHED = (
    "Ribbon SBC SWe Lite: 50 CPS and 1,000 sessions on 2 vCPU (published); "
    "target here: 1,000 CPS with zero failures and 20,000 concurrent dialogs"
)


class BenchError(Exception):
    """A failure that ends the benchmark with a message (and evidence) instead of a figure."""


def log(msg=""):
    print(msg, flush=True)


def run(argv, check=True, **kw):
    out = subprocess.run(argv, capture_output=True, text=True, **kw)
    if check and out.returncode != 0:
        raise BenchError(f"`{' '.join(map(str, argv))}` failed ({out.returncode}): {out.stderr.strip()}")
    return out


def tail(path, lines=30):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(missing)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


# ---------------------------------------------------------------------------------------------
# /proc readings


def proc_cpu_ticks(pid):
    """utime + stime of a process, in clock ticks; None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    # After "pid (comm) ": state is field 3, utime field 14, stime field 15.
    return int(fields[11]) + int(fields[12])


def ns_cpu_ticks(ns):
    """utime + stime of every process in network namespace `ns` (what a multi-process
    reference such as Kamailio's children plus rtpengine costs), in clock ticks."""
    out = run(["ip", "netns", "pids", ns], check=False).stdout
    return sum(proc_cpu_ticks(int(p)) or 0 for p in out.split())


def proc_rss_bytes(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def host_busy_ticks():
    """Busy and total ticks of the whole machine (all cores), from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return sum(parts) - idle


def udp_counters(ns):
    """The kernel's UDP counters of a namespace (/proc/net/snmp is per namespace)."""
    out = run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"], check=False).stdout
    rows = [line.split()[1:] for line in out.splitlines() if line.startswith("Udp:")]
    if len(rows) < 2:
        return {}
    return {k: int(v) for k, v in zip(rows[0], rows[1])}


def udp_drops(before, after):
    """Datagrams the kernel dropped between two udp_counters() readings, per namespace:
    receive-buffer overflows (the reader was too slow) and send-buffer failures."""
    out = {}
    for ns in before:
        b, a = before[ns], after.get(ns, {})
        out[ns] = sum(a.get(k, 0) - b.get(k, 0) for k in ("RcvbufErrors", "SndbufErrors"))
    return out


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class CpuWindow:
    """CPU of some processes and of the host between start() and stop(), as % of one core."""

    def __init__(self, pids):
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self.t0 = self.t1 = None
        self.a = self.b = {}

    def _sample(self):
        sample = {name: ns_cpu_ticks(pid[3:]) if isinstance(pid, str) and pid.startswith("ns:") else proc_cpu_ticks(pid)
                  for name, pid in self.pids.items()}
        sample["host"] = host_busy_ticks()
        return time.monotonic(), sample

    def start(self):
        self.t0, self.a = self._sample()

    def stop(self):
        self.t1, self.b = self._sample()

    def pct(self):
        if self.t0 is None or self.t1 is None or self.t1 <= self.t0:
            return {}
        wall = self.t1 - self.t0
        out = {}
        for name, before in self.a.items():
            after = self.b.get(name)
            if before is not None and after is not None:
                out[name] = (after - before) / TICKS / wall * 100.0
        out["window_s"] = wall
        return out


# ---------------------------------------------------------------------------------------------
# Topology


def ns_list():
    out = run(["ip", "netns", "list"], check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def kill_ns_processes(ns):
    out = run(["ip", "netns", "pids", ns], check=False).stdout
    for pid in out.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def topology_down():
    present = ns_list()
    for ns in NAMESPACES:
        if ns in present:
            kill_ns_processes(ns)
    for ns in NAMESPACES:
        if ns in present:
            run(["ip", "netns", "delete", ns], check=False)


def topology_up():
    topology_down()
    for ns in NAMESPACES:
        run(["ip", "netns", "add", ns])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
    # veth ends are created directly inside the namespaces: nothing appears in the root one.
    run(["ip", "link", "add", "name", "eth0", "netns", NS_CARRIER, "type", "veth", "peer", "name", "out0", "netns", NS_SBC])
    run(["ip", "link", "add", "name", "in0", "netns", NS_SBC, "type", "veth", "peer", "name", "eth0", "netns", NS_PBX])
    run(["ip", "link", "add", "name", "ref0", "netns", NS_CARRIER, "type", "veth", "peer", "name", "ref0", "netns", NS_PBX])
    for ns, dev, addr in (
        (NS_CARRIER, "eth0", CARRIER_IP),
        (NS_SBC, "out0", SBC_OUT_IP),
        (NS_SBC, "in0", SBC_IN_IP),
        (NS_PBX, "eth0", PBX_IP),
        (NS_CARRIER, "ref0", REF_CARRIER_IP),
        (NS_PBX, "ref0", REF_PBX_IP),
    ):
        run(["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev])
        run(["ip", "-n", ns, "link", "set", dev, "up"])
    run(["ip", "netns", "exec", NS_SBC, "sysctl", "-qw", "net.ipv4.ip_forward=0"])


def udp_bound(ns, addr):
    out = run(["ip", "netns", "exec", ns, "ss", "-Hlun"], check=False).stdout
    return any(addr in line.split() for line in out.splitlines())


def wait_bound(ns, addrs, proc, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if all(udp_bound(ns, a) for a in addrs):
            return True
        time.sleep(0.05)
    raise BenchError(f"{what}: sockets {addrs} not bound after {timeout:.0f} s")


# ---------------------------------------------------------------------------------------------
# The daemon

def config_text(firewall, metrics=False, ladder=True):
    """The daemon's config: the bench topology, routes both ways, the firewall on or off
    (--firewall: the SBC's nftables table in bench-sbc, per-call pinholes in the kernel),
    with --metrics the Prometheus endpoint on bench-sbc's loopback, and with --no-ladder
    `[log] ladder = false` (no SIP messages kept per call)."""
    text = CONFIG.replace("@FIREWALL_STATE@", "on" if firewall else "off").replace(
        "@FIREWALL_ENABLED@", "true" if firewall else "false")
    if not ladder:
        text = text.replace("\n[firewall]\n", "\n[log]\nladder = false\n\n[firewall]\n", 1)
    if metrics:
        text = text.replace("\n[firewall]\n", f"\n[metrics]\nlisten = \"{METRICS_LISTEN}\"\nallow = [\"127.0.0.0/8\"]\n\n[firewall]\n", 1)
    return text


# --metrics: where /metrics is served (bench-sbc's loopback), scraped once a second.
METRICS_LISTEN = "127.0.0.1:9090"


class Scraper:
    """--metrics: curl fetches /metrics once a second in bench-sbc while a trial's SBC runs
    (a scraper far busier than Prometheus' usual 15 s), each answer's HTTP status appended to
    scrapes.log in the trial's directory."""

    def __init__(self, logdir):
        self.log = logdir / "scrapes.log"
        loop = (f"while :; do curl -s -o /dev/null --max-time 5 -w '%{{http_code}}\\n' "
                f"http://{METRICS_LISTEN}/metrics >> '{self.log}'; sleep 1; done")
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS_SBC, "sh", "-c", loop],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        PROCS.append(self.proc)

    def stop(self):
        """Stops the loop; (scrapes answered 200, scrapes in all)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        codes = self.log.read_text().split() if self.log.exists() else []
        return sum(1 for c in codes if c == "200"), len(codes)


CONFIG = f"""# Written by scripts/bench/calls: the bench topology, firewall @FIREWALL_STATE@, routes both ways.
[system]
name = "bench-sbc"
state_dir = "state"

[management]
listen = "127.0.0.1:8443"
allow = ["127.0.0.0/8"]

[firewall]
enabled = @FIREWALL_ENABLED@

[sip]
max_message_size = 65535
max_headers = 128

[[realm]]
name = "outside"
listen = ["udp:{SBC_OUT_IP}:{SIP_PORT}"]
media_ip = "{SBC_OUT_IP}"
media_ports = "10000-59999"

[[realm]]
name = "inside"
listen = ["udp:{SBC_IN_IP}:{SIP_PORT}"]
media_ip = "{SBC_IN_IP}"
media_ports = "10000-59999"

[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:{CARRIER_IP}:{SIP_PORT}"]

[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:{PBX_IP}:{SIP_PORT}"]

[[route]]
from = "carrier"
to = "pbx"

[[route]]
from = "pbx"
to = "carrier"
"""


class Sbc:
    def __init__(self, binary, config, logdir):
        self.log_path = logdir / "sbc.log"
        env = dict(os.environ, RUST_LOG="warn", NO_COLOR="1", RUST_BACKTRACE="1")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS_SBC, str(binary), "--config", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=open(logdir / "sbc.out", "wb"),
            stderr=open(self.log_path, "wb"),
            env=env,
            cwd=logdir,
        )
        PROCS.append(self.proc)
        if not wait_bound(NS_SBC, [f"{SBC_OUT_IP}:{SIP_PORT}", f"{SBC_IN_IP}:{SIP_PORT}"], self.proc, "sbc"):
            raise BenchError(f"sbc exited at start ({self.proc.returncode}); log:\n{tail(self.log_path)}")

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def log_counts(self):
        """Counts what matters in the log; an overloaded daemon logs every datagram it drops,
        so a large log is then cut to its first and last lines (the counts stay exact)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        lines = text.splitlines()
        counts = {
            "panics": text.count("panicked"),
            "drops": text.count("datagram dropped"),
            "errors": sum(1 for line in lines if " ERROR " in line),
        }
        if len(text) > 2_000_000 and self.proc.poll() is not None:
            cut = len(lines) - 400
            self.log_path.write_text("\n".join(lines[:200] + [f"[... {cut} lines cut by scripts/bench/calls ...]"] + lines[-200:]) + "\n")
        return counts

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class KamailioRef:
    """The reference SBC of --compare-kamailio: Debian's Kamailio (record-routing proxy) with
    Debian's rtpengine anchoring each call's media, both in bench-sbc, from
    scripts/bench/reference/kamailio-rtpengine.cfg. Offers the same interface as Sbc."""

    NG_PORT = 2223

    def __init__(self, logdir, children):
        cfg = (Path(__file__).resolve().parent / "reference" / "kamailio-rtpengine.cfg").read_text()
        for key, value in (("CARRIER_IP", CARRIER_IP), ("PBX_IP", PBX_IP), ("SBC_OUT_IP", SBC_OUT_IP),
                           ("SBC_IN_IP", SBC_IN_IP), ("NG_PORT", str(self.NG_PORT)), ("CHILDREN", str(children))):
            cfg = cfg.replace(f"@{key}@", value)
        (logdir / "kamailio.cfg").write_text(cfg)
        self.log_path = logdir / "kamailio.log"
        self.rtpengine = subprocess.Popen(
            ["ip", "netns", "exec", NS_SBC, "rtpengine", "--foreground", "--config-file=none", "--table=-1",
             f"--interface=outside/{SBC_OUT_IP}", f"--interface=inside/{SBC_IN_IP}",
             f"--listen-ng=127.0.0.1:{self.NG_PORT}", "--port-min=20000", "--port-max=59999",
             f"--num-threads={os.cpu_count()}", "--log-stderr", "--log-level=4", "--delete-delay=0",
             "--timeout=60"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(logdir / "rtpengine.log", "wb"),
        )
        PROCS.append(self.rtpengine)
        # Kamailio pings rtpengine at start and disables it if nobody answers.
        if not wait_bound(NS_SBC, [f"127.0.0.1:{self.NG_PORT}"], self.rtpengine, "rtpengine"):
            raise BenchError(f"rtpengine exited at start; log:\n{tail(logdir / 'rtpengine.log')}")
        self.proc = subprocess.Popen(
            # 1 GiB of shared memory: 256 MiB ran out near 1,800 calls/s with 1 s holds.
            ["ip", "netns", "exec", NS_SBC, "kamailio", "-DD", "-E", "-m", "1024", "-M", "16",
             "-f", str(logdir / "kamailio.cfg"), "-Y", str(logdir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "wb"),
        )
        PROCS.append(self.proc)
        if not wait_bound(NS_SBC, [f"{SBC_OUT_IP}:{SIP_PORT}", f"{SBC_IN_IP}:{SIP_PORT}"], self.proc, "kamailio"):
            raise BenchError(f"kamailio exited at start; log:\n{tail(self.log_path)}")
        time.sleep(0.5)  # its children bind after the main process

    @property
    def pid(self):
        return f"ns:{NS_SBC}"

    def alive(self):
        return self.proc.poll() is None and self.rtpengine.poll() is None

    def log_counts(self):
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return {"panics": text.count("CRITICAL"), "drops": 0, "errors": text.count("ERROR")}

    def stop(self):
        for p in (self.proc, self.rtpengine):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


# ---------------------------------------------------------------------------------------------
# sipp

PROCS = []  # every process started, killed at exit


def parse_stat(path):
    """The last row of a sipp -trace_stat file as {column: value}; {} if none yet."""
    try:
        lines = [l for l in Path(path).read_text(errors="replace").splitlines() if l.strip()]
    except OSError:
        return {}
    if len(lines) < 2:
        return {}
    head = lines[0].split(";")
    return dict(zip(head, lines[-1].split(";")))


def creation_rates(path, calls):
    """How fast the caller created calls, from its per-second -trace_stat rows: (mean, slowest
    one-second interval) in calls/s over the intervals before the last call was created; None
    when the run was too short to tell."""
    try:
        lines = [l for l in Path(path).read_text(errors="replace").splitlines() if l.strip()]
    except OSError:
        return None
    if len(lines) < 3:
        return None
    head = lines[0].split(";")
    try:
        ti, ci = head.index("CurrentTime"), head.index("TotalCallCreated")
    except ValueError:
        return None
    rows = []
    for line in lines[1:]:
        f = line.split(";")
        try:
            rows.append((float(f[ti].split("\t")[-1]), int(f[ci])))
        except (IndexError, ValueError):
            continue
    rates = []
    for (t1, c1), (t2, c2) in zip(rows, rows[1:]):
        if c2 >= calls:
            break
        if t2 - t1 >= 0.5:
            rates.append(((c2 - c1) / (t2 - t1), t2, c2))
    if not rates:
        return None
    t_last, c_last = rates[-1][1], rates[-1][2]
    mean = (c_last - rows[0][1]) / max(0.001, t_last - rows[0][0])
    return mean, min(r[0] for r in rates)


def stat_int(stat, key):
    try:
        return int(stat.get(key, "0"))
    except ValueError:
        return 0


def stat_ms(stat, key):
    """sipp durations look like HH:MM:SS:micro."""
    value = stat.get(key, "")
    try:
        h, m, s, us = (int(x) for x in value.split(":"))
    except ValueError:
        return None
    return ((h * 60 + m) * 60 + s) * 1000 + us / 1000


class Sipp:
    def __init__(self, ns, name, logdir, args):
        self.dir = logdir
        self.stat_path = logdir / f"{name}.csv"
        self.err_path = logdir / f"{name}-errors.log"
        argv = ["ip", "netns", "exec", ns, "sipp"] + args + [
            "-t", "u1", "-nostdin", "-bind_local",
            "-buff_size", "4194304",
            "-trace_stat", "-stf", str(self.stat_path), "-fd", "1",
            "-trace_err", "-error_file", str(self.err_path), "-max_log_size", "2000000",
        ]
        (logdir / f"{name}.cmd").write_text(" ".join(argv) + "\n")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=open(logdir / f"{name}.out", "wb"),
            stderr=open(logdir / f"{name}.err", "wb"),
            cwd=logdir,
        )
        PROCS.append(self.proc)
        self.ended = None

    @property
    def pid(self):
        return self.proc.pid

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout=max(0.1, timeout))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.ended = self.ended or time.monotonic()
        return rc

    def poll(self):
        rc = self.proc.poll()
        if rc is not None and self.ended is None:
            self.ended = time.monotonic()
        return rc

    def stat(self):
        return parse_stat(self.stat_path)

    def error_tail(self, lines=15):
        return tail(self.err_path, lines)


def uac_args(target, local_ip, rate, calls, hold_ms, limit, timeout_s, recv_timeout_ms):
    return [
        target, "-sf", str(SCENARIOS / "uac.xml"), "-i", local_ip, "-p", str(SIP_PORT),
        "-s", "4930123", "-r", str(rate), "-rp", "1000", "-m", str(calls), "-l", str(limit),
        "-d", str(hold_ms), "-recv_timeout", str(recv_timeout_ms),
        "-timeout", f"{int(timeout_s)}s", "-timeout_error",
    ]


def uas_args(local_ip, calls, timeout_s, recv_timeout_ms):
    return [
        "-sf", str(SCENARIOS / "uas.xml"), "-i", local_ip, "-p", str(SIP_PORT),
        "-m", str(calls), "-recv_timeout", str(recv_timeout_ms),
        "-timeout", f"{int(timeout_s)}s",
    ]


# ---------------------------------------------------------------------------------------------
# The benchmark


class Bench:
    def __init__(self, opts, workdir, binary):
        self.opts = opts
        self.workdir = workdir
        self.binary = binary
        self.config = workdir / "sbc.toml"
        self.config.write_text(config_text(opts.firewall, opts.metrics, not opts.no_ladder))
        self.started = time.monotonic()
        self.deadline = self.started + opts.budget
        self.n_trial = 0
        self.trials = []

    def left(self):
        return self.deadline - time.monotonic()

    def check_config(self):
        out = run([str(self.binary), "check-config", str(self.config)], check=False)
        if out.returncode != 0:
            raise BenchError(f"the bench config does not validate:\n{out.stdout}{out.stderr}")

    # -- one fixed-rate run --------------------------------------------------------------------

    def trial(self, kind, rate, secs):
        """Runs `rate` calls/s for `secs` s (kind "sbc": through the daemon; "ref": sipp to
        sipp over the direct link). Returns a dict of what happened; "pass" when every call
        succeeded on both sides, the caller kept up (no second below 90 % of the rate) and the
        daemon is alive; "overload" when it passed with signs of overload all the same."""
        self.n_trial += 1
        d = self.workdir / f"{self.n_trial:02d}-{kind}-{rate}cps-{secs}s"
        d.mkdir()
        calls = int(rate * secs)
        hold = self.opts.hold_ms
        limit = max(200, rate * 2)
        uac_timeout = secs * 2 + 20
        kernel_before = {ns: udp_counters(ns) for ns in NAMESPACES}
        through = kind in ("sbc", "kam")
        scraper = None
        if kind == "sbc":
            sbc = Sbc(self.binary, self.config, d)
            if self.opts.metrics:
                scraper = Scraper(d)
        elif kind == "kam":
            sbc = KamailioRef(d, self.opts.kamailio_children)
        else:
            sbc = None
        uas_ip = PBX_IP if through else REF_PBX_IP
        uas = Sipp(NS_PBX, "uas", d, uas_args(uas_ip, calls, uac_timeout + 10, 10000))
        try:
            wait_bound(NS_PBX, [f"{uas_ip}:{SIP_PORT}"], uas.proc, "sipp uas", timeout=5)
            if uas.poll() is not None:
                raise BenchError(f"sipp uas exited at start; see {d}:\n{tail(d / 'uas.err')}")
            target = f"{SBC_OUT_IP}:{SIP_PORT}" if through else f"{REF_PBX_IP}:{SIP_PORT}"
            local = CARRIER_IP if through else REF_CARRIER_IP
            uac = Sipp(NS_CARRIER, "uac", d, uac_args(target, local, rate, calls, hold, limit, uac_timeout, 10000))
            cpu = CpuWindow({"sbc": sbc.pid if sbc else None, "uac": uac.pid, "uas": uas.pid})
            # CPU window: the steady part of the run, 1 s after the start to 1 s before the end.
            margin = 1.0 if secs >= 4 else 0.0
            time.sleep(margin)
            cpu.start()
            t_end = uac.started + secs - margin
            while time.monotonic() < t_end and uac.poll() is None:
                time.sleep(min(0.2, max(0.0, t_end - time.monotonic())))
            if uac.poll() is None:
                cpu.stop()
            uac_rc = uac.wait(uac_timeout + 15 - (time.monotonic() - uac.started))
            uas_rc = uas.wait(8)
        finally:
            if uas.proc.poll() is None:
                uas.proc.kill()
                uas.proc.wait()
            sbc_alive = sbc.alive() if sbc else True
            scrapes = scraper.stop() if scraper else None
            if sbc:
                sbc.stop()
            sbc_log = sbc.log_counts() if sbc else {}
        kernel = udp_drops(kernel_before, {ns: udp_counters(ns) for ns in NAMESPACES})
        a, b = uac.stat(), uas.stat()
        wall = (uac.ended or time.monotonic()) - uac.started
        gen = max(0.001, wall - hold / 1000.0)
        created = creation_rates(uac.stat_path, calls)
        r = {
            "kind": kind, "rate": rate, "secs": secs, "calls": calls, "dir": str(d),
            "uac_rc": uac_rc, "uas_rc": uas_rc,
            "ok": stat_int(a, "SuccessfulCall(C)"),
            "failed": stat_int(a, "FailedCall(C)"),
            "uas_ok": stat_int(b, "SuccessfulCall(C)"),
            "uas_failed": stat_int(b, "FailedCall(C)"),
            "retrans": stat_int(a, "Retransmissions(C)") + stat_int(b, "Retransmissions(C)"),
            "timeouts": stat_int(a, "FailedTimeoutOnRecv(C)") + stat_int(a, "FailedMaxUDPRetrans(C)"),
            "unexpected": stat_int(a, "FailedUnexpectedMessage(C)") + stat_int(b, "FailedUnexpectedMessage(C)"),
            "setup_ms": stat_ms(a, "ResponseTime1(C)"),
            # Calls created per second: the mean, and the slowest second (sipp slows down when
            # its -l limit of open calls is reached, i.e. when calls take too long).
            "achieved": created[0] if created else calls / gen,
            "slowest": created[1] if created else calls / gen,
            "cpu": cpu.pct(),
            "sbc_alive": sbc_alive,
            "sbc_log": sbc_log,
            "kernel_drops_sbc": kernel.get(NS_SBC, 0),
            "kernel_drops_peers": kernel.get(NS_CARRIER, 0) + kernel.get(NS_PBX, 0),
            "scrapes": scrapes,
        }
        r["pass"] = (
            uac_rc == 0 and r["ok"] == calls and r["failed"] == 0
            and r["uas_failed"] == 0 and r["uas_ok"] == calls
            and r["slowest"] >= 0.9 * rate and sbc_alive
            and not sbc_log.get("panics")
        )
        r["overload"] = bool(sbc_log.get("drops")) or r["retrans"] > 0.02 * calls
        self.trials.append(r)
        c = r["cpu"]
        cpu_txt = " ".join(f"{k}={c[k]:.0f}%" for k in ("sbc", "uac", "uas", "host") if k in c)
        extra = ""
        if sbc:
            extra = f" sbc queue drops {sbc_log['drops']}" + ("" if sbc_alive else " SBC-DIED")
        extra += f" kernel udp drops sbc {r['kernel_drops_sbc']} peers {r['kernel_drops_peers']}"
        if scrapes:
            extra += f" metrics scrapes {scrapes[0]}/{scrapes[1]} ok"
        log(
            f"  {kind:3} {rate:6d} cps x {secs:2d} s: ok {r['ok']}/{calls} failed {r['failed']}"
            f" (uas ok {r['uas_ok']} failed {r['uas_failed']}) retrans {r['retrans']}"
            f" created {r['achieved']:.0f}/s (slowest s {r['slowest']:.0f}) cpu[{cpu_txt}]{extra}"
            f" -> {('pass, overload signs' if r['overload'] else 'pass') if r['pass'] else 'FAIL'}"
        )
        if kind == "sbc" and (not sbc_alive or sbc_log.get("panics")):
            raise BenchError(
                f"the daemon died or panicked at {rate} cps (exit {sbc.proc.returncode}); "
                f"evidence in {d}\n--- sbc.log tail:\n{tail(sbc.log_path)}"
            )
        return r

    # -- the search ----------------------------------------------------------------------------

    def search(self, kind, budget, start=None):
        """Highest rate passing a --window run: doubling and bisecting with short --probe runs,
        then confirming with the full window (stepping down 20 % at a time, at most 4 runs).

        A probe counts as good only when it is also free of overload signs (no datagram
        dropped by the daemon's full core queue, retransmissions under 2 % of the calls): a
        short run can end before an overloaded daemon's backlog turns into failed calls.
        Returns (confirmed trial or None, the most telling failed trial or None, note)."""
        o = self.opts
        deadline = min(self.deadline, time.monotonic() + budget)
        confirm_cost = o.window + 10

        def room(secs):
            # Always keep time for two confirmation runs.
            return time.monotonic() + secs + 10 + 2 * confirm_cost < deadline

        def good(r):
            return r["pass"] and not r["overload"]

        failures = []
        note = ""
        start = start or o.start_rate
        rate, lo, hi = start, None, None
        for _ in range(12):
            if rate > o.max_rate:
                note = f"probes stopped at --max-rate {o.max_rate} cps"
                break
            if not room(o.probe):
                note = "search cut by the time budget"
                break
            r = self.trial(kind, rate, o.probe)
            if good(r):
                lo, rate = rate, rate * 2
            else:
                failures.append(r)
                hi = rate
                break
        if lo is None:
            if hi is None:
                return None, None, note or "no time for a single run"
            # Maybe the machine is just busy: one retry at half the start rate.
            r = self.trial(kind, max(10, start // 2), o.probe)
            if not good(r):
                failures.append(r)
                return None, worst(failures, o.window), f"fails already at {start} and {r['rate']} cps"
            lo = r["rate"]
        for _ in range(o.bisect if hi else 0):
            mid = int(round((lo + hi) / 2 / 10.0) * 10)
            if mid <= lo or mid >= hi or not room(o.probe):
                break
            r = self.trial(kind, mid, o.probe)
            if good(r):
                lo = mid
            else:
                hi = mid
                failures.append(r)
        # Confirm over the full window; step down 20 % on failure.
        rate = lo
        for _ in range(4):
            if time.monotonic() + confirm_cost > deadline:
                note = (note + "; " if note else "") + "confirmation cut by the time budget"
                break
            r = self.trial(kind, rate, o.window)
            if r["pass"]:
                return r, worst(failures, o.window), note
            failures.append(r)
            rate = int(round(rate * 0.8 / 10.0) * 10) if rate > 50 else rate // 2
            if rate < 5:
                break
        return None, worst(failures, o.window), note or "no rate passed the full window"

    # -- concurrent dialogs --------------------------------------------------------------------

    def dialogs(self, ramp_rate, target, cycles=2):
        """Fresh daemon; warm-up; RSS; then `cycles` times: `target` calls set up at
        `ramp_rate`, held, RSS read while all are up, all hung up, RSS read again. The growth
        of the first cycle per call is the memory per concurrent dialog; the second cycle
        should reuse what the first freed (a leak shows as the same growth again)."""
        self.n_trial += 1
        d = self.workdir / f"{self.n_trial:02d}-dialogs-{target}"
        d.mkdir()
        sbc = Sbc(self.binary, self.config, d)
        res = {"target": target, "ramp_rate": ramp_rate, "dir": str(d), "cycles": []}
        try:
            # Warm-up: 200 short calls, so one-time allocations are in the baseline.
            w = d / "warmup"
            w.mkdir()
            uas = Sipp(NS_PBX, "uas", w, uas_args(PBX_IP, 200, 40, 10000))
            wait_bound(NS_PBX, [f"{PBX_IP}:{SIP_PORT}"], uas.proc, "sipp uas", timeout=5)
            uac = Sipp(NS_CARRIER, "uac", w, uac_args(f"{SBC_OUT_IP}:{SIP_PORT}", CARRIER_IP, 100, 200, 100, 400, 30, 10000))
            warm_rc = uac.wait(40)
            uas.wait(5)
            if warm_rc != 0:
                raise BenchError(f"warm-up calls failed (sipp {warm_rc}); see {w}:\n{uac.error_tail()}")
            time.sleep(6)  # Timer K (5 s) of the warm-up's BYE transactions
            res["rss_base"] = proc_rss_bytes(sbc.pid)
            for n in range(1, cycles + 1):
                if n > 1 and self.left() < 2 * target / ramp_rate + 40:
                    log(f"  dialogs: no time for cycle {n}")
                    break
                c = d / f"cycle{n}"
                c.mkdir()
                cyc = self.dialog_cycle(sbc, c, ramp_rate, target)
                res["cycles"].append(cyc)
                up = cyc["up"]
                log(
                    f"  dialogs, cycle {n}: {up['uac_current']} calls up at the caller, {up['uas_current']} at the callee,"
                    f" sbc RSS {fmt_bytes(up['rss'])} (base {fmt_bytes(res['rss_base'])}); after hang-up: ok"
                    f" {cyc['ok']}/{target} failed {cyc['failed']} retrans {cyc['retrans']}, RSS {fmt_bytes(cyc['rss_after'])}"
                )
        finally:
            res["sbc_alive"] = sbc.alive()
            sbc.stop()
            res["sbc_log"] = sbc.log_counts()
        if not res["sbc_alive"] or res["sbc_log"]["panics"]:
            raise BenchError(f"the daemon died or panicked during the dialog run; evidence in {d}\n{tail(sbc.log_path)}")
        return res

    def dialog_cycle(self, sbc, d, ramp_rate, target):
        ramp_s = target / ramp_rate
        hold_ms = int((ramp_s + 8) * 1000)
        total = 2 * ramp_s + hold_ms / 1000 + 60
        uas = Sipp(NS_PBX, "uas", d, uas_args(PBX_IP, target, total + 30, hold_ms + 30000))
        wait_bound(NS_PBX, [f"{PBX_IP}:{SIP_PORT}"], uas.proc, "sipp uas", timeout=5)
        uac = Sipp(
            NS_CARRIER, "uac", d,
            uac_args(f"{SBC_OUT_IP}:{SIP_PORT}", CARRIER_IP, ramp_rate, target, hold_ms, target + 100, total, hold_ms + 30000),
        )

        def sample():
            a, b = uac.stat(), uas.stat()
            return {
                "t": round(time.monotonic() - uac.started, 1),
                "rss": proc_rss_bytes(sbc.pid),
                "uac_current": stat_int(a, "CurrentCall"), "uas_current": stat_int(b, "CurrentCall"),
                "uac_created": stat_int(a, "TotalCallCreated"),
            }

        # Wait for the ramp to finish (every call created and up on both sides), bounded by
        # the first hang-ups (hold_ms after the first call).
        up_deadline = uac.started + hold_ms / 1000 - 2
        s = sample()
        while time.monotonic() < up_deadline and uac.poll() is None:
            time.sleep(1)
            s = sample()
            if s["uac_created"] >= target and min(s["uas_current"], s["uac_current"]) >= target:
                break
        time.sleep(max(0.0, min(3.0, up_deadline - time.monotonic())))
        up = sample()
        uac_rc = uac.wait(max(1.0, uac.started + total - time.monotonic()))
        uas.wait(10)
        a, b = uac.stat(), uas.stat()
        time.sleep(6)  # Timer K of the last BYE transactions: the calls are forgotten
        return {
            "up": up, "uac_rc": uac_rc,
            "ok": stat_int(a, "SuccessfulCall(C)"),
            "failed": stat_int(a, "FailedCall(C)") + stat_int(b, "FailedCall(C)"),
            "retrans": stat_int(a, "Retransmissions(C)") + stat_int(b, "Retransmissions(C)"),
            "rss_after": proc_rss_bytes(sbc.pid),
        }


def worst(failures, window):
    """The failure to show: the lowest-rate full-window failure, else the lowest-rate probe."""
    full = [f for f in failures if f["secs"] >= window]
    pool = full or failures
    return min(pool, key=lambda f: f["rate"]) if pool else None


def fmt_bytes(n):
    if n is None:
        return "?"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def fmt(v, spec="{:.0f}"):
    return "n/a" if v is None else spec.format(v)


def setup_txt(r):
    """sipp's average INVITE->200 time (it keeps milliseconds)."""
    v = r.get("setup_ms") if r else None
    return "n/a" if v is None else ("<1 ms" if v < 1 else f"{v:.0f} ms")


def per_call_us(r, who):
    """CPU microseconds per call of `who` in trial r (cpu % of one core / rate)."""
    if not r or who not in r["cpu"]:
        return None
    return r["cpu"][who] / 100.0 / r["rate"] * 1e6


def main():
    p = argparse.ArgumentParser(
        prog="scripts/bench/calls", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="scripts/bench/calls passes --binary (target/release/sbc, $SBC_BIN or $CARGO_TARGET_DIR/release/sbc) "
        "and also takes --build: run cargo build --release -p sbc-daemon first (default: only when the binary is missing).",
    )
    p.add_argument("--binary", required=True, help="the sbc binary")
    p.add_argument("--workdir", default=None, help="where logs go (default: a new /tmp/sbc-bench-calls-*)")
    p.add_argument("--window", type=int, default=20, help="seconds a rate must be sustained (default 20)")
    p.add_argument("--probe", type=int, default=5, help="seconds of each search probe (default 5)")
    p.add_argument("--start-rate", type=int, default=100, help="first rate tried, calls/s (default 100)")
    p.add_argument("--max-rate", type=int, default=25600, help="highest rate tried (default 25600)")
    p.add_argument("--bisect", type=int, default=3, help="bisection steps after the first failure (default 3)")
    p.add_argument("--hold-ms", type=int, default=100, help="pause between ACK and BYE in the rate runs (default 100)")
    p.add_argument("--dialogs", type=int, default=20000, help="concurrent dialogs to hold (default 20000; 0 skips)")
    p.add_argument("--ramp-max", type=int, default=1000, help="highest set-up rate of the dialog run (default 1000)")
    p.add_argument("--cycles", type=int, default=2, help="dialog cycles; the 2nd checks that memory is reused (default 2)")
    p.add_argument("--no-reference", action="store_true", help="skip the sipp-to-sipp reference search")
    p.add_argument("--compare-kamailio", action="store_true",
                   help="also search the rate of Kamailio + rtpengine (Debian's; record-routing proxy, media "
                   "anchored in rtpengine's userspace) in the SBC's place, same calls, same run")
    p.add_argument("--kamailio-children", type=int, default=4, help="Kamailio's UDP worker processes (default 4)")
    p.add_argument("--firewall", action="store_true",
                   help="run the SBC with [firewall] enabled = true (its nftables table in bench-sbc, per-call "
                   "pinholes); default: enabled = false. Needs nft. Compare a run with and one without it, "
                   "e.g. both with --no-reference --dialogs 0")
    p.add_argument("--metrics", action="store_true",
                   help="run the SBC with [metrics] on bench-sbc's loopback, scraped once a second by curl; "
                   "compare with a run without it on the same build (both with --no-reference --dialogs 0)")
    p.add_argument("--no-ladder", action="store_true",
                   help="run the SBC with [log] ladder = false (no SIP messages kept per call for the web "
                   "UI's ladder and pcap); compare with a run without it (both with --no-reference --dialogs 0)")
    p.add_argument("--budget", type=int, default=840, help="whole-run time limit, s (default 840)")
    p.add_argument("--print-config", action="store_true",
                   help="print the daemon config this run would use (with --firewall: firewall on) and exit")
    opts = p.parse_args()
    if opts.print_config:
        print(config_text(opts.firewall, opts.metrics, not opts.no_ladder), end="")
        return 0

    binary = Path(opts.binary).resolve()
    workdir = Path(opts.workdir) if opts.workdir else Path(f"/tmp/sbc-bench-calls-{time.strftime('%Y%m%d-%H%M%S')}")
    workdir.mkdir(parents=True, exist_ok=True)

    load_start = loadavg()
    log(f"bench: sbc {binary} (built {time.strftime('%Y-%m-%d %H:%M', time.localtime(binary.stat().st_mtime))})")
    log(f"bench: {os.cpu_count()} cores, load average {load_start}; logs in {workdir}")
    log(f"bench: firewall {'on ([firewall] enabled = true)' if opts.firewall else 'off ([firewall] enabled = false)'}")
    log(f"bench: metrics {'on ([metrics], scraped every second)' if opts.metrics else 'off (no [metrics])'}")
    log(f"bench: ladder {'off ([log] ladder = false)' if opts.no_ladder else 'on (the default)'}")
    topology_up()
    bench = Bench(opts, workdir, binary)
    bench.check_config()

    # Time plan: each dialog cycle takes about two ramps + 20 s, plus a warm-up; the rest is
    # shared by the two searches (the SBC's first).
    est_ramp = opts.dialogs / opts.ramp_max if opts.dialogs else 0
    dialogs_budget = (opts.cycles * (2 * est_ramp + 20) + 15) if opts.dialogs else 0
    search_total = opts.budget - dialogs_budget - 10
    shares = 1 + (not opts.no_reference) + opts.compare_kamailio
    sbc_budget = search_total / shares * (1.1 if shares > 1 else 1.0)

    log(f"\n[1/3] calls/s through the SBC (probes of {opts.probe} s, then {opts.window} s to confirm)")
    sbc_best, sbc_fail, sbc_note = bench.search("sbc", sbc_budget)
    if sbc_best is None and sbc_fail is not None and sbc_fail["rate"] <= opts.start_rate:
        f = sbc_fail
        raise BenchError(
            f"calls fail through the SBC already at {f['rate']} cps ({sbc_note}); evidence in {f['dir']}\n"
            f"--- caller errors:\n{tail(Path(f['dir']) / 'uac-errors.log', 20)}\n"
            f"--- callee errors:\n{tail(Path(f['dir']) / 'uas-errors.log', 20)}\n"
            f"--- sbc.log:\n{tail(Path(f['dir']) / 'sbc.log', 20)}"
        )

    kam_best = kam_fail = None
    kam_note = ""
    if opts.compare_kamailio:
        log(f"\n[1b] peer: calls/s through Kamailio + rtpengine in the SBC's place")
        kam_budget = max(0, (bench.left() - dialogs_budget - 10) * (0.5 if not opts.no_reference else 1.0))
        kam_best, kam_fail, kam_note = bench.search("kam", kam_budget)

    ref_best = ref_fail = None
    ref_note = "skipped (--no-reference)"
    if not opts.no_reference:
        log(f"\n[2/3] reference: calls/s sipp to sipp over a direct link, no SBC")
        ref_budget = max(0, bench.left() - dialogs_budget - 10)
        # sipp alone is faster than through the SBC: start where the SBC stopped.
        ref_start = sbc_best["rate"] if sbc_best else None
        ref_best, ref_fail, ref_note = bench.search("ref", ref_budget, ref_start)

    dlg = None
    if opts.dialogs:
        # Set up at half the best rate known to work (of any run length), at most --ramp-max.
        good_rates = [t["rate"] for t in bench.trials if t["kind"] == "sbc" and t["pass"]]
        cps = sbc_best["rate"] if sbc_best else max(good_rates, default=opts.start_rate)
        ramp = max(50, min(opts.ramp_max, cps // 2))
        # Bound the ramp to what the remaining budget allows.
        room = bench.left() - 15 - 20 * opts.cycles
        target = opts.dialogs
        if room < opts.cycles * 2 * target / ramp:
            target = max(0, int(room / (opts.cycles * 2) * ramp) // 100 * 100)
        if target > 0:
            log(f"\n[3/3] memory: {target} concurrent dialogs (set up at {ramp} cps, held, hung up), {opts.cycles} cycles")
            dlg = bench.dialogs(ramp, target, opts.cycles)
        else:
            log("\n[3/3] memory: no time left for the dialog run")

    # ----------------------------------------------------------------------------- report
    load_end = loadavg()
    elapsed = time.monotonic() - bench.started
    cps = sbc_best["rate"] if sbc_best else None
    ref_cps = ref_best["rate"] if ref_best else None
    ratio = (cps / ref_cps) if cps and ref_cps else None
    sbc_cpu = sbc_best["cpu"].get("sbc") if sbc_best else None
    uas_cpu = sbc_best["cpu"].get("uas") if sbc_best else None
    sbc_us = per_call_us(sbc_best, "sbc")
    # CPU per call falls with the rate (batching): compare with the sipp-to-sipp run nearest
    # to the SBC's rate.
    ref_runs = [t for t in bench.trials if t["kind"] == "ref" and t["pass"] and "uas" in t["cpu"]]
    ref_near = min(ref_runs, key=lambda t: (abs(t["rate"] - (cps or 0)), -t["secs"])) if ref_runs else None
    ref_uas_us = per_call_us(ref_near, "uas")
    per_dialog = reached = growth2 = None
    cyc = dlg["cycles"] if dlg else []
    if cyc:
        up = cyc[0]["up"]
        reached = min(up["uac_current"], up["uas_current"])
        if reached and up["rss"] and dlg["rss_base"]:
            per_dialog = (up["rss"] - dlg["rss_base"]) / reached
    if len(cyc) > 1 and cyc[0]["up"]["rss"] and cyc[1]["up"]["rss"]:
        growth2 = cyc[1]["up"]["rss"] - cyc[0]["up"]["rss"]

    def capped(best, fail, note):
        if best is None:
            return f"none ({note})"
        s = f"{best['rate']}"
        if fail is None:
            s = f">= {s}"
        return s

    log("\n" + "=" * 100)
    log(f"calls benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average {load_start} at start, "
        f"{load_end} at end, {elapsed:.0f} s")
    log(f"published reference: {PUBLISHED}")
    log("-" * 100)
    rows = [
        ("figure", "SBC", "reference measured in this run", "ratio"),
        (f"max calls/s, 0 failed, {opts.window} s", capped(sbc_best, sbc_fail, sbc_note),
         f"sipp->sipp direct: {capped(ref_best, ref_fail, ref_note)}", fmt(ratio, "{:.2f}")),
        ("SBC CPU at that rate (% of 1 core)", fmt(sbc_cpu, "{:.0f} %"),
         f"sipp callee at the same rate: {fmt(uas_cpu, '{:.0f} %')}",
         fmt(sbc_cpu / uas_cpu if sbc_cpu and uas_cpu else None, "{:.2f}")),
        ("CPU per call", fmt(sbc_us, "{:.0f} us"),
         f"sipp callee, sipp->sipp at {ref_near['rate'] if ref_near else '?'} cps: {fmt(ref_uas_us, '{:.0f} us')}",
         fmt(sbc_us / ref_uas_us if sbc_us and ref_uas_us else None, "{:.2f}")),
        ("memory per concurrent call (RSS)", fmt_bytes(int(per_dialog)) if per_dialog is not None else "n/a",
         f"RSS growth in a 2nd identical cycle: {fmt_bytes(growth2)}",
         fmt(growth2 / (per_dialog * reached) if growth2 is not None and per_dialog and reached else None, "{:.2f}")),
        ("concurrent dialogs held", fmt(reached), f"asked {dlg['target'] if dlg else 'n/a'} (target 20000)",
         fmt(reached / dlg['target'] if reached and dlg else None, "{:.2f}")),
    ]
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    for i, row in enumerate(rows):
        log("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
        if i == 0:
            log("  ".join("-" * w for w in widths))
    if opts.compare_kamailio:
        kam_cps = kam_best["rate"] if kam_best else None
        kam_cpu = kam_best["cpu"].get("sbc") if kam_best else None
        kam_us = per_call_us(kam_best, "sbc")
        log(f"Kamailio + rtpengine in the same run: max calls/s {capped(kam_best, kam_fail, kam_note)},"
            f" CPU {fmt(kam_cpu, '{:.0f} %')} (all its processes), {fmt(kam_us, '{:.0f} us')} per call;"
            f" SBC / Kamailio calls/s {fmt(cps / kam_cps if cps and kam_cps else None, '{:.2f}')},"
            f" CPU per call {fmt(sbc_us / kam_us if sbc_us and kam_us else None, '{:.2f}')}")
    for label, f in (("SBC", sbc_fail), ("Kamailio+rtpengine", kam_fail), ("sipp->sipp", ref_fail)):
        if not f:
            continue
        c = f["cpu"]
        cpus = " ".join(f"{k} {c[k]:.0f} %" for k in ("sbc", "uac", "uas", "host") if k in c)
        queue = f" sbc core-queue drops {f['sbc_log'].get('drops')}," if f["kind"] == "sbc" else ""
        cpus = cpus.replace("sbc ", "kamailio+rtpengine ") if f["kind"] == "kam" else cpus
        log(f"{label} lowest failing run: {f['rate']} cps x {f['secs']} s: ok {f['ok']}/{f['calls']}, failed {f['failed']}"
            f" (callee failed {f['uas_failed']}), created {f['achieved']:.0f}/s (slowest s {f['slowest']:.0f}),"
            f" retrans {f['retrans']},{queue} kernel UDP drops sbc {f['kernel_drops_sbc']} peers {f['kernel_drops_peers']};"
            f" cpu {cpus} (% of one core; the host has {os.cpu_count()} cores)")
    if sbc_best:
        log(f"SBC at {sbc_best['rate']} cps: retrans {sbc_best['retrans']}, INVITE->200 avg {setup_txt(sbc_best)},"
            f" cpu uac {fmt(sbc_best['cpu'].get('uac'))} % uas {fmt(uas_cpu)} % host {fmt(sbc_best['cpu'].get('host'))} %")
    for n, c in enumerate(cyc, 1):
        log(f"dialog cycle {n}: RSS base {fmt_bytes(dlg['rss_base'])}, all calls up {fmt_bytes(c['up']['rss'])},"
            f" after hang-up {fmt_bytes(c['rss_after'])}; calls ok {c['ok']}/{dlg['target']} failed {c['failed']}"
            f" retrans {c['retrans']}")
    for note in (sbc_note, ref_note if not opts.no_reference else ""):
        if note:
            log(f"note: {note}")
    log("=" * 100)

    def kv(**pairs):
        return " ".join(f"{k}={'na' if v is None else (f'{v:.3f}'.rstrip('0').rstrip('.') if isinstance(v, float) else v)}"
                        for k, v in pairs.items())

    log("RESULT " + kv(cps_max=cps, window_s=opts.window, ref_sipp_cps_max=ref_cps, ratio=ratio,
                       capped=int(bool(sbc_best) and sbc_fail is None), firewall=int(opts.firewall),
                       metrics=int(opts.metrics), ladder=int(not opts.no_ladder)))
    log("RESULT " + kv(cpu_pct=sbc_cpu, at_cps=cps, sbc_cpu_us_per_call=sbc_us, ref_sipp_uas_cpu_us_per_call=ref_uas_us))
    if opts.compare_kamailio:
        log("RESULT " + kv(kamailio_rtpengine_cps_max=kam_best["rate"] if kam_best else None,
                           kamailio_rtpengine_cpu_pct=kam_best["cpu"].get("sbc") if kam_best else None,
                           kamailio_rtpengine_cpu_us_per_call=per_call_us(kam_best, "sbc"),
                           hold_ms=opts.hold_ms))
    log("RESULT " + kv(rss_per_dialog_bytes=None if per_dialog is None else int(per_dialog),
                       rss_base_bytes=dlg.get("rss_base") if dlg else None,
                       rss_all_up_bytes=cyc[0]["up"]["rss"] if cyc else None,
                       rss_second_cycle_growth_bytes=growth2))
    log("RESULT " + kv(concurrent_dialogs=reached, asked=dlg["target"] if dlg else None,
                       dialog_run_failed_calls=sum(c["failed"] for c in cyc) if cyc else None))
    (workdir / "results.json").write_text(json.dumps(
        {"trials": bench.trials, "dialogs": dlg, "load_start": load_start, "load_end": load_end}, indent=1, default=str))
    return 0 if sbc_best else 1


def cleanup():
    for proc in PROCS:
        if proc.poll() is None:
            try:
                proc.kill()
                proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
    topology_down()


def on_signal(signum, _frame):
    print(f"bench: stopped by signal {signum}; removing the namespaces", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    code = 1
    try:
        code = main()
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr, flush=True)
        code = 1
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr, flush=True)
        code = 130
    finally:
        cleanup()
    sys.exit(code)
