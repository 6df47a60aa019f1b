#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Unit trees for the differential test of hostfit's unit model against systemd.

  unit-oracle.py generate DIR SEED N   writes DIR/root (a tree to unpack at /) and DIR/names
  unit-oracle.py compare DIR           reads DIR/systemd.txt (systemctl show) and
                                       DIR/hostfit.txt (unitdump), prints each disagreement
                                       and exits 1 when there is one

The trees hold unit files and drop-ins across the search path with shadowed names,
resets, invalid and odd values, the wrong section, continuations, masks and comments.
"""
import os
import random
import sys

DIRS = ["etc/systemd/system", "run/systemd/system", "usr/local/lib/systemd/system",
        "usr/lib/systemd/system", "etc/systemd/system.control", "run/systemd/system.control"]
FRAG_DIRS = DIRS[:4]
KEYS = ["MemoryMax"] * 6 + ["MemoryHigh"] * 2 + ["MemoryLimit"] + ["Restart"] * 2 + ["RestartSec"] * 2
RESTART = ["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always",
           "", "yes", "On-failure", "always;", "on_failure", "1"]
RESTART_SEC = ["100ms", "5", "5s", "1min 30s", "1.5", "1.5s", "0", "", "infinity", "infinity s", "-1", "-0",
               "1e3", "1h", "2 min", "1min30s", "3.", "3.sec", ".5", "1y", "1M", "1m", "5us", "5\u00b5s",
               "10msec", "1.2.3", "1 2", "abc", "18446744073709551615", "5 s", "0.000001s", "1.0000001",
               "1w 2d", "100 ms", "1s 1s", "2hours", "3 weeks", "1.5min"]
VALUES = [
    "1G", "512M", "1.5G", "256M", "1073741824", "4096", "7B", "1 G", "1G 512M", "1G512M", "10.M", "1.",
    "+5K", "0.5K", "1E", "8E", "1T", "1P", "2K", "100K", "123456789", "1.0000000000000000000001K",
    "18446744073709551614", "18446744073709551615", "99999999999999999999", "16E",
    "infinity", "", "", "0", "0%", "0x40000000", "0x10%", "010%", "0b11%", "0o7%", "1e3", "1e400%", "nan%",
    "nan", "inf", "-1", "-0", "1k", "1MB", "1M 1G", "1G 1G", ".5G", "5 %", "5.%", " 5%", "+5%",
    "50%", "5.5%", "5.55%", "5.555%", "100%", "101%", "1%", "0.01%", "1\u2030", "1.5\u2030", "15\u2031",
    "1.5\u2031", "infinity ", "Infinity", "max", "1.99999999999999999999G", "1 2", "\"1G\"", "1G;",
]
DROPIN_NAMES = ["10-a.conf", "20-b.conf", "49-hostfit-memory.conf", "50-MemoryMax.conf",
                "override.conf", "zz.conf", "a.conf"]


def value_line(rnd, key):
    v = rnd.choice(RESTART if key == "Restart" else RESTART_SEC if key == "RestartSec" else VALUES)
    form = rnd.random()
    if form < 0.70:
        return "%s=%s\n" % (key, v)
    if form < 0.80:
        return "%s = %s\n" % (key, v)
    if form < 0.85:
        return "  %s=%s  \n" % (key, v)
    if form < 0.90 and len(v) > 1:
        # a continuation: systemd joins the lines, the backslash becoming a space
        return "%s=%s\\\n%s\n" % (key, v[:1], v[1:])
    if form < 0.93:
        return "%s=%s\\\n# a comment inside a continuation\n\n" % (key, v)
    if form < 0.96:
        return "%s=%s \\ \n" % (key, v)
    return "%s=%s\\\\\n" % (key, v)


def section_text(rnd, n):
    out = []
    sec = rnd.random()
    if sec < 0.80:
        out.append("[Service]\n")
    elif sec < 0.85:
        out.append("[Unit]\n")
    elif sec < 0.90:
        out.append("[service]\n")
    elif sec < 0.93:
        out.append("[Install]\n")
    elif sec < 0.96:
        out.append("[Service\n")
    else:
        out.append("")          # before any section
    for _ in range(n):
        r = rnd.random()
        if r < 0.08:
            out.append("# MemoryMax=1G\n")
        elif r < 0.12:
            out.append("; MemoryMax=2G\n")
        elif r < 0.15:
            out.append("memorymax=1G\n")
        elif r < 0.18:
            out.append("[Service]\n")
        else:
            out.append(value_line(rnd, rnd.choice(KEYS)))
    return "".join(out)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.remove(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def link(root, rel, target):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.remove(path)
    os.symlink(target, path)


def generate(out, seed, n):
    rnd = random.Random(seed)
    root = os.path.join(out, "root")
    names = ["hfo-calib.service"]
    write(root, FRAG_DIRS[0] + "/hfo-calib.service", "[Service]\nExecStart=/bin/true\nMemoryMax=100%\n")
    for i in range(n):
        kind = rnd.random()
        if kind < 0.6:
            name = "hfo%d-a-b.service" % i
            loaded = name
            prefixes = ["hfo%d-a-b.service" % i, "hfo%d-a-.service" % i, "hfo%d-.service" % i]
        else:
            tmpl = "hfo%d-t@.service" % i
            name = "hfo%d-t@x%d.service" % (i, rnd.randint(0, 2))
            loaded = tmpl
            inst = name.split("@")[1][:-len(".service")]
            prefixes = [name, tmpl, "hfo%d-@%s.service" % (i, inst), "hfo%d-@.service" % i, "hfo%d-.service" % i]
        names.append(name)
        # the fragment, and sometimes a shadowed one lower on the path
        fdirs = rnd.sample(range(4), rnd.choice([1, 1, 1, 2]))
        fdirs.sort()
        for k, d in enumerate(fdirs):
            body = "[Unit]\nDescription=oracle %d\n\n[Service]\nExecStart=/bin/true\n" % i
            body += section_text(rnd, rnd.randint(0, 3))
            write(root, FRAG_DIRS[d] + "/" + loaded, body)
        shape = rnd.random()
        if shape < 0.04 and loaded == name:
            # masked in /etc
            link(root, FRAG_DIRS[0] + "/" + name, "/dev/null")
        elif shape < 0.08 and loaded == name:
            # an alias in /etc, asked for by either name, with drop-ins of its own
            alias = "hfo%d-alias.service" % i
            link(root, FRAG_DIRS[0] + "/" + alias, "/" + FRAG_DIRS[fdirs[-1]] + "/" + name)
            write(root, "%s/%s.d/%s" % (rnd.choice(DIRS), alias, rnd.choice(DROPIN_NAMES)),
                  section_text(rnd, rnd.randint(1, 2)))
            names.append(alias)
        elif shape < 0.12 and loaded == name:
            # a linked unit: the file lives outside the search path
            write(root, "opt/hfo/" + name, "[Service]\nExecStart=/bin/true\n" + section_text(rnd, 2))
            link(root, FRAG_DIRS[0] + "/" + name, "/opt/hfo/" + name)
        # drop-ins
        for _ in range(rnd.randint(0, 5)):
            d = rnd.choice(DIRS)
            p = rnd.choice(prefixes)
            base = rnd.choice(DROPIN_NAMES)
            rel = "%s/%s.d/%s" % (d, p, base)
            r = rnd.random()
            if r < 0.05:
                link(root, rel, "/dev/null")
            elif r < 0.08:
                write(root, rel, "")
            elif r < 0.10:
                write(root, "%s/%s.d/.hidden.conf" % (d, p), section_text(rnd, 2))
            elif r < 0.12:
                write(root, "%s/%s.d/%s~" % (d, p, base), section_text(rnd, 2))
            else:
                write(root, rel, section_text(rnd, rnd.randint(1, 3)))
    with open(os.path.join(out, "names"), "w") as f:
        f.write(" ".join(names) + "\n")


def parse_show(path, names):
    """systemctl show prints one block a name, in the order asked (an alias shows its unit's Id)."""
    blocks, cur = [], {}
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line:
            if cur:
                blocks.append(cur)
            cur = {}
            continue
        k, _, v = line.partition("=")
        cur[k] = v
    if cur:
        blocks.append(cur)
    if len(blocks) != len(names):
        sys.exit("oracle: %d names asked, %d blocks shown" % (len(names), len(blocks)))
    return dict(zip(names, blocks))


TIME_UNITS = {"y": 31557600000000, "month": 2629800000000, "w": 604800000000, "d": 86400000000,
              "h": 3600000000, "min": 60000000, "s": 1000000, "ms": 1000, "us": 1}


def timespan_usec(text):
    """systemd's format_timespan() read back: "1min 30s", "1.500000s", "infinity", "0"."""
    if text in ("infinity", "0"):
        return text
    total = 0
    for word in text.split():
        num = word.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = TIME_UNITS[word[len(num):]]
        whole, _, frac = num.partition(".")
        total += int(whole) * unit + (int(frac) * unit // 10 ** len(frac) if frac else 0)
    return str(total)


def compare(out):
    names = open(os.path.join(out, "names")).read().split()
    sd = parse_show(os.path.join(out, "systemd.txt"), names)
    phys = int(sd["hfo-calib.service"]["MemoryMax"])
    page = os.sysconf("SC_PAGE_SIZE")
    bad = 0
    n = 0
    nbad = 0
    nmasked = 0
    for line in open(os.path.join(out, "hostfit.txt"), encoding="utf-8"):
        words = line.split()
        name, fields = words[0], dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if name == "hfo-calib.service":
            continue
        n += 1
        if name not in sd:
            print("%s: systemd shows nothing" % name)
            bad += 1
            continue
        if (words[1:] == ["masked"]) != (sd[name].get("LoadState") == "masked"):
            print("%s: systemd LoadState=%s, hostfit %s" % (name, sd[name].get("LoadState"), " ".join(words[1:])))
            bad += 1
            continue
        if words[1:] == ["masked"]:
            nmasked += 1
            continue
        refused = any(w.startswith("bad:") for w in words[1:])
        if refused != (sd[name].get("LoadState") != "loaded"):
            print("%s: systemd LoadState=%s, hostfit %s" % (name, sd[name].get("LoadState"), " ".join(words[1:])))
            bad += 1
            continue
        if refused:
            nbad += 1
            continue
        if any(w.startswith("error:") for w in words[1:]):
            print("%s: hostfit could not load it (%s)" % (name, words[1]))
            bad += 1
            continue
        for key in ("MemoryMax", "MemoryHigh", "MemoryLimit", "Restart", "RestartUSec"):
            v = fields[key]
            if v.startswith("pct:"):
                v = str(phys // page * int(v[4:]) // 10000 * page)
            theirs = sd[name].get(key)
            if key == "RestartUSec":
                theirs = timespan_usec(theirs)
            if v != theirs:
                print("%s: %s systemd=%s hostfit=%s" % (name, key, sd[name].get(key), fields[key]))
                bad += 1
    print("oracle: %d units (%d masked, %d refused by systemd), %d disagreements" % (n, nmasked, nbad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2]))
    else:
        sys.exit("usage: unit-oracle.py generate DIR SEED N | compare DIR")
