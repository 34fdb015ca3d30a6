#!/usr/bin/env python3
"""Runs one shell command on the appliance's serial console (image/lib/qemu.sh).

usage: console.py SOCKET COMMAND [TIMEOUT]

The console shows the appliance's menu; this picks "shell", runs COMMAND followed by an
echo of a marker with its exit status, prints what COMMAND printed, leaves the shell and
exits with COMMAND's status (124 if the marker did not come within TIMEOUT seconds).
TIMEOUT 0: send COMMAND and return at once (for a reboot).
"""
import re
import socket
import sys
import time


def main() -> int:
    path, command = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.settimeout(0.5)
    buf = b""

    def read_until(pattern: bytes, seconds: float) -> bytes:
        nonlocal buf
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            m = re.search(pattern, buf)
            if m:
                out, buf = buf[: m.end()], buf[m.end():]
                return out
            try:
                chunk = sock.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                break
            buf += chunk
        raise TimeoutError(pattern)

    marker = "__sbc_console_done__"
    start = "__sbc_console_start__"
    try:
        # Wake the menu and pick the shell.
        sock.sendall(b"\r")
        read_until(rb"> ", 15)
        sock.sendall(b"6\r")
        time.sleep(1.0)
        sock.sendall(b"stty -echo; PS1=''; bind 'set enable-bracketed-paste off'\r")
        time.sleep(0.5)
        sock.sendall(f"echo {start}; {command}; echo {marker}$?\r".encode())
        read_until(rf"{start}\r?\n".encode(), 15)
        if timeout == 0:
            return 0
        out = read_until(rf"{marker}(\d+)".encode(), timeout)
    except TimeoutError:
        sys.stderr.write(f"console: no answer to {command!r} within {timeout} s\n")
        return 124
    finally:
        if timeout != 0:
            try:
                sock.sendall(b"exit\r")
            except OSError:
                pass
        sock.close()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace")).replace("\r", "")
    status = int(re.search(rf"{marker}(\d+)", text).group(1))
    body = text[: text.rfind(marker)]
    sys.stdout.write(body.strip("\n") + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
