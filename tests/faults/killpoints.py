#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kill points: `hostfit fix --yes` and `hostfit undo --yes` killed at every action boundary.

The fixture root of run.py (swap file and fstab line, zram unit and its link, a
unit's memory drop-in, the metrics timer) is fixed under strace, which sends
SIGKILL or SIGTERM at the Nth call of a syscall that ends a step: a file put in
place (renameat2, symlinkat, unlinkat), a directory made (mkdirat), a step
recorded (fdatasync of the run's journal, fsync). Every N a clean run makes is
tried, with each signal. After each killed fix:
  - `history` reads every record (exit 0), and lists a run whenever the tree
    changed;
  - `undo --yes` brings the tree back to what it was before the fix (the
    records, backups and lock aside), and leaves no temp file;
  - a second `undo` has nothing left to take back.
Then the same for `undo --yes` killed at every boundary after a clean fix:
history lists the undo whenever the tree changed and calls the fix undone only
when the tree is back, a rerun of `undo --yes` completes it, and history then
shows the fix undone.
Prints "killpoints: N passed, N failed".
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as faults  # noqa: E402  (make_root, snapshot, hostfit)

SYSCALLS = os.environ.get("KILLPOINTS_SYSCALLS", "").split() or [
    "renameat2", "renameat", "symlinkat", "unlinkat", "mkdirat", "fdatasync", "fsync"]
SIGNALS = ["KILL", "TERM"]
HOSTFIT = faults.HOSTFIT


def count(root, args):
    return faults.count_calls(root, args, SYSCALLS, "killpoints")


def killed(root, args, sig, point):
    """Run ARGS with SIG delivered at POINT: (syscall, N), the Nth call of that syscall."""
    syscall, when = point
    inject = "%s:signal=%s:when=%d" % (syscall, sig, when)
    return faults.hostfit(args, root, ("strace", "-f", "-qq", "-o", "/dev/null",
                                       "-e", "trace=" + syscall, "-e", "inject=" + inject))


def runs(root):
    rc, out, err = faults.hostfit(["history", "--format", "json"], root)
    if rc != 0:
        return None, err
    return json.loads(out)["runs"], err


def check_fix(root, before, sig, when):
    """WHEN: (syscall, N)."""
    faults.make_root(root)
    rc, out, err = killed(root, ["fix", "--yes"], sig, when)
    bad = []
    after, _ = faults.snapshot(root)
    listed, herr = runs(root)
    if listed is None:
        return ["history failed after the kill: " + herr.strip()]
    if after != before and not listed:
        bad.append("the tree changed but history lists no run")
    if "could not be read" in herr:
        bad.append("history could not read a record: " + herr.strip())
    rc2, out2, err2 = faults.hostfit(["undo", "--yes"], root)
    undone, temps = faults.snapshot(root)
    if undone != before:
        differ = [p for p in sorted(set(before) | set(undone)) if undone.get(p) != before.get(p)]
        bad.append("undo (exit %d) did not restore the tree: %s; %s" %
                   (rc2, ", ".join(differ[:5]), " | ".join(err2.strip().splitlines()[-2:])))
    if temps:
        bad.append("temp files left after undo: " + ", ".join(temps))
    rc3, out3, err3 = faults.hostfit(["undo", "--dry-run"], root)
    if rc3 != 0 or ("nothing to do" not in out3 and "no run to undo" not in out3 and "taken back by" not in out3):
        bad.append("a second undo would still change something (exit %d): %s" % (rc3, out3.strip()[-200:]))
    if bad:
        bad.append("killed fix: exit %d; stderr: %s" % (rc, " | ".join(err.strip().splitlines()[-2:])))
    return bad


def check_undo(root, before, sig, when):
    faults.make_root(root)
    rc, _, err = faults.hostfit(["fix", "--yes"], root)
    if rc != 0:
        return ["the clean fix failed (%d): %s" % (rc, err)]
    fixed, _ = faults.snapshot(root)
    rc, out, err = killed(root, ["undo", "--yes"], sig, when)
    bad = []
    mid, _ = faults.snapshot(root)
    listed, herr = runs(root)
    if listed is None:
        return ["history failed after the killed undo: " + herr.strip()]
    # History says what the killed undo did: a run whenever it changed the tree, and the fix
    # "undone" only once the tree is back as before.
    if mid != fixed and not [r for r in listed if r["kind"] == "undo"]:
        bad.append("the killed undo changed the tree but history lists no undo run")
    if [r for r in listed if r["kind"] == "fix" and r["undone_by"]] and mid != before:
        bad.append("history says the fix was undone, but the tree is not as before")
    rc2, out2, err2 = faults.hostfit(["undo", "--yes"], root)
    undone, temps = faults.snapshot(root)
    if undone != before:
        differ = [p for p in sorted(set(before) | set(undone)) if undone.get(p) != before.get(p)]
        bad.append("a rerun of undo (exit %d) did not restore the tree: %s; %s" %
                   (rc2, ", ".join(differ[:5]), " | ".join(err2.strip().splitlines()[-2:])))
    if temps:
        bad.append("temp files left after undo: " + ", ".join(temps))
    listed, herr = runs(root)
    fixes = [r for r in (listed or []) if r["kind"] == "fix"]
    if len(fixes) != 1 or not fixes[0]["undone_by"]:
        bad.append("history does not show the fix undone: %s" % json.dumps(listed)[:300])
    if bad:
        bad.append("killed undo: exit %d; stderr: %s" % (rc, " | ".join(err.strip().splitlines()[-2:])))
    return bad


def in_own_root(base, check, before, sig, when):
    """CHECK in a fresh root of its own under BASE, removed afterwards."""
    root = tempfile.mkdtemp(prefix="r.", dir=base)
    os.rmdir(root)
    try:
        return check(root, before, sig, when)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main():
    if not shutil.which("strace"):
        print("killpoints: strace is needed (apt-get install strace)", file=sys.stderr)
        return 1
    base = tempfile.mkdtemp(prefix="hostfit-killpoints.")
    try:
        start = time.time()
        clean = os.path.join(base, "clean")
        faults.make_root(clean)
        before, _ = faults.snapshot(clean)
        c_fix = count(clean, ["fix", "--yes"])
        c_undo = count(clean, ["undo", "--yes"])
        n_fix = [(s, i) for s in SYSCALLS for i in range(1, c_fix[s] + 1)]
        n_undo = [(s, i) for s in SYSCALLS for i in range(1, c_undo[s] + 1)]
        after, _ = faults.snapshot(clean)
        if after != before:
            print("killpoints: a clean fix and undo do not give the tree back", file=sys.stderr)
            return 1
        print("killpoints: %d boundaries in fix --yes, %d in undo --yes" % (len(n_fix), len(n_undo)))
        passed = failed = 0
        # The runs are independent (a root each): as many at once as there are CPUs.
        todo = [(what, check, sig, when) for what, n, check in (("fix", n_fix, check_fix), ("undo", n_undo, check_undo))
                for sig in SIGNALS for when in n]
        with concurrent.futures.ThreadPoolExecutor(max_workers=faults.JOBS) as pool:
            results = pool.map(lambda t: in_own_root(base, t[1], before, t[2], t[3]), todo)
            for (what, _, sig, when), bad in zip(todo, results):
                if bad:
                    failed += 1
                    print("FAIL %s SIG%s at %s call %d" % (what, sig, when[0], when[1]))
                    for b in bad:
                        print("     " + b)
                else:
                    passed += 1
        print("killpoints: %.0f s" % (time.time() - start))
        print("killpoints: %d passed, %d failed" % (passed, failed))
        return 1 if failed or passed == 0 else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
