/* SPDX-License-Identifier: MIT */
/* Block devices under the root, named by the kernel ("dm-1", "vda2"): what a
 * swap source names, whether fstab says /dev/mapper/vg-swap, /dev/vg/swap,
 * /dev/disk/by-uuid/…, UUID=…, LABEL=…, PARTUUID=… or PARTLABEL=…, and
 * whether /proc/swaps says /dev/dm-1.
 *
 * Resolution reads only under the root: symlinks in ROOT/dev (followed inside
 * the root), ROOT/sys/dev/block/MAJ:MIN, ROOT/sys/block/dm-N/dm/name and the
 * udev links in ROOT/dev/disk/by-*; libblkid is asked only on the running
 * system, where its answer is this root's.
 */
#pragma once

#include <stdbool.h>

struct host;

/* True for a source given as a tag: UUID=, LABEL=, PARTUUID=, PARTLABEL=. */
bool blockdev_is_tag(const char *source);

/* Resolve SOURCE (a /dev path or a tag) to the kernel's name of the device.
 * 1 and *ret_name (owned) when found; 0 when this root shows that no such
 * device exists (its udev links or sysfs were there to look in); -ENODATA
 * when this root cannot tell (an image, no sysfs, no udev links); -errno. */
int blockdev_resolve(struct host *h, const char *source, char **ret_name);

/* What an fstab line should name the device NAME by, so it finds it at every
 * boot: "/dev/mapper/DMNAME" for device-mapper (LVM, dm-crypt: a dm-crypt
 * swap with a random key gets a new UUID each boot), "UUID=…" for a device
 * with a filesystem UUID, else "/dev/NAME". *ret owned. 0 or -errno. */
int blockdev_fstab_source(struct host *h, const char *name, char **ret);
