# File systems and the GPT disk, all in plain files: no loop devices, no mounts.
#
#   1 esp     32 MiB  FAT: EFI/BOOT/BOOTX64.EFI (standalone GRUB, grub.cfg inside),
#                     EFI/sbc/grubenv (RAUC's slot variables)
#   2 root-a  SLOT    ext4, read-only, no journal (never written but by RAUC)
#   3 root-b  SLOT    ext4, empty until the first update
#   4 data    DATA    ext4: /data (config, state, snapshots; survives updates)

SLOT_MIB=${SBC_SLOT_MIB:-768}
DATA_MIB=${SBC_DATA_MIB:-256}
ESP_MIB=32
# GPT type GUIDs: EFI system, Linux root (x86-64), Linux filesystem data.
GUID_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
GUID_ROOT=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
GUID_DATA=0FC63DAF-8483-4772-8E79-3D69D8477DE4

# ext4 features GRUB 2.06 reads (metadata_csum_seed and orphan_file are newer than it).
EXT4_OPTS=(-q -F -b 4096 -E root_owner=0:0 -O ^metadata_csum_seed,^orphan_file)

# make_root_fs ROOTDIR OUT.ext4: sized to the content plus 15 % (it is never written).
make_root_fs() {
  local root=$1 out=$2 used_mib size_mib
  used_mib=$(du -sm --apparent-size "$root" | cut -f1)
  size_mib=$((used_mib * 115 / 100 + 48))
  ((size_mib <= SLOT_MIB)) || die "root file system needs $size_mib MiB, more than a slot ($SLOT_MIB MiB)"
  rm -f "$out"
  mkfs.ext4 "${EXT4_OPTS[@]}" -O ^has_journal -L sbc-root -d "$root" "$out" "${size_mib}M" >/dev/null
  say "root file system: $used_mib MiB of files in a $size_mib MiB ext4 image"
}

make_data_fs() {
  local out=$1
  rm -f "$out"
  mkfs.ext4 "${EXT4_OPTS[@]}" -L sbc-data "$out" "${DATA_MIB}M" >/dev/null
}

# make_esp OUT.img: the standalone GRUB and a fresh environment (slot A good, B empty).
make_esp() {
  local out=$1 dir=$WORK_DIR/esp
  rm -rf "$dir" "$out"
  mkdir -p "$dir"
  grub-mkstandalone -O x86_64-efi -o "$dir/BOOTX64.EFI" \
    --modules="part_gpt fat ext2 search search_fs_file regexp loadenv test echo linux serial terminal sleep reboot efi_gop normal" \
    --install-modules="part_gpt fat ext2 search search_fs_file regexp loadenv test echo linux serial terminal sleep reboot efi_gop normal configfile" \
    --locales= --themes= --fonts= \
    "boot/grub/grub.cfg=$IMAGE_DIR/grub/grub.cfg"
  grub-editenv "$dir/grubenv" create
  grub-editenv "$dir/grubenv" set ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0
  mkfs.vfat -C -n SBC-EFI "$out" $((ESP_MIB * 1024)) >/dev/null
  mmd -i "$out" ::/EFI ::/EFI/BOOT ::/EFI/sbc
  mcopy -i "$out" "$dir/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$out" "$dir/grubenv" ::/EFI/sbc/grubenv
}

# make_disk OUT.img ESP ROOT DATA: GPT with the partitions above; slot B left empty.
make_disk() {
  local out=$1 esp=$2 root=$3 data=$4
  local total=$((1 + ESP_MIB + 2 * SLOT_MIB + DATA_MIB + 1))
  rm -f "$out"
  truncate -s "${total}M" "$out"
  sfdisk --quiet --no-reread --no-tell-kernel "$out" <<EOT
label: gpt
start=1MiB, size=${ESP_MIB}MiB, type=$GUID_ESP, name="esp"
size=${SLOT_MIB}MiB, type=$GUID_ROOT, name="root-a"
size=${SLOT_MIB}MiB, type=$GUID_ROOT, name="root-b"
size=${DATA_MIB}MiB, type=$GUID_DATA, name="data"
EOT
  local starts
  mapfile -t starts < <(sfdisk --dump "$out" | sed -n 's/.*start= *\([0-9]*\),.*/\1/p')
  ((${#starts[@]} == 4)) || die "sfdisk made ${#starts[@]} partitions, not 4"
  dd if="$esp" of="$out" bs=512 seek="${starts[0]}" conv=notrunc,sparse status=none
  dd if="$root" of="$out" bs=1M oflag=seek_bytes seek=$((starts[1] * 512)) conv=notrunc,sparse status=none
  dd if="$data" of="$out" bs=1M oflag=seek_bytes seek=$((starts[3] * 512)) conv=notrunc,sparse status=none
}
