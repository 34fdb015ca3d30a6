#!/usr/bin/env python3
"""An RTP peer that also speaks RTCP, for the sbc-lab call quality test, run inside a lab
namespace.

  rtcp_peer.py --bind IP:PORT --to IP:PORT [--count N] [--skip-every K] [--delay S]
               [--ssrc HEX] --out FILE

Binds IP:PORT for RTP and IP:PORT+1 for RTCP, waits DELAY seconds, then sends COUNT PCMU
packets (20 ms apart, sequence numbers from 1) to --to, leaving out every K-th sequence
number (real loss the receiver sees as gaps). Once a second, and once more at the end, it
sends an RTCP SR (RFC 3550 6.4.1) to --to's port + 1: its sender info (NTP time, RTP
timestamp, packet and octet counts) and one report block on the source it receives
(fraction lost, cumulative lost, extended highest sequence number, A.8 interarrival jitter,
LSR/DLSR from the last SR it received), then an SDES CNAME. It writes what it saw as JSON to
FILE: {"sent": N, "received": N, "rtcp_received": N, "rtcp_sent": N, "lost": N}.
"""

import argparse
import json
import select
import socket
import struct
import time

NTP_EPOCH = 2208988800


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def ntp_now():
    t = time.time() + NTP_EPOCH
    seconds = int(t)
    return (seconds << 32) | int((t - seconds) * (1 << 32))


class Receiver:
    """RFC 3550 A.1/A.3/A.8 statistics of the one source it receives."""

    def __init__(self):
        self.ssrc = 0
        self.base = None
        self.max = 0
        self.cycles = 0
        self.received = 0
        self.transit = None
        self.jitter = 0.0
        self.expected_prior = 0
        self.received_prior = 0
        self.start = time.monotonic()

    def rtp(self, data):
        seq, ts, ssrc = struct.unpack_from(">HII", data, 2)
        if self.base is None:
            self.ssrc, self.base, self.max = ssrc, seq, seq
        elif (seq - self.max) & 0xFFFF < 3000:
            if seq < self.max:
                self.cycles += 1 << 16
            self.max = seq
        self.received += 1
        arrival = int((time.monotonic() - self.start) * 8000)
        transit = arrival - ts
        if self.transit is not None:
            d = abs(transit - self.transit)
            self.jitter += (d - self.jitter) / 16
        self.transit = transit

    def block(self, lsr, dlsr):
        if self.base is None:
            return b""
        extended = self.cycles + self.max
        expected = extended - self.base + 1
        lost = max(0, expected - self.received)
        interval_expected = expected - self.expected_prior
        interval_lost = interval_expected - (self.received - self.received_prior)
        self.expected_prior, self.received_prior = expected, self.received
        fraction = 0
        if interval_expected > 0 and interval_lost > 0:
            fraction = min(255, (interval_lost << 8) // interval_expected)
        return struct.pack(">IIIIII", self.ssrc, (fraction << 24) | (min(lost, 0x7FFFFF)),
                           extended & 0xFFFFFFFF, int(self.jitter), lsr, dlsr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--count", type=int, default=250)
    p.add_argument("--skip-every", type=int, default=0)
    p.add_argument("--delay", type=float, default=0.2)
    p.add_argument("--wait", type=float, default=1.5)
    p.add_argument("--ssrc", default="5eed0001")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    bind = parse_addr(args.bind)
    to = parse_addr(args.to)
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    rtp.bind(bind)
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    rtcp.bind((bind[0], bind[1] + 1))
    ssrc = int(args.ssrc, 16)
    rx = Receiver()
    out = {"sent": 0, "received": 0, "rtcp_received": 0, "rtcp_sent": 0, "lost": 0}
    last_sr = None  # (middle 32 bits of its NTP time, when it arrived)
    octets = 0

    def send_rtcp():
        nonlocal octets
        lsr, dlsr = 0, 0
        if last_sr is not None:
            lsr = last_sr[0]
            dlsr = int((time.monotonic() - last_sr[1]) * 65536)
        block = rx.block(lsr, dlsr)
        count = 1 if block else 0
        ntp = ntp_now()
        info = struct.pack(">IIIII", ssrc, ntp >> 32, ntp & 0xFFFFFFFF,
                           (out["sent"] * 160) & 0xFFFFFFFF, out["sent"])
        info += struct.pack(">I", octets)
        body = info + block
        sr = struct.pack(">BBH", 0x80 | count, 200, (len(body) + 4) // 4 - 1) + body
        cname = b"peer@lab"
        item = bytes([1, len(cname)]) + cname + b"\0"
        item += b"\0" * (-len(item) % 4)
        sdes_body = struct.pack(">I", ssrc) + item
        sdes = struct.pack(">BBH", 0x81, 202, (len(sdes_body) + 4) // 4 - 1) + sdes_body
        rtcp.sendto(sr + sdes, (to[0], to[1] + 1))
        out["rtcp_sent"] += 1

    def drain(until):
        nonlocal last_sr
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([rtp, rtcp], [], [], left)
            if not ready:
                return
            for s in ready:
                data, _ = s.recvfrom(4096)
                if s is rtp and len(data) >= 12:
                    out["received"] += 1
                    rx.rtp(data)
                elif s is rtcp and len(data) >= 28 and data[1] == 200:
                    out["rtcp_received"] += 1
                    ntp_sec, ntp_frac = struct.unpack_from(">II", data, 8)
                    last_sr = (((ntp_sec & 0xFFFF) << 16) | (ntp_frac >> 16), time.monotonic())
                elif s is rtcp:
                    out["rtcp_received"] += 1

    drain(time.monotonic() + args.delay)
    start = time.monotonic()
    next_rtcp = start + 1.0
    for seq in range(1, args.count + 1):
        if not (args.skip_every and seq % args.skip_every == 0):
            header = struct.pack(">BBHII", 0x80, 0, seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc)
            rtp.sendto(header + b"\xff" * 160, to)
            out["sent"] += 1
            octets += 160
        if time.monotonic() >= next_rtcp:
            send_rtcp()
            next_rtcp += 1.0
        drain(start + seq * 0.020)
    drain(time.monotonic() + 0.3)
    send_rtcp()
    drain(time.monotonic() + args.wait)
    if rx.base is not None:
        out["lost"] = max(0, rx.cycles + rx.max - rx.base + 1 - rx.received)
    with open(args.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
