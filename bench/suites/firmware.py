"""firmware suite: time from process start to the bootloader's first output
on the serial console, booting a disk (syslinux) and a CD (isolinux) through
PC firmware: mimic with our BIOS, mimic with Debian's SeaBIOS (-bios), and
QEMU TCG with its SeaBIOS (the reference). The images (tests/boot/mkimages:
hd-reboot.raw, cd-reboot.iso) print the banner and reboot at once, so with
-no-reboot each run ends right after it. Leaves out: everything after the
bootloader (the linux suite times the kernel)."""

import os
import shutil
import subprocess

from harness import Config, Metric, Sample, SuiteSkip

BANNER = "LINUX 6."            # "SYSLINUX 6.04" / "ISOLINUX 6.04"
SEABIOS = "/usr/share/seabios/bios.bin"
COMMON_ARGS = ["-M", "pc", "-m", "128M", "-nographic", "-no-reboot", "-accel", "tcg"]
TIMEOUT_S = 60


class RunFailure(Exception):
    pass


class FirmwareSuite:
    name = "firmware"
    title = "PC firmware to bootloader banner (syslinux disk, isolinux CD; tests/boot/mkimages)"
    markers = (BANNER,)
    started_marker = BANNER
    # Our BIOS against SeaBIOS, both on mimic (the comparison).
    ratio_pairs = (("mimic-bios-hd", "mimic-seabios-hd"), ("mimic-bios-cd", "mimic-seabios-cd"))

    def __init__(self, ctx):
        self.ctx = ctx
        self.images = {}
        self.notes = []

    def prepare(self):
        fetch = subprocess.run([os.path.join(self.ctx.root, "tests", "guests", "fetch")],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if fetch.returncode != 0:
            raise SuiteSkip("tests/guests/fetch failed: " + (fetch.stderr.strip().splitlines() or ["?"])[-1])
        r = subprocess.run([os.path.join(self.ctx.root, "tests", "boot", "mkimages"),
                            os.path.join(self.ctx.build, "bench", "images")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SuiteSkip("tests/boot/mkimages failed: " + (r.stderr.strip().splitlines() or ["?"])[-1])
        self.images = dict(l.split(": ", 1) for l in r.stdout.strip().splitlines())

    def configs(self):
        a = self.ctx.args
        media = {"hd": ["-drive", "file=%s,format=raw,snapshot=on" % self.images["hd-reboot"]],
                 "cd": ["-cdrom", self.images["cd-reboot"], "-boot", "d"]}
        qemu_missing = "" if shutil.which(a.qemu) else f"{a.qemu} not found (scripts/install-deps)"
        mimic_missing = "" if os.access(a.mimic, os.X_OK) else f"{a.mimic} not built (make all)"
        seabios_missing = "" if os.path.isfile(SEABIOS) else f"{SEABIOS} missing (seabios package)"
        rows = []
        for m in ("hd", "cd"):
            rows.append(Config(f"qemu-seabios-{m}", [a.qemu] + COMMON_ARGS + media[m], TIMEOUT_S,
                               reference=(m == "hd"), unavailable=qemu_missing))
            rows.append(Config(f"mimic-bios-{m}", [a.mimic] + COMMON_ARGS + media[m], TIMEOUT_S,
                               unavailable=mimic_missing))
            rows.append(Config(f"mimic-seabios-{m}", [a.mimic, "-bios", SEABIOS] + COMMON_ARGS + media[m],
                               TIMEOUT_S, unavailable=mimic_missing or seabios_missing))
        return rows

    def metrics(self):
        return [Metric("banner_s", "banner s", "s", fmt="{:.3f}"),
                Metric("wall_s", "wall s", "s", fmt="{:.3f}"),
                Metric("cpu_s", "cpu s", "s", fmt="{:.3f}")]

    def legend(self):
        return ["banner s: host time from process start to the bootloader's banner on COM1 "
                "(firmware POST, boot device, bootloader load); wall/cpu s: the whole process, "
                "which exits when the bootloader reboots",
                "rows ending -cd boot the ISO; the ratio column of -cd rows is against the -hd "
                "reference, so compare them through the pair ratios below the table"]

    def parse(self, config, result):
        t = result.markers.get(BANNER)
        if t is None:
            raise RunFailure(f"no bootloader banner (exit {result.exit_code}; see "
                             f"{os.path.relpath(result.log_path, self.ctx.root)})")
        return Sample(values={"banner_s": t, "wall_s": result.wall_s, "cpu_s": result.cpu_s})

    def progress(self, result):
        return "the bootloader never printed its banner"

    def verify(self, config, sample):
        return []

    def describe(self):
        return {"images": {k: os.path.relpath(v, self.ctx.root) for k, v in self.images.items()}}


def add_arguments(parser):
    pass


def make(ctx):
    return FirmwareSuite(ctx)
