"""Helpers for Benchmarks/run.sh (standard library only).

    bench.py count OUT[,ERR] T0 T1 [UNAME]  JSON {"timestamps": n, "uname": m}: timestamps printed by `date +%s.%N`
                                       that fall between T0 and T1 (epoch seconds), and lines holding UNAME
    bench.py quiet MAX_WAIT FRACTION   wait up to MAX_WAIT s for a second in which the machine is less busy than
                                       FRACTION of all cores; prints the busy fraction
    bench.py mark FLEET_DIR            JSON snapshot before a run: byte offsets of every sshd log in FLEET_DIR, CPU of
                                       the servers so far, busy CPU of the machine so far
    bench.py logs FLEET_DIR MARKS      JSON {"kex": {alg: count}, "accepted": n, "server_cpu_s", "busy_s"}: what
                                       happened since MARKS: key exchanges seen by server 1 (it logs at DEBUG1),
                                       public-key logins on all servers (one per SSH connection), server CPU, busy CPU
    bench.py record KEY=VALUE...       one JSON result line (run.sh passes id, label, case, n, rc, t0, t1, the output,
                                       treemon and GNU time files, the fleet dir and log marks, uname, load)
    bench.py report RESULTS.jsonl      the comparison table(s), with Flotilla's ratio to every other tool; when a case
                                       ran several times (BENCH_REPEAT) the run with the lowest wall time is shown
    bench.py apply-timeline RESULTS_DIR  where each floor and Flotilla run spent its time, per host: from the floor's
                                       timestamps in its logs and from Flotilla's journal (FLOTILLA_DB of the run)
    bench.py apply-report RESULTS.jsonl  issue 6's table (Benchmarks/apply.sh): per N, the median of each contender's
                                       correct runs, its overhead over the floor, and Flotilla's overhead against
                                       Ansible's (target: at most a tenth)
"""

import glob
import json
import os
import re
import sys

TIMESTAMP = re.compile(r"(?<![0-9.])(1[0-9]{9}\.[0-9]{9})(?![0-9])")
KEX = re.compile(r"kex: algorithm: (\S+)")


def count(paths, t0, t1, uname=None):
    """Counts over the tool's stdout and stderr (pyinfra prints command output on stderr)."""
    lo, hi = float(t0) - 1.0, float(t1) + 1.0
    stamps = hits = 0
    for path in paths.split(","):
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            for line in f:
                for m in TIMESTAMP.findall(line):
                    if lo <= float(m) <= hi:
                        stamps += 1
                if uname and uname in line:
                    hits += 1
    return {"timestamps": stamps, "uname": hits}


HOSTNAME = re.compile(r"(?<![\w.-])h(\d{3,})(?![\w.-])")
RECAP = re.compile(r"^(h\d{3,})\s*:\s*ok=(\d+)\s.*unreachable=0\s+failed=0\b")
ADHOC = re.compile(r"^(h\d{3,}) \| (CHANGED|SUCCESS|FAILED!?) \| rc=\d+")


def answered(paths, n, kind):
    """How many of the n hosts h001..hN gave an answer, judged by kind:
    names: the host's name appears in the output (Flotilla prints every host, including unreachable ones, so
           for it this is combined with its exit status by the caller);
    recap:K: the Ansible play recap says ok=K, unreachable=0, failed=0 for the host;
    adhoc: an Ansible ad-hoc result line with a return code (the command ran, whatever its status)."""
    seen = set()
    for path in paths.split(","):
        if not os.path.exists(path):
            continue
        for line in open(path, errors="replace"):
            if kind == "names":
                seen.update(int(m) for m in HOSTNAME.findall(line))
            elif kind.startswith("recap:"):
                m = RECAP.match(line)
                if m and int(m.group(2)) == int(kind.split(":")[1]):
                    seen.add(int(m.group(1)[1:]))
            elif kind == "adhoc":
                m = ADHOC.match(line)
                if m:
                    seen.add(int(m.group(1)[1:]))
    return len([h for h in seen if 1 <= h <= n])


CONVERGED = re.compile(r"^(node\d{2,})\s+converged\s*$")


def converged(path, n):
    """Hosts node01..nodeN that the independent check after the run (apply.sh's verify) found converged."""
    if not path or not os.path.exists(path):
        return 0
    seen = set()
    for line in open(path, errors="replace"):
        m = CONVERGED.match(line)
        if m:
            seen.add(int(m.group(1)[4:]))
    return len([h for h in seen if 1 <= h <= n])


