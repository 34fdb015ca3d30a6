#!/usr/bin/env python3
"""A tiny RTP peer for the sbc-lab media tests, run inside a lab namespace.

  rtp.py --bind IP:PORT --to IP:PORT [--count N] [--interval-ms MS] [--delay S] [--wait S]
         [--ssrc HEX] [--tone HZ] [--alaw] [--echo] [--record FILE] [--srtp-key INLINE]
         [--srtp-recv-key INLINE] [--dtmf DIGITS [--dtmf-pt PT] [--dtmf-at N]] --out FILE

Binds IP:PORT (the address its own SDP announced; RTCP is not sent), waits DELAY seconds,
then sends COUNT RTP packets (version 2, PCMU, 160-byte payload, sequence numbers from 1,
timestamps +160; silence, or a tone of HZ) to --to (the address the other side's SDP said),
one every MS milliseconds, protected as SRTP (AES_CM_128_HMAC_SHA1_80) with --srtp-key, while
counting what arrives (and appending each RTP payload to the --record file). It keeps reading until WAIT seconds after the
last send, then writes a JSON object to FILE:

  {"sent": N, "received": N, "rtp": N, "sources": ["IP:PORT", ...], "ssrcs": ["hex", ...],
   "first_seq": N, "last_seq": N}

where `received` counts every datagram, `rtp` those that parse as RTP version 2, and
`sources` lists where they came from (the SBC, if it anchors media). `runs` lists the RTP
received as runs of one SSRC in arrival order, `[["hex", count], ...]`: a switch from one
sender to another and back shows as three runs.

--alaw sends PCMA (payload type 8, A-law) instead of PCMU. --g722 sends G.722 (payload
type 9, 160 octets per 20 ms, timestamps +160 as RFC 3551 says) instead: a counting pattern
(any octets are valid G.722, and a pattern shows any octet lost, doubled or out of place).
--g729 sends G.729 (payload type 18, two 10-byte frames per 20 ms) the same way; with
--cn-pause its pause starts with a packet of one voice frame and an Annex B SID frame
(2 bytes) instead of a CN packet.
--echo sends nothing of its
own: every RTP packet received goes straight back to where it came from (a peer that
echoes whatever codec it was sent), until WAIT seconds pass without one (after DELAY
seconds, at most COUNT * MS milliseconds plus WAIT). `pts` lists the payload types
received, `sizes` the payload sizes, in order of first arrival; `comfort_noise` lists
every RFC 3389 packet received (payload type 13) as [seq, timestamp, level, payload
length], `marked` every packet with the marker bit as [seq, timestamp].

--dtmf DIGITS keys each digit as RFC 4733 telephone-events at payload type --dtmf-pt
(default 101) in place of the audio, from packet --dtmf-at (default 20) on: 100 ms per
digit (marker on the first packet, one RTP timestamp per digit, duration growing by 160
per packet, volume 10, the last packet sent three times with the end bit), 200 ms apart.
Every packet received whose payload (decrypted, with --srtp-recv-key, when it
authenticated) is 4 bytes long is read as a telephone-event, whatever its payload type:
`events` lists them as `[[pt, event code, packets, end packets], ...]`, one entry per
payload type and RTP timestamp (one keyed digit) in arrival order.

--ice USERNAME:PWD sends ICE connectivity checks with USE-CANDIDATE to --to before the
media (counted in `ice_checks`, their Binding success responses in `ice_answers`).

--srtp-recv-key counts in `authenticated` the packets received whose SRTP tag is valid
under that key (the other side's `a=crypto`): SRTP that really is SRTP for that key.

sipp starts it from a scenario's <exec command=...> once the SDP of the other side is known,
so it runs in the background of the call.
"""

