/* SPDX-License-Identifier: MIT */
/* The hostfit that the units hostfit writes run: the binary that wrote them. */
#pragma once

struct host;

#define HOSTFIT_PATH_SECTION "hostfit"
#define HOSTFIT_PATH_KEY "hostfit-path"

/* [hostfit] hostfit-path from the configuration (the older [healthcheck] hostfit-path
 * is read when it is unset); else on the running system the running binary as the kernel
 * names it (/proc/self/exe, " (deleted)" dropped after an upgrade); else, under --root, the
 * image's own copy (the running binary's path in the image, then /usr/bin, /usr/local/bin,
 * /usr/sbin, /usr/local/sbin), never the outer host's.
 * Whichever it is, it is a regular executable file owned by root (in an image: or by the
 * owner of the image's root directory), and no directory from the root down to it, nor
 * the file, is writable by its group or by others; symlinks on the way are followed within
 * the root. *ret is owned by the caller. -EPERM, -ENOENT, … with *ret_error (may be NULL)
 * saying why in a sentence: "[hostfit] hostfit-path = /opt/hf/hostfit: /opt/hf is writable
 * by every user (mode 0777)". */
int hostfit_exe_path(const struct host *h, char **ret, char **ret_error);
