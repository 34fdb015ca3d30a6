# Shared by the appliance's scripts (sourced, POSIX sh).
# The booted slot (A or B), from the kernel command line GRUB wrote.
sbc_slot() {
  for word in $(cat /proc/cmdline); do
    case $word in rauc.slot=*) echo "${word#rauc.slot=}"; return 0 ;; esac
  done
  echo unknown
}
sbc_other_slot() {
  case $(sbc_slot) in A) echo B ;; B) echo A ;; *) echo unknown ;; esac
}
# The image's version (written by image/build).
sbc_release() {
  sed -n 's/^VERSION=//p' /usr/lib/sbc/release 2>/dev/null || echo unknown
}
SBC_CONFIG=/data/sbc/sbc.toml
SBC_STATE=/data/sbc/state
SBC_SYSTEM=/data/system
SBC_GRUBENV=/boot/efi/EFI/sbc/grubenv
# One line to every console (serial and the screen) and the journal.
sbc_say() {
  for tty in /dev/ttyS0 /dev/tty1; do
    [ -c "$tty" ] && printf '%s\r\n' "$*" >"$tty" 2>/dev/null || true
  done
  echo "$*" | systemd-cat -t sbc-console 2>/dev/null || true
}
