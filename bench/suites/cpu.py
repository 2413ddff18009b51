"""cpu suite: the bare-metal cpubench guest (bench/guest/x86) under QEMU TCG
(the reference), mimic's TCG with the native and the interpreter backend,
and optionally both under KVM. Reads each kernel's RDTSC time and checksum
from the serial console, checks the checksum against the same kernels.o run
on the host, and turns callgrind's instruction counts of that host run into
guest MIPS. Leaves out: SMP, SSE/FPU code, I/O."""

import hashlib
import json
import os
import re
import shutil
import subprocess

from harness import Config, Metric, Sample, SuiteSkip

KERNELS = ("sieve", "crc32", "interp")
LINE_RE = re.compile(r"CPUBENCH kernel=(\w+) reps=(\d+) checksum=(0x[0-9a-f]+) ticks=(\d+) us=(\d+)")
BEGIN_MARKER = "CPUBENCH-BEGIN"
# isa-debug-exit: the guest writes 0 on success, the emulator exits (0 << 1) | 1.
EXIT_PASS = 1
COMMON_ARGS = ["-M", "pc", "-m", "256M", "-nographic", "-no-reboot",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
CALLGRIND_TIMEOUT_S = 600


class RunFailure(Exception):
    pass


class CpuSuite:
    name = "cpu"
    title = "CPU-bound Multiboot guest (bench/guest/x86/cpubench.elf, 64-bit integer kernels)"
    markers = (BEGIN_MARKER,)
    started_marker = BEGIN_MARKER

    @staticmethod
    def add_arguments(parser):
        g = parser.add_argument_group("cpu suite")
        g.add_argument("--cpu-args", default="", metavar="STR",
                       help='guest command line, e.g. "sieve=1 crc=1 interp=1" (repetitions '
                            "per kernel; defaults in bench/guest/x86/cpubench.c)")

    def __init__(self, ctx):
        self.ctx = ctx
        self.out_dir = os.path.join(ctx.build, "bench", "guest", "x86")
        self.elf = os.path.join(self.out_dir, "cpubench.elf")
        self.host_tool = os.path.join(self.out_dir, "cpubench-host")
        self.cache_path = os.path.join(ctx.build, "bench", "cpubench-counts.json")
        self.counts = {}             # kernel -> {"setup": n, "per_rep": n}
        self.reference = {}          # "kernel/reps" -> checksum from the host run
        self.notes = []

    # -- preparation -------------------------------------------------------

    def prepare(self):
        src = os.path.join(self.ctx.root, "bench", "guest", "x86")
        r = subprocess.run(["make", "-s", "-C", src, "OUT=" + self.out_dir],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SuiteSkip("building cpubench failed: " + (r.stderr.strip().splitlines() or ["?"])[-1])
        self._load_counts()

    def _load_counts(self):
        with open(self.host_tool, "rb") as f:
            key = hashlib.sha256(f.read()).hexdigest()
        cache = {}
        try:
            with open(self.cache_path) as f:
                cache = json.load(f)
        except (OSError, ValueError):
            pass
        if cache.get("host_tool_sha256") != key:
            cache = {"host_tool_sha256": key, "counts": {}, "reference": {}}
        self.reference = cache["reference"]
        if not shutil.which("valgrind"):
            self.notes.append("MIPS n/a: valgrind is not installed (apt-get install valgrind)")
        elif not cache["counts"]:
            print("  cpu: counting kernel instructions with callgrind (cached in "
                  + os.path.relpath(self.cache_path, self.ctx.root) + ")", flush=True)
            counts = {}
            for k in KERNELS:
                one, two = self._callgrind(k, 1), self._callgrind(k, 2)
                if one is None or two is None or two < one or 2 * one < two:
                    counts = {}
                    self.notes.append(f"MIPS n/a: callgrind gave no usable count for {k}")
                    break
                # Repetitions are identical, so count(R) = setup + R * per_rep.
                counts[k] = {"setup": 2 * one - two, "per_rep": two - one}
            cache["counts"] = counts
        self.counts = cache["counts"]
        self._cache = cache
        self._save_cache()

    def _save_cache(self):
        os.makedirs(os.path.dirname(self.cache_path), exist_ok=True)
        with open(self.cache_path, "w") as f:
            json.dump(self._cache, f, indent=1)

    def _callgrind(self, kernel, reps):
        out = os.path.join(self.ctx.build, "bench", f"callgrind.{kernel}.{reps}.out")
        try:
            r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                                "--toggle-collect=kernel_" + kernel, self.host_tool, kernel, str(reps)],
                               capture_output=True, text=True, timeout=CALLGRIND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if os.path.exists(out):
                os.remove(out)
        m = re.search(r"Collected\s*:\s*(\d+)", r.stderr)
        return int(m.group(1)) if r.returncode == 0 and m else None

    def reference_checksum(self, kernel, reps):
        key = f"{kernel}/{reps}"
        if key not in self.reference:
            r = subprocess.run([self.host_tool, kernel, str(reps)], capture_output=True, text=True)
            m = re.search(r"checksum=(0x[0-9a-f]+)", r.stdout)
            if r.returncode != 0 or not m:
                return None
            self.reference[key] = m.group(1)
            self._save_cache()
        return self.reference[key]

    def instructions(self, kernel, reps):
        c = self.counts.get(kernel)
        return c["setup"] + reps * c["per_rep"] if c else None

    # -- configurations and metrics ---------------------------------------

    def configs(self):
        a = self.ctx.args
        cmdline = ["-kernel", self.elf] + (["-append", a.cpu_args] if a.cpu_args else [])
        qemu_missing = "" if shutil.which(a.qemu) else f"{a.qemu} not found (scripts/install-deps)"
        mimic_missing = "" if os.access(a.mimic, os.X_OK) else f"{a.mimic} not built (make all)"
        kvm_missing = "" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "no usable /dev/kvm"
        rows = [
            Config("qemu-tcg", [a.qemu, "-accel", "tcg"] + COMMON_ARGS + cmdline, a.timeout,
                   reference=True, unavailable=qemu_missing),
            Config("mimic-tcg-native", [a.mimic, "-accel", "tcg,backend=native"] + COMMON_ARGS + cmdline,
                   a.timeout, unavailable=mimic_missing),
            Config("mimic-tcg-interp", [a.mimic, "-accel", "tcg,backend=interp"] + COMMON_ARGS + cmdline,
                   a.timeout, unavailable=mimic_missing),
        ]
        kvm_note = ("KVM rows are informational: where /dev/kvm is a software implementation "
                    "(no VT-x/AMD-V, as on the development machines) they run far slower than TCG")
        skip_kvm = "" if a.kvm else "skipped (pass --kvm)"
        rows.append(Config("mimic-kvm", [a.mimic, "-accel", "kvm"] + COMMON_ARGS + cmdline, a.kvm_timeout,
                           unavailable=skip_kvm or mimic_missing or kvm_missing, note=kvm_note))
        rows.append(Config("qemu-kvm", [a.qemu, "-accel", "kvm"] + COMMON_ARGS + cmdline, a.kvm_timeout,
                           unavailable=skip_kvm or qemu_missing or kvm_missing, note=kvm_note))
        return rows

    # Ratios besides each row against the reference.
    ratio_pairs = (("mimic-tcg-interp", "mimic-tcg-native"), ("mimic-kvm", "qemu-kvm"))

    def metrics(self):
        m = []
        for k in KERNELS:
            m.append(Metric(k + "_s", k + " s", "s"))
            m.append(Metric(k + "_mips", "MIPS", "MIPS", lower_is_better=False, ratio=False, fmt="{:.0f}"))
        m += [Metric("start_s", "start s", "s"),
              Metric("wall_s", "wall s", "s"),
              Metric("cpu_s", "cpu s", "s"),
              Metric("rss_mib", "RSS MiB", "MiB", fmt="{:.0f}")]
        return m

    def legend(self):
        return ["<kernel> s: guest-measured time (RDTSC, calibrated against the PIT); "
                "MIPS: instructions counted by callgrind on the host / that time",
                "start s: host time until the guest's first line (firmware, load, TSC calibration); "
                "wall/cpu s, RSS: whole emulator process (wait4)"]

    # -- reading a run -----------------------------------------------------

    def parse(self, config, result):
        if "RESULT: FAIL" in result.stdout:
            raise RunFailure("guest: " + result.stdout.split("RESULT: FAIL", 1)[1].strip().splitlines()[0])
        found = {}
        for m in LINE_RE.finditer(result.stdout):
            found[m.group(1)] = (int(m.group(2)), m.group(3), int(m.group(5)))
        missing = [k for k in KERNELS if k not in found]
        if missing or "RESULT: PASS" not in result.stdout:
            raise RunFailure(f"guest did not finish (missing: {' '.join(missing) or 'RESULT line'}; "
                             f"exit {result.exit_code}; see {os.path.relpath(result.log_path, self.ctx.root)})")
        values, checksums = {}, {}
        for k in KERNELS:
            reps, checksum, us = found[k]
            seconds = us / 1e6
            values[k + "_s"] = seconds
            insns = self.instructions(k, reps)
            values[k + "_mips"] = insns / seconds / 1e6 if insns and seconds > 0 else None
            checksums[k] = {"reps": reps, "checksum": checksum}
        values["start_s"] = result.markers.get(BEGIN_MARKER)
        values["wall_s"] = result.wall_s
        values["cpu_s"] = result.cpu_s
        values["rss_mib"] = result.maxrss_kib / 1024
        return Sample(values=values, checksums=checksums)

    def progress(self, result):
        """How far a run that timed out got."""
        start = result.markers.get(BEGIN_MARKER)
        if start is None:
            return "the guest never printed its first line"
        done = [m.group(1) for m in LINE_RE.finditer(result.stdout)]
        return f"guest started at {start:.1f} s, kernels done: {' '.join(done) or 'none'}"

    def verify(self, config, sample):
        """Failure strings for checksums that differ from the host's run of
        the same kernels.o."""
        problems = []
        for k, c in sample.checksums.items():
            want = self.reference_checksum(k, c["reps"])
            if want is None:
                self.notes.append(f"no host reference checksum for {k} (cpubench-host failed)")
            elif c["checksum"] != want:
                problems.append(f"{k} checksum {c['checksum']} != {want} (host run of the same code)")
        return problems

    def checksum_line(self, samples):
        parts = []
        for k in KERNELS:
            seen = {(s.checksums[k]["reps"], s.checksums[k]["checksum"]) for s in samples if k in s.checksums}
            parts.append(f"{k}=" + "/".join(f"{c} (reps {r})" for r, c in sorted(seen)))
        return "checksums (each run checked against the host run of the same code): " + "  ".join(parts)

    def describe(self):
        return {"elf": os.path.relpath(self.elf, self.ctx.root),
                "instruction_counts": self.counts,
                "guest_args": self.ctx.args.cpu_args}


def add_arguments(parser):
    CpuSuite.add_arguments(parser)


def make(ctx):
    return CpuSuite(ctx)
