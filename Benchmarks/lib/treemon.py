"""Run a command and measure its whole process tree (Linux only).

    python treemon.py --json OUT.json [--interval 0.05] -- COMMAND [ARG...]

GNU time (which run.sh puts inside COMMAND) gives wall time, user+sys CPU of the command and everything it waited
for, and the largest RSS of any ONE process. That misses two things for multi-process tools:
  * the memory of the whole tree at once (xargs running 200 ssh clients, Ansible's 200 forks);
  * processes that detach (Ansible's ControlPersist ssh masters): GNU time never waits for them.
So this wrapper
  * makes itself a child subreaper (PR_SET_CHILD_SUBREAPER): detached descendants are re-parented to it;
  * samples, on a low-priority thread (nice 19, so it takes little CPU from the tool), the sum of PSS and of RSS
    over all its descendants, keeping the peaks (PSS splits shared pages among the processes that map them; the
    sum of RSS counts them once per process and so overstates forked workers);
  * when the command has exited, ends the descendants still running (SIGTERM by PID, then SIGKILL after 5 s),
    reaps them, and reports the CPU of everything (RUSAGE_CHILDREN, GNU time's own small share included).
Exit status: the command's.
"""

import argparse
import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36


def children_of(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return kids


def descendants(root):
    out, stack = [], children_of(root)
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children_of(pid))
    return out


def rss_pss_kb(pid):
    """(RSS, PSS) of one process in KiB. PSS shares each page among the processes that map it, so summing PSS
    over a tree of forked workers (Ansible) does not count their shared copy-on-write pages N times."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
                    break
    except (OSError, IndexError, ValueError):
        pass
    return rss, pss


class Sampler(threading.Thread):
    def __init__(self, interval):
        super().__init__(daemon=True)
        self.interval = interval
        self.stop = threading.Event()
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self.peak_procs = 0
        self.samples = 0

    def run(self):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:
            pass
        me = os.getpid()
        while not self.stop.is_set():
            pids = descendants(me)
            sizes = [rss_pss_kb(p) for p in pids]
            self.samples += 1
            self.peak_kb = max(self.peak_kb, sum(r for r, _ in sizes))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(p for _, p in sizes))
            self.peak_procs = max(self.peak_procs, len(pids))
            self.stop.wait(self.interval)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", required=True, help="where to write the measurements")
    parser.add_argument("--interval", type=float, default=0.05, help="sampling period in seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("treemon: prctl(PR_SET_CHILD_SUBREAPER) failed", file=sys.stderr)
        return 1

    sampler = Sampler(args.interval)
    start = time.monotonic()
    child = subprocess.Popen(command)
    sampler.start()
    status = child.wait()
    wall = time.monotonic() - start

    # Descendants that outlived the command (detached daemons such as ssh ControlPersist masters).
    leftover = children_of(os.getpid())
    for pid in leftover:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                for p in children_of(os.getpid()):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + 5
            time.sleep(0.02)
    sampler.stop.set()
    sampler.join()

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "exit_status": status,
        "wall_s": round(wall, 3),
        "cpu_user_all_s": round(usage.ru_utime, 3),
        "cpu_sys_all_s": round(usage.ru_stime, 3),
        "max_single_rss_kb": usage.ru_maxrss,
        "peak_tree_rss_kb": sampler.peak_kb,
        "peak_tree_pss_kb": sampler.peak_pss_kb,
        "peak_procs": sampler.peak_procs,
        "samples": sampler.samples,
        "leftover_processes_ended": len(leftover),
    }
    with open(args.json, "w") as f:
        json.dump(result, f)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