def logs_of(fleet):
    return sorted(glob.glob(os.path.join(fleet, "sshd_*.log")))


TICK = os.sysconf("SC_CLK_TCK")


def server_cpu_s(fleet):
    """CPU of the fleet's sshd listeners and of every per-connection process they have reaped
    (utime + stime + cutime + cstime of each listener), in seconds."""
    total = 0
    # sshd_N.pid only: sshd_N.launch.pid holds the same PID and would count every server twice.
    for path in glob.glob(os.path.join(fleet, "sshd_*.pid")):
        if not re.fullmatch(r"sshd_\d+\.pid", os.path.basename(path)):
            continue
        try:
            pid = open(path).read().strip()
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])
        except (OSError, ValueError, IndexError):
            pass
    return total / TICK


def busy_s():
    """CPU seconds the whole machine has spent busy (all cores) since boot."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def mark(fleet):
    return {
        "logs": {path: os.path.getsize(path) for path in logs_of(fleet)},
        "server_cpu_s": server_cpu_s(fleet),
        "busy_s": busy_s(),
        "monotonic": __import__("time").monotonic(),
    }


def quiet(max_wait, threshold):
    """Wait (at most max_wait seconds) for a 1-second window in which the machine is busy less than threshold
    (a fraction of all cores); print the busy fraction of the last window."""
    import time
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + float(max_wait)
    while True:
        b0 = busy_s()
        time.sleep(1.0)
        frac = (busy_s() - b0) / cores
        if frac < float(threshold) or time.monotonic() >= deadline:
            return round(frac, 2)


def logs(fleet, marks):
    kex, accepted = {}, 0
    for path in logs_of(fleet):
        with open(path, "rb") as f:
            f.seek(marks["logs"].get(path, 0))
            text = f.read().decode(errors="replace")
        accepted += text.count("Accepted publickey for ")
        if os.path.basename(path) == "sshd_1.log":
            for alg in KEX.findall(text):
                kex[alg] = kex.get(alg, 0) + 1
    return {
        "kex": kex,
        "accepted": accepted,
        "server_cpu_s": round(server_cpu_s(fleet) - marks["server_cpu_s"], 2),
        "busy_s": round(busy_s() - marks["busy_s"], 2),
        "window_s": round(__import__("time").monotonic() - marks.get("monotonic", 0), 2),
    }


def record(args):
    a = dict(arg.split("=", 1) for arg in args)
    n = int(a["n"])
    row = {"id": a["id"], "label": a["label"], "case": a["case"], "n": n, "total": n, "date": a.get("date", "")}
    if a.get("run"):
        row["run"] = int(a["run"])
    if a.get("skip"):
        row.update(status="skipped", note=a["skip"])
        return row
    counted = count(a["out"], a["t0"], a["t1"], a.get("uname") or None)
    if a.get("ok_kind") == "verify":
        ok = converged(a.get("verify"), n)
    elif a.get("ok_kind"):
        ok = answered(a["out"], n, a["ok_kind"])
    elif a["case"] == "one":
        ok = counted["timestamps"]
    else:
        ok = min(counted["timestamps"], counted["uname"])
    ok_exit = [int(x) for x in a.get("ok_exit", "0").split(",")]
    mon = json.load(open(a["mon"]))
    try:
        e, u, s_, m = open(a["time"]).read().split()[-4:]
        gnu = {"wall_s": float(e), "cpu_s": round(float(u) + float(s_), 2), "max_rss_kb": int(m)}
    except (OSError, ValueError):
        gnu = {}
    seen = logs(a["fleet"], json.load(open(a["marks"])))
    rc = int(a["rc"])
    tool_cpu = round(mon["cpu_user_all_s"] + mon["cpu_sys_all_s"], 2)
    row.update(
        status="ok" if rc in ok_exit and ok == n else "failed",
        exit_status=rc,
        ok=ok,
        timestamps=counted["timestamps"],
        uname_lines=counted["uname"],
        wall_s=gnu.get("wall_s", mon["wall_s"]),
        cpu_s=tool_cpu,
        server_cpu_s=seen["server_cpu_s"],
        # Busy CPU of the whole machine during the measurement window that was neither the tool's nor the fleet's:
        # other people's work competing for the two cores (the window includes the wait for the servers to settle).
        other_cpu_s=round(max(0.0, seen["busy_s"] - tool_cpu - seen["server_cpu_s"]), 2),
        busy_before=a.get("busy_before", ""),
        machine_busy_s=seen["busy_s"],
        window_s=seen["window_s"],
        gnu_time=gnu,
        max_single_rss_kb=mon["max_single_rss_kb"],
        peak_tree_rss_kb=mon["peak_tree_rss_kb"],
        peak_tree_pss_kb=mon.get("peak_tree_pss_kb", 0),
        peak_procs=mon["peak_procs"],
        detached_ended=mon["leftover_processes_ended"],
        kex=seen["kex"],
        accepted=seen["accepted"],
        load=a.get("load", ""),
        command=a.get("command", ""),
        t0=float(a["t0"]),
        t1=float(a["t1"]),
    )
    return row


def upgrade(row):
    """Rows recorded before the fix that stopped counting every server twice (their marks lack machine_busy_s):
    halve the server CPU; the contention figure cannot be recomputed for them."""
    if row.get("status") != "skipped" and "machine_busy_s" not in row and "server_cpu_s" in row:
        row["server_cpu_s"] = round(row["server_cpu_s"] / 2, 2)
        row["other_cpu_s"] = None
    elif row.get("window_s", 0) > 1000:  # marked before the fix (no start time), recorded after it: no valid difference
        row["server_cpu_s"] = row["other_cpu_s"] = None
    return row


def best_runs(rows):
    """One row per (n, case, id): the ok run with the lowest wall time, else the last run."""
    chosen, order = {}, []
    for row in rows:
        key = (row["n"], row["case"], row["id"])
        if key not in chosen:
            order.append(key)
            chosen[key] = row
            continue
        old = chosen[key]
        if row["status"] == "ok" and (old["status"] != "ok" or row["wall_s"] < old["wall_s"]):
            chosen[key] = row
        elif old["status"] != "ok" and row["status"] != "ok":
            chosen[key] = row
    return [chosen[k] for k in order]


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def report(path):
    rows = best_runs([upgrade(json.loads(line)) for line in open(path) if line.strip()])
    groups = {}
    for row in rows:
        groups.setdefault((row["n"], row["case"]), []).append(row)
    out = []
    for (n, case), items in sorted(groups.items(), key=lambda kv: (kv[0][0], ["one", "five", "audit"].index(kv[0][1]) if kv[0][1] in ("one", "five", "audit") else 9)):
        title = {"one": "one command (date +%s.%N)", "five": "five commands per host",
                 "audit": "clock audit (chronyc -c tracking; chronyc -c sources)"}.get(case, case)
        out.append(f"\nN={n} hosts, parallelism {n}, {title}")
        flotilla = next((r for r in items if r["id"] == "flotilla" and r["status"] == "ok"), None)
        header = (f"{'tool':<34} {'wall s':>7} {'CPU s':>7} {'sshd CPU':>8} {'other':>6} {'peak MB':>8} {'1-proc MB':>9} "
                  f"{'conns':>5} {'ok/total':>9}  {'kex (server 1)':<30} {'wall/Flotilla':>13} {'CPU/Flotilla':>12}")
        out.append(header)
        out.append("-" * len(header))
        for r in items:
            if r["status"] == "skipped":
                out.append(f"{r['label']:<34} skipped: {r.get('note', '')}")
                continue
            cpu = r["cpu_s"]
            ratio_w = ratio_c = "-"
            if flotilla and r is not flotilla and r["status"] == "ok":
                ratio_w = f"{r['wall_s'] / flotilla['wall_s']:.1f}x"
                ratio_c = f"{cpu / flotilla['cpu_s']:.1f}x" if flotilla["cpu_s"] else "-"
            kex = ",".join(f"{k}" for k in r.get("kex", {})) or "?"
            ok = f"{r['ok']}/{r['total']}"
            status = "" if r["status"] == "ok" else "  FAILED"
            wall = fmt(r["wall_s"]) if r["status"] == "ok" else "FAILED"
            out.append(
                f"{r['label']:<34} {wall:>7} {fmt(cpu):>7} {fmt(r.get('server_cpu_s')):>8} {fmt(r.get('other_cpu_s'), 1):>6} "
                f"{fmt(r.get('peak_tree_pss_kb', 0) / 1024, 0):>8} "
                f"{fmt(r['max_single_rss_kb'] / 1024, 0):>9} {r['accepted']:>5} {ok:>9}  "
                f"{kex:<30} {ratio_w:>13} {ratio_c:>12}{status}"
            )
    out.append("\nwall/Flotilla, CPU/Flotilla = the tool's figure divided by Flotilla's (above 1.0x: Flotilla is faster / cheaper).")
    out.append("peak MB = peak of the summed PSS of the whole process tree (sampled every 50 ms); 1-proc MB = GNU time's")
    out.append("%M, the largest single process. conns = public-key logins the servers logged. CPU s = user+sys of the tool and")
    out.append("every process it started (GNU time), plus detached ones (ssh ControlPersist masters) reaped by treemon.")
    out.append("sshd CPU = the servers' CPU for the run. other = CPU that unrelated processes used on the machine during the")
    out.append("run: contention, which inflates that row's wall time ('-': not recorded).")
    return "\n".join(out)


def median(values):
    v = sorted(values)
    if not v:
        return None
    k = len(v) // 2
    return v[k] if len(v) % 2 else (v[k - 1] + v[k]) / 2


APPLY_ORDER = ["floor", "ansible", "flotilla"]


def apply_report(path, target_ratio=0.1):
    """Issue 6: for each N, each contender's median over its correct runs (a run counts only when the tool exited 0
    and the check afterwards found every host converged), overhead = median wall - the floor's median wall, and
    Flotilla's overhead against Ansible's."""
    rows = [json.loads(line) for line in open(path) if line.strip()]
    out = []
    for n in sorted({r["n"] for r in rows}):
        mine = [r for r in rows if r["n"] == n]
        ids = sorted({r["id"] for r in mine}, key=lambda i: (APPLY_ORDER.index(i) if i in APPLY_ORDER else 9, i))
        stats = {}
        for i in ids:
            runs = [r for r in mine if r["id"] == i and r.get("status") != "skipped"]
            good = [r for r in runs if r["status"] == "ok"]
            label = next((r["label"] for r in mine if r["id"] == i), i)
            stats[i] = {
                "label": label, "runs": len(runs), "ok": len(good),
                "wall": median([r["wall_s"] for r in good]), "cpu": median([r["cpu_s"] for r in good]),
                "mb": median([r.get("peak_tree_pss_kb", 0) / 1024 for r in good]),
                "walls": [r["wall_s"] for r in sorted(runs, key=lambda r: r.get("run", 0))],
                "statuses": [r["status"] for r in sorted(runs, key=lambda r: r.get("run", 0))],
                "loads": [r.get("load", "") for r in runs],
                "other": median([r.get("other_cpu_s") or 0 for r in good]),
            }
        floor = stats.get("floor", {}).get("wall")
        out.append(f"\nN={n} lab hosts, parallelism {n}: Playbooks/chrony.yml's job on fresh hosts, median of correct runs")
        header = (f"{'contender':<46} {'wall s':>7} {'overhead s':>10} {'CPU s':>7} {'peak MB':>8} {'hosts+other':>11} "
                  f"{'correct':>8}  {'every run: wall s (FAILED = not converged or exit != 0)'}")
        out.append(header)
        out.append("-" * len(header))
        for i in ids:
            st = stats[i]
            over = "-" if floor is None or st["wall"] is None or i == "floor" else f"{st['wall'] - floor:+.2f}"
            runs = ", ".join(fmt(w) if s == "ok" else f"FAILED({fmt(w)})" for w, s in zip(st["walls"], st["statuses"]))
            out.append(
                f"{st['label']:<46} {fmt(st['wall']):>7} {over:>10} {fmt(st['cpu']):>7} {fmt(st['mb'], 0):>8} "
                f"{fmt(st['other'], 1):>11} {st['ok']:>3}/{st['runs']:<4}  {runs}")
        fl, an = stats.get("flotilla", {}).get("wall"), stats.get("ansible", {}).get("wall")
        if floor is not None and fl is not None and an is not None:
            fo, ao = fl - floor, an - floor
            ratio = fo / ao if ao > 0 else float("inf")
            met = ao > 0 and fo <= ao * target_ratio
            out.append(f"Flotilla's overhead {fo:+.2f} s, Ansible's {ao:+.2f} s: ratio {ratio:.3f} "
                       f"(target <= {target_ratio}: {'MET' if met else 'NOT MET'}; Ansible's overhead / 10 = {ao * target_ratio:.2f} s)")
        else:
            out.append("overhead ratio: not available (a contender has no correct run)")
        loads = sorted({str(x) for st in stats.values() for x in st["loads"] if x != ""}, key=lambda x: float(x))
        if loads:
            out.append(f"1-min load average just before the runs: {loads[0]} to {loads[-1]}")
    out.append("\nwall s = GNU time's elapsed time of the contender (ansible-playbook, the floor's ssh fan-out, flotilla apply),")
    out.append("inside the lab's network namespace; overhead = wall - the floor's wall; CPU s = user+sys of the contender's")
    out.append("whole process tree on the controller (ssh clients and ControlPersist masters included), not the hosts';")
    out.append("peak MB = peak summed PSS of that tree; hosts+other = CPU seconds the rest of the machine (the lab hosts'")
    out.append("dpkg, systemd and chronyd, and anything else running) used during the run; correct = runs whose tool exited 0")
    out.append("and whose every host the independent check afterwards found converged.")
    return "\n".join(out)


def apply_timeline(results_dir):
    """For every correct floor and Flotilla run of apply.sh: when (seconds after the contender was started) each
    host's changes began, when chrony was started on it, how long its sync gate took, when it was done, and how
    long the contender took to exit after the last host. The floor's times come from the `floor-time` lines its
    script prints, Flotilla's from its journal (steps and hosts with start and finish times)."""
    import sqlite3
    rows = [json.loads(line) for line in open(os.path.join(results_dir, "results.jsonl")) if line.strip()]
    out = []
    for r in rows:
        if r.get("status") != "ok" or r["id"] not in ("floor", "flotilla") or "t0" not in r:
            continue
        base = os.path.join(results_dir, f"n{r['n']}-{r['case']}-{r['id']}-{r.get('run', 1)}")
        t0, hosts = r["t0"], {}
        if r["id"] == "floor":
            for path in glob.glob(base + ".floor/*.log"):
                marks = {}
                for line in open(path, errors="replace"):
                    parts = line.split()
                    if len(parts) == 3 and parts[0] == "floor-time":
                        marks[parts[1]] = float(parts[2]) - t0
                name = os.path.basename(path)[:-4]
                end = marks.get("bound-passed", marks.get("waitsync-passed"))
                if "start" in marks and "chrony-started" in marks and end is not None:
                    hosts[name] = (marks["start"], marks["chrony-started"], end)
        else:
            db = base + ".sqlite"
            if not os.path.exists(db):
                continue
            c = sqlite3.connect(db)
            for host, finished in c.execute("SELECT host, finished FROM journal_host"):
                steps = c.execute("SELECT started, finished, description FROM journal_step WHERE host = ? ORDER BY step_index", (host,)).fetchall()
                if not steps or finished is None:
                    continue
                started_chrony = [f for (_, f, d) in steps if d.startswith("systemctl start chrony") or d.startswith("systemctl restart chrony")]
                hosts[host] = (steps[0][0] - t0, (started_chrony or [steps[-1][1]])[-1] - t0, finished - t0)
        if not hosts:
            continue
        first = [h[0] for h in hosts.values()]
        chrony = [h[1] for h in hosts.values()]
        gate = [h[2] - h[1] for h in hosts.values()]
        done = [h[2] for h in hosts.values()]
        out.append(
            f"n={r['n']:<3} {r['id']:<8} run {r.get('run', 1)}: wall {r['wall_s']:.2f}; changes begin {min(first):.2f}-{max(first):.2f}; "
            f"chrony started {min(chrony):.2f}-{max(chrony):.2f} (median {median(chrony):.2f}); "
            f"gate {min(gate):.2f}-{max(gate):.2f} (median {median(gate):.2f}); last host done {max(done):.2f}; "
            f"exit {r['wall_s'] - max(done):+.2f} after it")
    return "\n".join(out)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "count" and len(argv) in (5, 6):
        print(json.dumps(count(*argv[2:])))
    elif cmd == "quiet" and len(argv) == 4:
        print(quiet(argv[2], argv[3]))
    elif cmd == "mark" and len(argv) == 3:
        print(json.dumps(mark(argv[2])))
    elif cmd == "logs" and len(argv) == 4:
        print(json.dumps(logs(argv[2], json.load(open(argv[3])))))
    elif cmd == "record":
        print(json.dumps(record(argv[2:])))
    elif cmd == "report" and len(argv) == 3:
        print(report(argv[2]))
    elif cmd == "apply-timeline" and len(argv) == 3:
        print(apply_timeline(argv[2]))
    elif cmd == "apply-report" and len(argv) == 3:
        print(apply_report(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
