"""linux suite: Debian's amd64 kernel with the busybox initramfs of
tests/guests/fetch, booted to MIMIC-GUEST-READY, then /bin/mimic-workload's
shell arithmetic, md5sum of 64 MiB in tmpfs and gzip of a fixed ~4 MiB file,
timed by the guest (/proc/uptime) and by the host (console lines), under QEMU
TCG (the reference, bzImage), mimic TCG native (host-side unpack, and the
bzImage left to decompress itself) and mimic TCG interp (boot only). Step
results are checked against the reference row and a host-side model.
Leaves out: SMP, disks, network."""

import gzip
import hashlib
import os
import re
import shutil
import subprocess

import harness
from harness import Config, Metric, Sample, SuiteSkip

READY = "MIMIC-GUEST-READY"
BEGIN = "MIMIC-WORKLOAD-BEGIN"
END = "MIMIC-WORKLOAD-END"
RUN_EXIT = "MIMIC-RUN-EXIT"
# step name in mimic-workload -> column label stem
STEPS = (("arith", "arith"), ("md5", "md5"), ("gzipfile", "gzip"))
BOOT_ONLY_STEPS = ("uname",)
STEP_RE = re.compile(r"MIMIC-WORKLOAD (\w+) result=(\S*) time=([0-9.]+)s")
END_RE = re.compile(r"MIMIC-WORKLOAD-END time=([0-9.]+)s")
EXIT_RE = re.compile(r"MIMIC-RUN-EXIT (\d+)")
MEMORY = "512M"                      # tmpfs gets half: the md5 file is 16 MiB * scale
MAX_SCALE = 12
DEFAULT_SCALE = 4                    # md5sum of 64 MiB, as the issue asks
DEFAULT_PROBE_TIMEOUT_S = 180
LAST_LINE_MAX = 64
# "program: what was wrong": an emulator refusing its command line (as bench/run)
REFUSAL_RE = re.compile(r"^[\w.+-]+: \S")
# The 1 MiB block mimic-workload repeats for its md5 step, and the text it
# appends to /bin/busybox for the gzip step (kept in step with that script).
MD5_BLOCK_SEQ = 170000
MD5_MIB_PER_SCALE = 16
GZIP_SEQ_PER_SCALE = 75000
ARITH_PER_SCALE = 20000


class RunFailure(Exception):
    pass


def step_begin(step):
    return f"MIMIC-WORKLOAD-STEP {step} begin"


def step_end(step):
    return f"MIMIC-WORKLOAD-STEP {step} end"


def seq_text(n):
    return "".join(f"{i}\n" for i in range(1, n + 1)).encode()


def last_console_line(text):
    """The last non-empty console line, shortened for a table cell."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line:
            return line if len(line) <= LAST_LINE_MAX else line[:LAST_LINE_MAX - 3] + "..."
    return "(nothing)"


def why_stopped(text):
    """The most telling console line of a guest that stopped early."""
    for line in text.splitlines():
        if "Kernel panic" in line or "BUG:" in line:
            line = re.sub(r"^\[\s*[0-9.]+\]\s*", "", line.strip())
            return line if len(line) <= LAST_LINE_MAX else line[:LAST_LINE_MAX - 3] + "..."
    return "last line: " + last_console_line(text)


def read_newc(path, wanted):
    """Contents of the WANTED member names of a gzip'ed newc cpio archive."""
    found = {}
    with gzip.open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 110 <= len(data) and data[pos:pos + 6] == b"070701":
        fields = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        size, namesize = fields[6], fields[11]
        name_end = pos + 110 + namesize
        name = data[pos + 110:name_end - 1].decode("latin-1")
        body = (name_end + 3) & ~3
        if name == "TRAILER!!!":
            break
        if name in wanted:
            found[name] = data[body:body + size]
        pos = (body + size + 3) & ~3
    return found