import argparse
import json
import math
import select
import socket
import struct
import time


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def ulaw(sample):
    """One 16-bit linear sample as G.711 mu-law (ITU-T G.711, with the 0x84 bias)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = 7
    while exponent > 0 and not magnitude & (0x4000 >> (7 - exponent)):
        exponent -= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def alaw(sample):
    """One 16-bit linear sample as G.711 A-law (ITU-T G.711: even bits inverted)."""
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(abs(sample), 32767) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55


def payload(seq, tone_hz, law):
    """160 samples of G.711: silence, or the tone at 8 kHz continuing from packet seq-1."""
    if not tone_hz:
        return bytes([law(0)]) * 160
    start = (seq - 1) * 160
    return bytes(law(int(8000 * math.sin(2 * math.pi * tone_hz * (start + i) / 8000)))
                 for i in range(160))


def g722_packet(seq, ssrc, frame):
    """RTP packet `seq` carrying G.722 frame `frame`: octets (frame*160 + i) * 7 mod 251."""
    header = struct.pack(">BBHII", 0x80, 9, seq & 0xFFFF, (frame * 160) & 0xFFFFFFFF, ssrc)
    return header + bytes(((frame * 160 + i) * 7) % 251 for i in range(160))


def g729_packet(seq, ssrc, frame, sid=False):
    """RTP packet `seq` carrying G.729 frame pair `frame`: octets (frame*20 + i) * 7 mod 251;
    with `sid`, one voice frame and a SID frame (RFC 3551 4.5.6: the SID last)."""
    header = struct.pack(">BBHII", 0x80, 18, seq & 0xFFFF, (frame * 160) & 0xFFFFFFFF, ssrc)
    octets = bytes(((frame * 20 + i) * 7) % 251 for i in range(20))
    return header + (octets[:12] if sid else octets)


def packet(seq, ssrc, tone_hz=None, a_law=False, frame=None):
    """RTP packet `seq` carrying audio frame `frame` (default: seq), timestamp frame*160."""
    frame = seq if frame is None else frame
    pt, law = (8, alaw) if a_law else (0, ulaw)
    header = struct.pack(">BBHII", 0x80, pt, seq & 0xFFFF, (frame * 160) & 0xFFFFFFFF, ssrc)
    return header + payload(frame, tone_hz, law)


DIGITS = "0123456789*#ABCD"


def dtmf_plan(digits, first_frame, frames):
    """{frame: (event code, packet index within the digit, the digit's first frame)}:
    5 frames (100 ms) per digit, then 10 frames (200 ms) of audio."""
    plan = {}
    for i, digit in enumerate(digits):
        start = first_frame + i * 15
        for k in range(5):
            if start + k <= frames:
                plan[start + k] = (DIGITS.index(digit.upper()), k, start)
    return plan


def event_packets(seq, ssrc, pt, code, k, start):
    """The RFC 4733 packets of the k-th frame of a digit keyed from frame `start`: one,
    or on the last frame (k == 4) three with the end bit (§2.5.1.4)."""
    end = k == 4
    body = struct.pack(">BBH", code, (0x80 if end else 0) | 10, (k + 1) * 160)
    packets = []
    for _ in range(3 if end else 1):
        marker = 0x80 if k == 0 and not packets else 0
        header = struct.pack(">BBHII", 0x80, marker | pt, seq & 0xFFFF,
                             (start * 160) & 0xFFFFFFFF, ssrc)
        packets.append(header + body)
        seq += 1
    return packets


def comfort_noise(seq, slot, ssrc, level):
    """An RFC 3389 comfort noise packet (static payload type 13): the noise level in -dBov."""
    header = struct.pack(">BBHII", 0x80, 13, seq & 0xFFFF, (slot * 160) & 0xFFFFFFFF, ssrc)
    return header + bytes([level])


def stun_check(username, pwd, nominate):
    """An ICE connectivity check (RFC 8445 §7.1.1): a STUN Binding request with USERNAME,
    PRIORITY, ICE-CONTROLLING, USE-CANDIDATE when `nominate`, MESSAGE-INTEGRITY under the
    other agent's password and FINGERPRINT (RFC 5389 §15.4, §15.5)."""
    import hmac
    import os
    import zlib

    def attr(kind, value):
        pad = (4 - len(value) % 4) % 4
        return struct.pack(">HH", kind, len(value)) + value + bytes(pad)

    body = attr(0x0006, username.encode())
    body += attr(0x0024, struct.pack(">I", 1862270975))
    body += attr(0x802A, os.urandom(8))
    if nominate:
        body += attr(0x0025, b"")
    tid = os.urandom(12)
    head = lambda length: struct.pack(">HHI", 0x0001, length, 0x2112A442) + tid
    mi = hmac.new(pwd.encode(), head(len(body) + 24) + body, "sha1").digest()
    body += attr(0x0008, mi)
    crc = zlib.crc32(head(len(body) + 8) + body) ^ 0x5354554E
    body += attr(0x8028, struct.pack(">I", crc))
    return head(len(body)) + body


class Srtp:
    """SRTP sender, AES_CM_128_HMAC_SHA1_80 (RFC 3711), on the cryptography package's AES
    and the standard library's HMAC: an implementation independent of the SBC's."""

    def __init__(self, inline):
        import base64
        raw = base64.b64decode(inline.split("|")[0])
        if len(raw) != 30:
            raise ValueError("AES_CM_128_HMAC_SHA1_80 needs 30 bytes of key and salt")
        master_key, master_salt = raw[:16], raw[16:]

        def derive(label, length):
            # RFC 3711 4.3.1 with KDR 0: x = (label << 48) XOR salt, IV = x * 2^16.
            x = int.from_bytes(master_salt, "big") ^ (label << 48)
            return self._keystream(master_key, (x << 16).to_bytes(16, "big"), length)

        self.enc = derive(0, 16)
        self.auth = derive(1, 20)
        self.salt = int.from_bytes(derive(2, 14), "big")

    @staticmethod
    def _keystream(key, iv, length):
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        c = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
        return c.update(bytes(length)) + c.finalize()

    def authentic(self, srtp):
        """The rollover counter (0 or 1: a sender's random first sequence number may wrap
        once in a short test) under which `srtp` carries a valid tag for this key, else
        None."""
        import hmac
        if len(srtp) < 12 + 10:
            return None
        sealed, tag = srtp[:-10], srtp[-10:]
        for roc in (0, 1):
            mac = hmac.new(self.auth, sealed + struct.pack(">I", roc), "sha1").digest()[:10]
            if hmac.compare_digest(mac, tag):
                return roc
        return None

    def unprotect(self, srtp, roc):
        """The RTP packet inside an authenticated `srtp` (tag removed, payload decrypted)."""
        seq = struct.unpack_from(">H", srtp, 2)[0]
        ssrc = struct.unpack_from(">I", srtp, 8)[0]
        index = (roc << 16) | seq
        iv = ((self.salt << 16) ^ (ssrc << 64) ^ (index << 16)).to_bytes(16, "big")
        head = 12 + 4 * (srtp[0] & 0x0F)
        body = srtp[head:-10]
        stream = self._keystream(self.enc, iv, len(body))
        return srtp[:head] + bytes(a ^ b for a, b in zip(body, stream))

    def protect(self, rtp):
        import hmac
        seq = struct.unpack_from(">H", rtp, 2)[0]
        ssrc = struct.unpack_from(">I", rtp, 8)[0]
        index = seq  # the ROC stays 0: fewer than 65536 packets from sequence 1
        iv = ((self.salt << 16) ^ (ssrc << 64) ^ (index << 16)).to_bytes(16, "big")
        body = rtp[12:]
        stream = self._keystream(self.enc, iv, len(body))
        sealed = rtp[:12] + bytes(a ^ b for a, b in zip(body, stream))
        tag = hmac.new(self.auth, sealed + struct.pack(">I", 0), "sha1").digest()[:10]
        return sealed + tag


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--interval-ms", type=int, default=20)
    p.add_argument("--delay", type=float, default=0.2)
    p.add_argument("--wait", type=float, default=1.5)
    p.add_argument("--ssrc", default="5eed0001")
    p.add_argument("--out", required=True)
    p.add_argument("--tone", type=float, default=None,
                   help="send a tone of this many Hz (PCMU) instead of silence")
    p.add_argument("--alaw", action="store_true", help="send PCMA (PT 8) instead of PCMU")
    p.add_argument("--g722", action="store_true",
                   help="send G.722 (PT 9, a counting pattern) instead of PCMU")
    p.add_argument("--g729", action="store_true",
                   help="send G.729 (PT 18, a counting pattern) instead of PCMU")
    p.add_argument("--cn-pause", default=None,
                   help="AFTER:SLOTS:LEVEL: after AFTER packets go into DTX as RFC 3389 says: "
                        "one CN packet (PT 13) at LEVEL -dBov, then nothing for the rest of "
                        "SLOTS 20 ms slots (timestamps run on, sequence numbers do not)")
    p.add_argument("--echo", action="store_true",
                   help="send nothing of its own; echo every RTP packet to its source")
    p.add_argument("--record", default=None,
                   help="append the payload of every RTP packet received (after its 12-byte "
                        "header and CSRCs) to this file")
    p.add_argument("--srtp-key", default=None,
                   help="send SRTP (AES_CM_128_HMAC_SHA1_80) with this inline key||salt")
    p.add_argument("--ice", default=None,
                   help="USERNAME:PWD: before the media, ICE checks nominating this address "
                        "(USERNAME is <their ufrag>:<our ufrag>, PWD their password), again "
                        "every 200 ms until one is answered (at most 10)")
    p.add_argument("--dtmf", default="",
                   help="key these digits as RFC 4733 telephone-events in place of audio")
    p.add_argument("--dtmf-pt", type=int, default=101,
                   help="the telephone-event payload type --dtmf sends with")
    p.add_argument("--dtmf-at", type=int, default=20,
                   help="the packet (from 1) at which the first digit starts")
    p.add_argument("--srtp-recv-key", default=None,
                   help="check the authentication tag of what arrives against this inline "
                        "key||salt (AES_CM_128_HMAC_SHA1_80): counted as \"authenticated\"")
    args = p.parse_args()
    record = open(args.record, "wb") if args.record else None
    srtp = Srtp(args.srtp_key) if args.srtp_key else None
    srtp_in = Srtp(args.srtp_recv_key) if args.srtp_recv_key else None

    bind = parse_addr(args.bind)
    to = parse_addr(args.to)
    family = socket.AF_INET6 if ":" in bind[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(bind)
    sock.setblocking(False)
    ssrc = int(args.ssrc, 16)

    result = {"sent": 0, "received": 0, "rtp": 0, "sources": [], "ssrcs": [],
              "first_seq": None, "last_seq": None, "errors": [], "runs": [],
              "pts": [], "sizes": [], "authenticated": 0, "ice_checks": 0,
              "ice_answers": 0, "events": [], "comfort_noise": [], "marked": []}
    events = {}  # (pt, timestamp) -> its entry in result["events"]

    def drain(until):
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                return
            try:
                data, src = sock.recvfrom(4096)
            except BlockingIOError:
                continue
            if data[:2] == b"\x01\x01":  # STUN Binding success response
                result["ice_answers"] += 1
                continue
            result["received"] += 1
            source = "%s:%d" % (src[0], src[1])
            if source not in result["sources"]:
                result["sources"].append(source)
            if len(data) >= 12 and data[0] >> 6 == 2:
                result["rtp"] += 1
                roc = srtp_in.authentic(data) if srtp_in else None
                if roc is not None:
                    result["authenticated"] += 1
                clear = srtp_in.unprotect(data, roc) if roc is not None else data
                head = 12 + 4 * (clear[0] & 0x0F)
                if len(clear) - head == 4:  # an RFC 4733 event payload
                    pt = clear[1] & 0x7F
                    key = (pt, struct.unpack_from(">I", clear, 4)[0])
                    if key not in events:
                        events[key] = [pt, clear[head], 0, 0]
                        result["events"].append(events[key])
                    events[key][2] += 1
                    events[key][3] += clear[head + 1] >> 7
                seq = struct.unpack_from(">H", data, 2)[0]
                their = "%08x" % struct.unpack_from(">I", data, 8)[0]
                if their not in result["ssrcs"]:
                    result["ssrcs"].append(their)
                runs = result["runs"]
                if runs and runs[-1][0] == their:
                    runs[-1][1] += 1
                else:
                    runs.append([their, 1])
                pt = data[1] & 0x7F
                stamp = struct.unpack_from(">I", data, 4)[0]
                if pt == 13:  # RFC 3389 comfort noise: seq, timestamp, level, length
                    body = clear[head:]
                    result["comfort_noise"].append(
                        [seq, stamp, body[0] if body else 128, len(body)])
                if data[1] & 0x80:
                    result["marked"].append([seq, stamp])
                if pt not in result["pts"]:
                    result["pts"].append(pt)
                size = len(data) - 12 - 4 * (data[0] & 0x0F)
                if size not in result["sizes"]:
                    result["sizes"].append(size)
                if args.echo:
                    try:
                        sock.sendto(data, src)
                        result["sent"] += 1
                    except OSError as e:
                        result["errors"].append(str(e))
                if result["first_seq"] is None:
                    result["first_seq"] = seq
                result["last_seq"] = seq
                if record:
                    record.write(data[12 + 4 * (data[0] & 0x0F):])

    drain(time.monotonic() + args.delay)
    if args.ice:
        username, _, pwd = args.ice.rpartition(":")
        while result["ice_answers"] == 0 and result["ice_checks"] < 10:
            sock.sendto(stun_check(username, pwd, True), to)
            result["ice_checks"] += 1
            drain(time.monotonic() + 0.2)
    interval = args.interval_ms / 1000.0
    if args.echo:
        deadline = time.monotonic() + args.count * interval + args.wait
        while time.monotonic() < deadline:
            before = result["received"]
            drain(min(deadline, time.monotonic() + args.wait))
            if result["received"] == before and before > 0:
                break
        args.count = 0
    pause = None
    if args.cn_pause:
        after, slots, level = (int(x) for x in args.cn_pause.split(":"))
        pause = (after + 1, after + slots, level)
    next_send = time.monotonic()
    plan = dtmf_plan(args.dtmf, args.dtmf_at, args.count)
    seq = 1
    for frame in range(1, args.count + 1):
        if pause and frame == pause[0] and args.g729:
            datas = [g729_packet(seq, ssrc, frame, sid=True)]
        elif pause and frame == pause[0]:
            datas = [comfort_noise(seq, frame, ssrc, pause[2])]
        elif pause and pause[0] < frame <= pause[1]:
            datas = []
        elif frame in plan:
            code, k, start = plan[frame]
            datas = event_packets(seq, ssrc, args.dtmf_pt, code, k, start)
        elif args.g722:
            datas = [g722_packet(seq, ssrc, frame)]
        elif args.g729:
            datas = [g729_packet(seq, ssrc, frame)]
        else:
            datas = [packet(seq, ssrc, args.tone, args.alaw, frame)]
        seq += len(datas)
        for data in datas:
            try:
                sock.sendto(srtp.protect(data) if srtp else data, to)
                result["sent"] += 1
            except OSError as e:
                result["errors"].append(str(e))
        next_send += interval
        drain(next_send)
    drain(time.monotonic() + args.wait)

    if record:
        record.close()
    with open(args.out + ".tmp", "w") as f:
        json.dump(result, f)
    # Atomic: the test waits for the file to appear.
    import os
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
