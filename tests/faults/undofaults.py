#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Faults in `hostfit undo --yes`: one syscall fails once (EIO, ENOSPC) after a clean fix.

The fixture root of run.py is fixed, then undone under
`strace --inject=SYSCALL:error=ERRNO:when=N`, N spread over the calls a clean
undo makes (the writes of the undo's own run record among them). After each:
  - `history` reads every record (exit 0);
  - it lists the undo whenever the tree changed, and calls the fix undone only
    when the tree is back as before the fix: an undo whose own record failed
    never leaves history claiming what did not happen;
  - an undo that exits 0 left the tree as before the fix;
  - a clean rerun of `undo --yes` gives the tree back, leaves no temp file, and
    history then shows the fix undone: a failed undo never blocks it for good.
Prints "undofaults: N passed, N failed".
"""
import concurrent.futures
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as faults  # noqa: E402  (make_root, snapshot, hostfit)

SYSCALLS = os.environ.get("UNDOFAULTS_SYSCALLS", "").split() or [
    "openat", "write", "fdatasync", "fsync", "renameat", "renameat2", "mkdirat", "unlinkat"]
ERRNOS = ["EIO", "ENOSPC"]
MAX_POSITIONS = int(os.environ.get("UNDOFAULTS_POSITIONS", "12"))


def count(root):
    return faults.count_calls(root, ("undo", "--yes"), SYSCALLS, "undofaults")


def positions(n):
    return faults.positions(n, MAX_POSITIONS)


def runs(root):
    rc, out, err = faults.hostfit(["history", "--format", "json"], root)
    if rc != 0:
        return None, err
    return json.loads(out)["runs"], err


def one(base, before, syscall, errno, when):
    """The violations of one faulted undo, in a fresh root of its own under BASE."""
    root = tempfile.mkdtemp(prefix="r.", dir=base)
    os.rmdir(root)
    try:
        return faulted(root, before, syscall, errno, when)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def faulted(root, before, syscall, errno, when):
    faults.make_root(root)
    rc, _, err = faults.hostfit(["fix", "--yes"], root)
    if rc != 0:
        return ["the clean fix failed (%d): %s" % (rc, err)]
    fixed, _ = faults.snapshot(root)
    inject = "%s:error=%s:when=%d" % (syscall, errno, when)
    rc, out, err = faults.hostfit(["undo", "--yes"], root,
                                  ("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + syscall,
                                   "-e", "inject=" + inject))
    bad = []
    if rc == 124:
        bad.append("the faulted undo hung")
    mid, _ = faults.snapshot(root)
    listed, herr = runs(root)
    if listed is None:
        return ["history failed after the faulted undo: " + herr.strip()]
    undone = [r for r in listed if r["kind"] == "fix" and r["undone_by"]]
    if mid != fixed and not [r for r in listed if r["kind"] == "undo"]:
        bad.append("the faulted undo changed the tree but history lists no undo run")
    if undone and mid != before:
        bad.append("history says the fix was undone, but the tree is not as before")
    if rc == 0 and mid != before:
        bad.append("undo exited 0 but the tree is not as before")
    rc2, _, err2 = faults.hostfit(["undo", "--yes"], root)
    again, temps = faults.snapshot(root)
    if again != before:
        differ = [p for p in sorted(set(before) | set(again)) if again.get(p) != before.get(p)]
        bad.append("a clean rerun of undo (exit %d) did not restore the tree: %s; %s" %
                   (rc2, ", ".join(differ[:5]), " | ".join(err2.strip().splitlines()[-2:])))
    if temps:
        bad.append("temp files left after the rerun: " + ", ".join(temps))
    listed, herr = runs(root)
    fixes = [r for r in (listed or []) if r["kind"] == "fix"]
    if len(fixes) != 1 or not fixes[0]["undone_by"]:
        bad.append("after the rerun, history does not show the fix undone: %s" % json.dumps(listed)[:300])
    if bad:
        bad.append("faulted undo: exit %d; stderr: %s" % (rc, " | ".join(err.strip().splitlines()[-2:])))
    return bad


def main():
    if not shutil.which("strace"):
        print("undofaults: strace is needed (apt-get install strace)", file=sys.stderr)
        return 1
    base = tempfile.mkdtemp(prefix="hostfit-undofaults.")
    try:
        start = time.time()
        clean = os.path.join(base, "clean")
        faults.make_root(clean)
        before, _ = faults.snapshot(clean)
        rc, _, err = faults.hostfit(["fix", "--yes"], clean)
        if rc != 0:
            print("undofaults: the clean fix failed (%d): %s" % (rc, err), file=sys.stderr)
            return 1
        counts = count(clean)
        after, _ = faults.snapshot(clean)
        if after != before:
            print("undofaults: a clean fix and undo do not give the tree back", file=sys.stderr)
            return 1
        print("undofaults: calls in a clean undo: " + ", ".join("%s %d" % (s, counts[s]) for s in SYSCALLS))
        passed = failed = 0
        # The runs are independent (a root each): as many at once as there are CPUs.
        todo = [(syscall, errno, when) for syscall in SYSCALLS for errno in ERRNOS
                for when in positions(counts[syscall])]
        with concurrent.futures.ThreadPoolExecutor(max_workers=faults.JOBS) as pool:
            results = pool.map(lambda t: one(base, before, *t), todo)
            for (syscall, errno, when), bad in zip(todo, results):
                if bad:
                    failed += 1
                    print("FAIL %s %s when=%d" % (syscall, errno, when))
                    for b in bad:
                        print("     " + b)
                else:
                    passed += 1
        print("undofaults: %.0f s" % (time.time() - start))
        print("undofaults: %d passed, %d failed" % (passed, failed))
        return 1 if failed or passed == 0 else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
