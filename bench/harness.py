"""Shared machinery of bench/run: start an emulator with a timeout, stream its
console to a log while noting when marker strings first appear, collect the
child's wall time, CPU time and peak RSS (wait4), and summarize repetitions as
medians and ratios. A suite (bench/suites/*.py) only says which commands to
run and how to read their output. Python stdlib only."""

import json
import os
import re
import select
import signal
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field

KILL_GRACE_S = 3.0
READ_CHUNK = 65536
REASON_MAX = 110


class SuiteSkip(Exception):
    """The whole suite cannot run here (missing assets or tools)."""


@dataclass
class Config:
    """One emulator configuration of a suite, e.g. qemu-tcg or mimic-tcg-native."""
    name: str
    argv: list
    timeout: float
    reference: bool = False          # the row mimic rows are divided by
    unavailable: str = ""            # set: report "n/a (...)" without running
    note: str = ""                   # printed under the table when the row appears


@dataclass
class RunResult:
    argv: list
    exit_code: int                   # -N for a signal
    timed_out: bool
    wall_s: float
    cpu_s: float                     # user + system of the emulator process
    maxrss_kib: int
    stdout: str
    stderr: str
    markers: dict                    # marker string -> seconds after start
    log_path: str


@dataclass
class Sample:
    """What a suite read from one successful run: metric name -> value."""
    values: dict
    checksums: dict = field(default_factory=dict)


@dataclass
class Metric:
    name: str                        # key in Sample.values
    label: str                       # column header
    unit: str                        # "s", "MIPS", "MiB"
    lower_is_better: bool = True
    ratio: bool = True               # include in the mimic/reference ratios
    fmt: str = "{:.2f}"


def one_line(text):
    """First meaningful line of an error output, shortened for a table cell."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= REASON_MAX else line[:REASON_MAX - 3] + "..."
    return ""


def _kill_group(pid, done):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if done.is_set():
            return
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        done.wait(KILL_GRACE_S)


def run_command(argv, timeout, log_path, markers=(), stdin_path=os.devnull):
    """Runs ARGV in its own process group with stdout and stderr piped,
    killing the group after TIMEOUT seconds. Writes the command line, stdout
    and stderr to LOG_PATH. Returns a RunResult; raises OSError if ARGV[0]
    cannot be started."""
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    out_chunks, err_chunks = [], []
    seen = {}
    pending = list(markers)
    with open(stdin_path, "rb") as stdin:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    done = threading.Event()
    timed_out = threading.Event()

    def on_timeout():
        timed_out.set()
        _kill_group(proc.pid, done)

    timer = threading.Timer(timeout, on_timeout)
    timer.daemon = True
    timer.start()
    streams = {proc.stdout.fileno(): out_chunks, proc.stderr.fileno(): err_chunks}
    tail = ""                        # recent stdout text, for markers split across reads
    while streams:
        ready, _, _ = select.select(list(streams), [], [])
        for fd in ready:
            data = os.read(fd, READ_CHUNK)
            if not data:
                del streams[fd]
                continue
            streams[fd].append(data)
            if fd == proc.stdout.fileno() and pending:
                now = time.monotonic() - start
                tail = (tail + data.decode("latin-1"))[-4096:]
                for m in [m for m in pending if m in tail]:
                    seen[m] = now
                    pending.remove(m)
    # The pipes close when the emulator exits (or is killed); reap it with
    # its resource usage. A child that closed both pipes but lives on is
    # still covered by the timer.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    done.set()
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    stdout = b"".join(out_chunks).decode("utf-8", "replace")
    stderr = b"".join(err_chunks).decode("utf-8", "replace")
    with open(log_path, "w") as log:
        log.write("$ " + " ".join(argv) + "\n")
        log.write(f"# exit={proc.returncode} wall={wall:.3f}s timed_out={timed_out.is_set()}\n")
        log.write(stdout)
        if stderr:
            log.write("\n# stderr:\n" + stderr)
    return RunResult(argv=list(argv), exit_code=proc.returncode, timed_out=timed_out.is_set(),
                     wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                     maxrss_kib=usage.ru_maxrss, stdout=stdout, stderr=stderr,
                     markers=seen, log_path=log_path)


def median(values):
    return statistics.median(values) if values else None


def fmt_value(metric, value):
    return "n/a" if value is None else metric.fmt.format(value)


def host_info(root):
    """Facts that make results from different days comparable."""
    info = {"nproc": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            info["cpu"] = m.group(1) if m else ""
    except OSError:
        pass
    info["kernel"] = os.uname().release
    try:
        info["mimic_commit"] = subprocess.run(
            ["git", "-C", root, "describe", "--always", "--dirty"], capture_output=True,
            text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info["mimic_commit"] = ""
    return info


def write_results(path_base, document, tsv_rows):
    """Writes PATH_BASE.json (everything) and PATH_BASE.tsv (one median per
    line) and returns the two paths."""
    os.makedirs(os.path.dirname(path_base), exist_ok=True)
    with open(path_base + ".json", "w") as f:
        json.dump(document, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(path_base + ".tsv", "w") as f:
        f.write("suite\tconfig\tmetric\tunit\tmedian\truns\tstatus\n")
        for row in tsv_rows:
            f.write("\t".join("" if v is None else str(v) for v in row) + "\n")
    return path_base + ".json", path_base + ".tsv"
