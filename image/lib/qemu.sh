# The appliance in QEMU (UEFI: OVMF; no KVM here, so TCG), for image/test and by hand.
#
# Networking is QEMU's user mode only, restricted (restrict=on: the guest reaches nothing,
# neither the host nor any network) with host port forwards bound to 127.0.0.1: HTTPS
# ($VM_HTTPS -> 443) and SIP over TCP ($VM_SIP -> 5060; restrict=on drops every UDP
# datagram of the guest but DHCP, so a UDP forward would get no answers). The serial console is a unix
# socket (console.py types into it) and is logged to $VM_DIR/serial.log. A watchdog
# (i6300esb) resets the machine if systemd stops petting it. The process is ours: started
# in the background, its PID kept in $VM_PID, stopped with vm_stop (kill by PID).
#
# A reboot of the guest ends QEMU (-no-reboot) and a small loop starts it again on the same
# disk, so every boot is a cold boot, like a power cycle: under TCG, OVMF sometimes hung in
# GRUB's first disk reads after a warm reset (2 of 4 reboots in one afternoon), which real
# hardware does not do. The watchdog's reset ends QEMU the same way.

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

free_port() {
  python3 -c "import socket,sys
s = socket.socket(socket.AF_INET, getattr(socket, sys.argv[1]))
s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])" "$1"
}

# vm_start DIR DISK: boots DISK (its own copy: the caller's file is written by the guest).
vm_start() {
  VM_DIR=$1
  local disk=$2
  local qemu=$QEMU_PREFIX/usr/bin/qemu-system-x86_64
  [[ -x $qemu ]] || die "QEMU is missing in $QEMU_PREFIX: run scripts/setup (as root)"
  [[ -f $OVMF_CODE ]] || die "OVMF is missing: install the Debian package ovmf (scripts/setup)"
  mkdir -p "$VM_DIR"
  [[ -f $VM_DIR/vars.fd ]] || cp "$OVMF_VARS" "$VM_DIR/vars.fd"
  VM_HTTPS=$(free_port SOCK_STREAM)
  VM_SIP=$(free_port SOCK_STREAM)
  VM_CONSOLE=$VM_DIR/serial.sock
  rm -f "$VM_CONSOLE" "$VM_DIR/stop"
  local -a cmd=("$qemu" \
    -L "$QEMU_PREFIX/usr/share/qemu" -L /usr/share/seabios -L /usr/lib/ipxe/qemu \
    -machine q35 -accel tcg -cpu max -smp 2 -m 1024 \
    -drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
    -drive if=pflash,format=raw,unit=1,file="$VM_DIR/vars.fd" \
    -drive if=virtio,format=raw,file="$disk",cache=unsafe \
    ${VM_EXTRA_DISK:+-drive if=virtio,format=raw,readonly=on,file="$VM_EXTRA_DISK"} \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$VM_HTTPS-:443,hostfwd=tcp:127.0.0.1:$VM_SIP-:5060" \
    -device virtio-net-pci,netdev=n0,romfile= \
    -device i6300esb -action watchdog=reset \
    -chardev "socket,id=ser0,path=$VM_CONSOLE,server=on,wait=off,logfile=$VM_DIR/serial.log,logappend=on" \
    -serial chardev:ser0 \
    -display none -monitor none -nodefaults -vga none -no-reboot)
  (
    boots=0
    while [[ ! -f $VM_DIR/stop ]]; do
      boots=$((boots + 1))
      QEMU_MODULE_DIR=$QEMU_PREFIX/usr/lib/x86_64-linux-gnu/qemu "${cmd[@]}" >>"$VM_DIR/qemu.log" 2>&1 &
      echo $! >"$VM_DIR/qemu.pid"
      wait $! || break
      [[ -f $VM_DIR/stop ]] || printf '\r\n[image/lib/qemu.sh: the guest rebooted; power cycle %d]\r\n' "$boots" >>"$VM_DIR/serial.log"
    done
  ) &
  VM_PID=$!
  say "QEMU (loop pid $VM_PID): https://127.0.0.1:$VM_HTTPS/ (443), sip tcp 127.0.0.1:$VM_SIP (5060), console $VM_CONSOLE"
}

vm_alive() { [[ -n ${VM_PID:-} ]] && kill -0 "$VM_PID" 2>/dev/null; }

vm_stop() {
  if vm_alive; then
    # The loop reaps QEMU and ends by itself once the stop file is there.
    touch "$VM_DIR/stop"
    local qemu_pid i
    qemu_pid=$(cat "$VM_DIR/qemu.pid" 2>/dev/null || true)
    [[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null || true
    for i in $(seq 1 20); do
      vm_alive || break
      sleep 0.5
    done
    if vm_alive; then
      [[ -n $qemu_pid ]] && kill -9 "$qemu_pid" 2>/dev/null || true
      kill -9 "$VM_PID" 2>/dev/null || true
    fi
    wait "$VM_PID" 2>/dev/null || true
  fi
  VM_PID=
}

# The serial log's size now: later waits look only at what comes after it.
vm_mark() { stat -c %s "$VM_DIR/serial.log" 2>/dev/null || echo 0; }

# vm_wait MARK REGEX SECONDS: the first line after MARK matching REGEX (ERE), or failure.
vm_wait() {
  local mark=$1 regex=$2 seconds=$3 end line
  end=$(($(date +%s) + seconds))
  while (($(date +%s) < end)); do
    vm_alive || die "QEMU exited (log: $VM_DIR/qemu.log; console: $VM_DIR/serial.log)"
    line=$(tail -c +"$((mark + 1))" "$VM_DIR/serial.log" 2>/dev/null | tr -d '\r' | grep -E -m 1 "$regex" || true)
    if [[ -n $line ]]; then
      echo "$line"
      return 0
    fi
    sleep 1
  done
  tail -n 30 "$VM_DIR/serial.log" | tr -d '\r' >&2
  die "no console line matching /$regex/ within $seconds s (console: $VM_DIR/serial.log)"
}

# vm_shell COMMAND [TIMEOUT]: runs COMMAND in the console menu's shell; prints its output.
# TIMEOUT 0: only types it (a reboot does not answer).
vm_shell() {
  python3 "$IMAGE_DIR/lib/console.py" "$VM_CONSOLE" "$1" "${2:-60}"
}