class LinuxSuite:
    name = "linux"
    title = "Debian Linux boot + busybox workload (tests/guests/fetch), 1 vCPU, -m " + MEMORY
    started_marker = READY

    @staticmethod
    def add_arguments(parser):
        g = parser.add_argument_group("linux suite")
        g.add_argument("--linux-scale", type=int, default=DEFAULT_SCALE, metavar="N",
                       help="mimic-workload SCALE: arith loop 20000*N, md5sum of 16*N MiB, "
                            "gzip of busybox + 'seq 1 75000*N' (default %(default)s, at most "
                            f"{MAX_SCALE})")
        g.add_argument("--linux-probe-timeout", type=float, default=DEFAULT_PROBE_TIMEOUT_S, metavar="S",
                       help="boot probe of each mimic row before the runs; a row whose probe does "
                            "not reach the shell is n/a (default %(default)s s)")
        g.add_argument("--linux-no-probe", action="store_true", help="skip the boot probes")
        g.add_argument("--fetch", action="store_true",
                       help="run tests/guests/fetch first (downloads the kernel and busybox via apt)")

    def __init__(self, ctx):
        self.ctx = ctx
        self.cache = os.path.join(os.environ.get("MIMIC_CACHE") or
                                  os.path.join(os.path.expanduser("~"), ".cache", "mimic"), "amd64")
        self.vmlinuz = os.path.join(self.cache, "vmlinuz")
        self.initrd = os.path.join(self.cache, "initramfs.cpio.gz")
        self.scale = ctx.args.linux_scale
        self.notes = []
        self.model = {}              # step -> result computed on the host
        self.reference_results = None   # first checksums of the reference row
        self.reference_name = ""
        self.probes = {}
        self._configs = []
        self.markers = (READY, BEGIN) + tuple(
            m for s in [s for s, _ in STEPS] + list(BOOT_ONLY_STEPS)
            for m in (step_begin(s), step_end(s))) + (END, RUN_EXIT)

    # -- preparation -------------------------------------------------------

    def prepare(self):
        if not 1 <= self.scale <= MAX_SCALE:
            raise SuiteSkip(f"--linux-scale {self.scale}: must be 1..{MAX_SCALE} "
                            f"(tmpfs is half of -m {MEMORY})")
        fetch = os.path.join(self.ctx.root, "tests", "guests", "fetch")
        have = os.path.exists(self.vmlinuz) and os.path.exists(self.initrd)
        if self.ctx.args.fetch or (have and self._stale()):
            print("  linux: running tests/guests/fetch", flush=True)
            r = subprocess.run([fetch], capture_output=True, text=True)
            if r.returncode != 0:
                raise SuiteSkip("tests/guests/fetch failed: " + harness.one_line(r.stderr or r.stdout))
            have = True
        if not have:
            raise SuiteSkip(f"no kernel/initramfs in {self.cache} "
                            "(run tests/guests/fetch, or pass --fetch)")
        stale = self._stale()
        if stale:
            raise SuiteSkip(f"{self.initrd} holds an old {stale} (run tests/guests/fetch)")
        self._make_model()
        self._configs = self._make_configs()
        if not self.ctx.args.linux_no_probe:
            self._probe_all()

    def _stale(self):
        """Name of the first initramfs file that differs from tests/guests/initramfs/."""
        src = os.path.join(self.ctx.root, "tests", "guests", "initramfs")
        names = {"init": "init", "bin/mimic-workload": "bin/mimic-workload"}
        try:
            packed = read_newc(self.initrd, set(names))
        except (OSError, EOFError, ValueError):
            return "initramfs.cpio.gz (unreadable)"
        for member, rel in names.items():
            with open(os.path.join(src, rel), "rb") as f:
                if packed.get(member) != f.read():
                    return rel
        return ""

    def _make_model(self):
        """Each step's result computed on the host, independently of any
        emulator (the gzip one with the same busybox, run natively)."""
        s = 0
        for i in range(ARITH_PER_SCALE * self.scale):
            s = (s + i * i) % 1000003
        self.model["arith"] = str(s)
        block = seq_text(MD5_BLOCK_SEQ)[:1 << 20]
        h = hashlib.md5()
        for _ in range(MD5_MIB_PER_SCALE * self.scale):
            h.update(block)
        self.model["md5"] = h.hexdigest()[:12]
        busybox = os.path.join(self.cache, "busybox", "bin", "busybox")
        try:
            with open(busybox, "rb") as f:
                data = f.read() + seq_text(GZIP_SEQ_PER_SCALE * self.scale)
            r = subprocess.run([busybox, "gzip", "-6"], input=data, capture_output=True, timeout=120)
            if r.returncode == 0 and gzip.decompress(r.stdout) == data:
                self.model["gzipfile"] = f"{hashlib.md5(r.stdout).hexdigest()[:12]}/{len(r.stdout)}"
        except (OSError, subprocess.SubprocessError):
            pass
        if "gzipfile" not in self.model:
            self.notes.append("gzip result not modelled: the cached busybox does not run on this host")
        modules = os.path.join(self.cache, "kernel", "lib", "modules")
        releases = os.listdir(modules) if os.path.isdir(modules) else []
        if len(releases) == 1:
            self.model["uname"] = releases[0]

    # -- configurations ----------------------------------------------------

    def _append(self, steps):
        scale = 1 if steps == BOOT_ONLY_STEPS else self.scale
        return f"console=ttyS0 panic=-1 mimic.run=workload mimic.arg={scale},{','.join(steps)}"

    def _argv(self, emulator, accel, machine, steps):
        return [emulator, "-accel", accel, "-M", machine, "-m", MEMORY, "-nographic", "-no-reboot",
                "-kernel", self.vmlinuz, "-initrd", self.initrd, "-append", self._append(steps)]

    def _make_configs(self):
        a = self.ctx.args
        full = tuple(s for s, _ in STEPS)
        qemu_missing = "" if shutil.which(a.qemu) else f"{a.qemu} not found (scripts/install-deps)"
        mimic_missing = "" if os.access(a.mimic, os.X_OK) else f"{a.mimic} not built (make all)"
        kvm_missing = "" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "no usable /dev/kvm"
        skip_kvm = "" if a.kvm else "skipped (pass --kvm)"
        kvm_note = ("KVM rows are informational: where /dev/kvm is a software implementation "
                    "they run far slower than TCG")
        return [
            Config("qemu-tcg", self._argv(a.qemu, "tcg", "pc", full), a.timeout,
                   reference=True, unavailable=qemu_missing),
            Config("mimic-tcg-native", self._argv(a.mimic, "tcg,backend=native", "pc", full),
                   a.timeout, unavailable=mimic_missing),
            Config("mimic-tcg-bzimage", self._argv(a.mimic, "tcg,backend=native",
                                                   "pc,kernel-unpack=off", full),
                   a.timeout, unavailable=mimic_missing,
                   note="mimic-tcg-bzimage: native backend with -M pc,kernel-unpack=off "
                        "(the bzImage decompresses itself, as under QEMU)"),
            Config("mimic-tcg-interp", self._argv(a.mimic, "tcg,backend=interp", "pc", BOOT_ONLY_STEPS),
                   a.timeout, unavailable=mimic_missing,
                   note="mimic-tcg-interp boots only (to the marker, then poweroff); "
                        "its wall/cpu/RSS are in the JSON"),
            Config("mimic-kvm", self._argv(a.mimic, "kvm", "pc", full), a.kvm_timeout,
                   unavailable=skip_kvm or mimic_missing or kvm_missing, note=kvm_note),
            Config("qemu-kvm", self._argv(a.qemu, "kvm", "pc", full), a.kvm_timeout,
                   unavailable=skip_kvm or qemu_missing or kvm_missing, note=kvm_note),
        ]

    def configs(self):
        return self._configs

    def _probe_all(self):
        """Boots each selected mimic TCG row once (boot only) so that a row
        on which Linux does not boot yet is "n/a (why)" instead of a FAIL or
        a timeout per repetition. The interp row is probed only when the
        native one failed: if native boots, an interp row that does not is a
        translator bug and must show as FAIL."""
        only = set(self.ctx.args.only.split(",")) if self.ctx.args.only else None
        by_name = {c.name: c for c in self._configs}
        order = ["mimic-tcg-native", "mimic-tcg-bzimage", "mimic-tcg-interp"]
        for name in order:
            c = by_name[name]
            if c.unavailable or (only is not None and name not in only):
                continue
            if name == "mimic-tcg-interp" and self.probes.get("mimic-tcg-native", {}).get("ok", True):
                continue
            argv = list(c.argv)
            argv[-1] = self._append(BOOT_ONLY_STEPS)
            timeout = self.ctx.args.linux_probe_timeout
            log = os.path.join(self.ctx.build, "bench", "logs", f"linux-{name}-probe.log")
            print(f"  linux: probing {name} (boot only, up to {timeout:.0f} s)", flush=True)
            try:
                r = harness.run_command(argv, timeout, log, markers=self.markers)
            except OSError as e:
                c.unavailable = f"cannot start {argv[0]}: {e.strerror}"
                continue
            probe = {"ok": False, "exit": r.exit_code, "wall_s": round(r.wall_s, 3),
                     "boot_s": r.markers.get(READY), "log": os.path.relpath(log, self.ctx.root)}
            if READY in r.markers and RUN_EXIT in r.markers and not r.timed_out:
                probe["ok"] = True
            elif r.timed_out and READY not in r.markers:
                c.unavailable = (f"Linux did not boot in the {timeout:.0f} s probe "
                                 f"({why_stopped(r.stdout)})")
            elif r.timed_out:
                c.unavailable = f"booted in {r.markers[READY]:.1f} s but did not power off (probe)"
            elif READY not in r.markers and r.exit_code > 0 and REFUSAL_RE.match(harness.one_line(r.stderr)):
                c.unavailable = harness.one_line(r.stderr)      # e.g. an option not built yet
            elif READY not in r.markers:
                c.unavailable = f"Linux did not boot (probe: exit {r.exit_code}, {why_stopped(r.stdout)})"
            else:
                c.unavailable = f"booted but the run did not finish (probe: {why_stopped(r.stdout)})"
            self.probes[name] = probe
            if c.unavailable:
                print(f"  linux: {name}: n/a ({c.unavailable}; see {probe['log']})", flush=True)

    # -- metrics and reading a run -----------------------------------------

    def metrics(self):
        m = [Metric("boot_s", "boot s", "s")]
        for _, label in STEPS:
            m.append(Metric(label + "_guest_s", label + " g", "s"))
            m.append(Metric(label + "_host_s", label + " h", "s"))
        m += [Metric("wall_s", "total s", "s"),
              Metric("cpu_s", "cpu s", "s"),
              Metric("rss_mib", "RSS MiB", "MiB", fmt="{:.0f}")]
        return m

    ratio_pairs = (("mimic-tcg-bzimage", "mimic-tcg-native"),
                   ("mimic-tcg-interp", "mimic-tcg-native"),
                   ("mimic-kvm", "qemu-kvm"))

    def legend(self):
        return [f"boot s: host time from start to {READY} (firmware, kernel, initramfs, /init); "
                "total s: to the emulator's exit (workload and poweroff included)",
                "<step> g: time measured by the guest (/proc/uptime, 10 ms); <step> h: by the host "
                "(between the step's begin and end console lines)",
                f"steps (mimic-workload {self.scale}): arith = shell loop of "
                f"{ARITH_PER_SCALE * self.scale} iterations; md5 = md5sum of a "
                f"{MD5_MIB_PER_SCALE * self.scale} MiB tmpfs file; gzip = gzip -6 of busybox + "
                f"'seq 1 {GZIP_SEQ_PER_SCALE * self.scale}' (each file written before the clock starts)"]

    def _boot_only(self, config):
        return config.argv[-1] == self._append(BOOT_ONLY_STEPS)

    def parse(self, config, result):
        out = result.stdout
        if READY not in result.markers:
            raise RunFailure(f"no {READY} (exit {result.exit_code}; {why_stopped(out)})")
        found = {m.group(1): (m.group(2), float(m.group(3))) for m in STEP_RE.finditer(out)}
        steps = BOOT_ONLY_STEPS if self._boot_only(config) else tuple(s for s, _ in STEPS)
        missing = [s for s in steps if s not in found]
        exit_m = EXIT_RE.search(out)
        log = os.path.relpath(result.log_path, self.ctx.root)
        if missing or not exit_m:
            raise RunFailure(f"guest did not finish (missing: {' '.join(missing) or RUN_EXIT}; "
                             f"exit {result.exit_code}; {why_stopped(out)}; see {log})")
        if exit_m.group(1) != "0":
            raise RunFailure(f"mimic-workload exited with {exit_m.group(1)} (see {log})")
        values = {"boot_s": result.markers[READY]}
        checksums = {s: found[s][0] for s in steps}
        if self._boot_only(config):
            # Boot-only totals are not comparable with the full rows' ones.
            values["boot_only_wall_s"] = result.wall_s
            values["boot_only_cpu_s"] = result.cpu_s
            values["boot_only_rss_mib"] = result.maxrss_kib / 1024
            return Sample(values=values, checksums=checksums)
        for step, label in STEPS:
            values[label + "_guest_s"] = found[step][1]
            t0, t1 = result.markers.get(step_begin(step)), result.markers.get(step_end(step))
            values[label + "_host_s"] = t1 - t0 if t0 is not None and t1 is not None else None
        end = END_RE.search(out)
        values["workload_guest_s"] = float(end.group(1)) if end else None
        values["exit_s"] = result.markers.get(RUN_EXIT)
        values["wall_s"] = result.wall_s
        values["cpu_s"] = result.cpu_s
        values["rss_mib"] = result.maxrss_kib / 1024
        return Sample(values=values, checksums=checksums)

    def progress(self, result):
        """How far a run that timed out got."""
        if READY not in result.markers:
            return f"no {READY}; {why_stopped(result.stdout)}"
        done = [m.group(1) for m in STEP_RE.finditer(result.stdout)]
        return f"booted at {result.markers[READY]:.1f} s, steps done: {' '.join(done) or 'none'}"

    def verify(self, config, sample):
        """Failure strings for step results that differ from the host model
        or from the reference row (the first run of it that finished)."""
        problems = []
        for step, got in sample.checksums.items():
            want = self.model.get(step)
            if want is not None and got != want:
                problems.append(f"{step} result {got} != {want} (host model)")
        if config.reference:
            if self.reference_results is None:
                self.reference_results, self.reference_name = dict(sample.checksums), config.name
        elif self.reference_results is not None:
            for step, got in sample.checksums.items():
                want = self.reference_results.get(step)
                if want is not None and got != want:
                    problems.append(f"{step} result {got} != {want} ({self.reference_name})")
        return problems

    def checksum_line(self, samples):
        parts = []
        for step in [s for s, _ in STEPS] + list(BOOT_ONLY_STEPS):
            seen = sorted({s.checksums[step] for s in samples if step in s.checksums})
            if len(seen) == 1:
                parts.append(f"{step}={seen[0]}")
            elif seen:
                parts.append(f"{step}={{{', '.join(seen)}}}")
        return ("results (checked against the host model and the reference row): " + "  ".join(parts))

    def describe(self):
        return {"vmlinuz": self.vmlinuz, "initramfs": self.initrd, "scale": self.scale,
                "memory": MEMORY, "model_results": self.model, "probes": self.probes}


def add_arguments(parser):
    LinuxSuite.add_arguments(parser)


def make(ctx):
    return LinuxSuite(ctx)
