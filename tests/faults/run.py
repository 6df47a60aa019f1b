#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fault injection over `hostfit fix --yes --root`: one syscall fails once per run.

A fixture root that needs every fix hostfit can make offline (swap file and
fstab line, zram unit and its enable link, a unit's memory drop-in, the metrics
timer) is fixed once cleanly: that is the fixed state. Then, for each syscall
the writer and the readers use, each errno, and each position the syscall takes
in a clean run (all of them up to FAULTS_POSITIONS, evenly spread beyond), a
fresh copy of the root is fixed under `strace --inject=SYSCALL:error=ERRNO:when=N`.
After each run:
  - every file is byte-identical to before, to the fixed state, or to the state
    a clean fix of every check but swap-missing leaves (a unit's memory drop-in
    written while swap could not be made has no MemoryHigh=) (the swap file's
    random UUID aside), never torn or half-made;
  - no temp file (".#NAME.XXXXXX") is left anywhere, hostfit's own directories too;
  - exit 0 only when the root is fully fixed, and then with a run record;
  - a run that changed anything left a run record (written before its first
    change); one that could not write it changed nothing and said so;
  - a clean rerun exits 0 and reaches the fixed state, and a second plan is empty.
hostfit's own bookkeeping (the run records under var/lib/hostfit/runs, the backups
under var/backups/hostfit/STAMP, the lock file) is new in every run, so it is not
compared with the fixed state; instead every run record is whole JSON naming its
own stamp, and every backup holds what the file it backs up held before that run.
Prints "faults: N passed, N failed", and each failure with its syscall, errno
and position.
"""
import concurrent.futures
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

HOSTFIT = os.path.abspath(os.environ.get("HOSTFIT", "build/hostfit"))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
# renameat is the rename that replaces an existing file and puts the run record in place;
# openat2 is how the host view opens what it reads inside the root.
SYSCALLS = os.environ.get("FAULTS_SYSCALLS", "").split() or [
    "openat", "openat2", "read", "write", "pwrite64", "fsync", "fdatasync", "renameat2", "renameat",
    "rename", "linkat", "symlinkat", "mkdirat", "fallocate", "fchmod", "fchown", "fsetxattr",
    "unlinkat", "newfstatat", "getdents64"]
ERRNOS = ["EIO", "ENOSPC", "EACCES"]
MAX_POSITIONS = int(os.environ.get("FAULTS_POSITIONS", "40"))
TIMEOUT = 600    # a bound on a hang, not a speed: a run under strace on a loaded machine is slow
JOBS = int(os.environ.get("FAULTS_JOBS", "0")) or os.cpu_count() or 1
# Not compared: what each run records of itself (a new stamped record and backup
# directory each time, and their parents) and the lock. Checked by bookkeeping().
RUNS = "var/lib/hostfit/runs"
BACKUPS = "var/backups/hostfit"
IGNORED = ("var/lib/hostfit", "var/backups", "run/hostfit")
SWAP_UUID = slice(1024 + 12, 1024 + 28)     # struct swap_header: bootbits[1024], version, last_page, nr_badpages, uuid


def make_root(path):
    shutil.copytree(os.path.join(FIXTURES, "cli-fail"), path, symlinks=True)
    os.makedirs(os.path.join(path, "etc/hostfit"))
    with open(os.path.join(path, "etc/hostfit/hostfit.conf"), "w") as f:
        f.write("[swap]\nsize = 16M\n\n[zram]\nsize = 64M\n\n[metrics]\ntimer = yes\n\n"
                "[unit-memorymax]\nmax = app.service:256M\n")
    os.makedirs(os.path.join(path, "etc/systemd/system"))
    with open(os.path.join(path, "etc/systemd/system/app.service"), "w") as f:
        f.write("[Unit]\nDescription=app\n\n[Service]\nExecStart=/usr/bin/app\n\n"
                "[Install]\nWantedBy=multi-user.target\n")
    os.makedirs(os.path.join(path, "var/lib/prometheus/node-exporter"))
    os.makedirs(os.path.join(path, "run"))
    # The units hostfit writes run the image's own hostfit (root's, as the metrics timer needs).
    os.makedirs(os.path.join(path, "usr/sbin"), exist_ok=True)
    shutil.copy2(HOSTFIT, os.path.join(path, "usr/sbin/hostfit"))


def snapshot(root):
    """path -> (type, mode, uid, gid, content digest or link target); and the temps found."""
    snap, temps = {}, []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if name.startswith(".#"):
                temps.append(rel)
            if rel in IGNORED or rel.startswith(tuple(i + "/" for i in IGNORED)):
                continue
            snap[rel] = describe(full, rel)
    return snap, temps


def describe(full, rel):
    """(type, mode, uid, gid, content digest or link target) of one file."""
    st = os.lstat(full)
    if stat.S_ISLNK(st.st_mode):
        what = os.readlink(full)
    elif stat.S_ISREG(st.st_mode):
        with open(full, "rb") as f:
            data = bytearray(f.read())
        if rel == "swapfile" and len(data) > SWAP_UUID.stop:
            data[SWAP_UUID] = bytes(SWAP_UUID.stop - SWAP_UUID.start)
        what = hashlib.sha256(data).hexdigest()
    else:
        what = ""
    return (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, what)


def stamps(root):
    """The stamps of the run records and of the backup directories."""
    def names(d, suffix):
        try:
            return {n[:-len(suffix)] if suffix else n for n in os.listdir(os.path.join(root, d))
                    if n.endswith(suffix) and not n.startswith(".#")}
        except FileNotFoundError:
            return set()
    return names(RUNS, ".json"), names(BACKUPS, "")


def bookkeeping(root, new, prior):
    """What is wrong with the records and backups of the stamps in NEW, made by a run
    that started from the state PRIOR."""
    bad = []
    for stamp in sorted(new[0]):
        path = os.path.join(RUNS, stamp + ".json")
        try:
            with open(os.path.join(root, path), "rb") as f:
                rec = json.loads(f.read().decode())
            if not isinstance(rec, dict) or rec.get("stamp") != stamp:
                bad.append("%s does not name its own stamp" % path)
        except (ValueError, UnicodeDecodeError) as e:
            bad.append("%s is not whole JSON (%s)" % (path, e))
    for stamp in sorted(new[1]):
        top = os.path.join(root, BACKUPS, stamp)
        for dirpath, dirnames, filenames in os.walk(top):
            for name in filenames:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, top)
                b = describe(full, rel)
                p = prior.get(rel)
                if p is None or (b[0], b[4]) != (p[0], p[4]):
                    bad.append("backup %s/%s/%s is not what %s held before" % (BACKUPS, stamp, rel, rel))
    return bad


def hostfit(args, root, prefix=()):
    cmd = list(prefix) + [HOSTFIT] + args + ["--root", root]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return 124, "", "timed out"


def count_calls(root, args=("fix", "--yes"), syscalls=None, who="faults"):
    """How often each syscall is called by a clean run of ARGS on a fresh root."""
    syscalls = syscalls or SYSCALLS
    trace = root + ".trace"
    rc, out, err = hostfit(list(args), root,
                           ("strace", "-f", "-qq", "-o", trace, "-e", "trace=" + ",".join(syscalls)))
    if rc != 0:
        sys.exit("%s: the clean traced run of %s failed (%d): %s" % (who, " ".join(args), rc, err))
    counts = dict.fromkeys(syscalls, 0)
    with open(trace) as f:
        for line in f:
            name = line.split(" ", 1)[-1].split("(", 1)[0].strip()
            if name in counts:
                counts[name] += 1
    os.unlink(trace)
    return counts


def positions(n, most=None):
    """The calls to fault among N: all of them up to MOST, evenly spread beyond."""
    most = most or MAX_POSITIONS
    if n <= most:
        return list(range(1, n + 1))
    step = (n - 1) / (most - 1)
    return sorted({1 + round(i * step) for i in range(most)})


def one(base, before, fixed, noswap, syscall, errno, when):
    """The violations of one faulted run (an empty list when it held), in a root of its own."""
    root = tempfile.mkdtemp(prefix="r.", dir=base)
    try:
        return faulted(root, before, fixed, noswap, syscall, errno, when)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def faulted(root, before, fixed, noswap, syscall, errno, when):
    os.rmdir(root)
    make_root(root)
    inject = "%s:error=%s:when=%d" % (syscall, errno, when)
    rc, out, err = hostfit(["fix", "--yes"], root,
                           ("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + syscall, "-e", "inject=" + inject))
    bad = []
    if rc == 124:
        bad.append("the faulted run hung")
    after, temps = snapshot(root)
    made = stamps(root)
    bad += bookkeeping(root, made, before)
    if rc == 0 and not made[0]:
        bad.append("exit 0 but no run record")
    # The record is written before the first change: a run that cannot write it changes nothing,
    # and a run that changed the host always leaves one (pending actions, at worst).
    unrecorded = "refusing to change the host without a run record" in err
    if unrecorded and (rc == 0 or after != before):
        bad.append("the run could not write its record, yet changed the host or exited 0 (exit %d)" % rc)
    if after != before and not made[0]:
        bad.append("the host changed but no run record was left (exit %d)" % rc)
    if temps:
        bad.append("temp files left: " + ", ".join(temps))
    for path in sorted(set(before) | set(fixed) | set(after)):
        a = after.get(path)
        if a != before.get(path) and a != fixed.get(path) and a != noswap.get(path):
            bad.append("%s is neither as before nor as fixed (%s)" % (path, "missing" if a is None else "changed"))
    if rc == 0 and after != fixed:
        missing = [p for p in sorted(set(fixed) | set(after)) if after.get(p) != fixed.get(p)]
        bad.append("exit 0 but not fully fixed: " + ", ".join(missing[:5]))
    rc2, out2, err2 = hostfit(["fix", "--yes"], root)
    again, temps2 = snapshot(root)
    made2 = stamps(root)
    bad += bookkeeping(root, (made2[0] - made[0], made2[1] - made[1]), after)
    why = []
    if rc2 != 0:
        why.append("stderr: " + (" | ".join(err2.strip().splitlines()[-2:]) or "(empty)"))
    differ = [p for p in sorted(set(fixed) | set(again)) if again.get(p) != fixed.get(p)]
    if differ:
        why.append("not as fixed: " + ", ".join(differ[:5]))
    if temps2:
        why.append("temp files left: " + ", ".join(temps2))
    if rc2 == 0 and after != fixed and not made2[0] - made[0]:
        why.append("it changed the root but wrote no run record")
    if why:
        bad.append("a clean rerun did not converge (exit %d): %s" % (rc2, "; ".join(why)))
    rc3, out3, err3 = hostfit(["fix", "--dry-run", "--format", "json"], root)
    try:
        empty = rc3 == 0 and json.loads(out3)["actions"] == []
    except ValueError:
        empty = False
    if not empty:
        bad.append("the plan after the rerun is not empty (exit %d)" % rc3)
    if bad:
        bad.append("faulted run: exit %d; stderr: %s" % (rc, " | ".join(err.strip().splitlines()[-3:])))
    return bad, unrecorded


def main():
    if not shutil.which("strace"):
        print("faults: strace is needed (apt-get install strace)", file=sys.stderr)
        return 1
    base = tempfile.mkdtemp(prefix="hostfit-faults.")
    try:
        start = time.time()
        clean = os.path.join(base, "clean")
        make_root(clean)
        before, _ = snapshot(clean)
        counts = count_calls(clean)
        fixed, temps = snapshot(clean)
        made = stamps(clean)
        if temps or fixed == before or len(made[0]) != 1:
            print("faults: the clean run did not fix the root and record it once", file=sys.stderr)
            return 1
        bad = bookkeeping(clean, made, before)
        if bad:
            print("faults: the clean run's own records: " + "; ".join(bad), file=sys.stderr)
            return 1
        rc, out, _ = hostfit(["fix", "--dry-run", "--format", "json"], clean)
        if rc != 0 or json.loads(out)["actions"] != []:
            print("faults: the clean run leaves a plan: %s" % out, file=sys.stderr)
            return 1
        # The end state when swap cannot be made: a clean fix of every other check.
        noswap_root = os.path.join(base, "noswap")
        make_root(noswap_root)
        out = subprocess.run([HOSTFIT, "list", "--ids"], stdout=subprocess.PIPE, check=True).stdout.decode()
        ids = [i for i in out.split() if i != "swap-missing"]
        rc, out, err = hostfit(["fix", "--yes"] + ids, noswap_root)
        noswap, temps = snapshot(noswap_root)
        if rc != 0 or temps or noswap == fixed or noswap == before:
            print("faults: the clean run without swap-missing failed (%d): %s" % (rc, err), file=sys.stderr)
            return 1
        print("faults: calls in a clean run: " + ", ".join("%s %d" % (s, counts[s]) for s in SYSCALLS))
        passed = failed = unrecorded = 0
        # The runs are independent (a root each): as many at once as there are CPUs.
        runs = [(syscall, errno, when) for syscall in SYSCALLS for errno in ERRNOS
                for when in positions(counts[syscall])]
        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
            results = pool.map(lambda r: one(base, before, fixed, noswap, *r), runs)
            for (syscall, errno, when), (bad, unrec) in zip(runs, results):
                unrecorded += unrec
                if bad:
                    failed += 1
                    print("FAIL %s %s when=%d" % (syscall, errno, when))
                    for b in bad:
                        print("     " + b)
                else:
                    passed += 1
        # The run record's own write must be among the faults, or its failure is not covered.
        print("faults: %d runs could not write the run record and changed nothing" % unrecorded)
        if unrecorded == 0:
            failed += 1
            print("FAIL no faulted run hit the write of the run record")
        print("faults: %.0f s" % (time.time() - start))
        print("faults: %d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
