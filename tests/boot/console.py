"""The guest's serial console driven from a pty, as a person would: wait for
output, type commands, collect what they print between markers. Shared by
the boot tests in this folder (linux-boot, disk-boot). Python stdlib only."""

import os
import pty
import re
import select
import shlex
import signal
import subprocess
import termios
import time
import tty

READY_MARKER = "MIMIC-GUEST-READY"
PROMPT = "mimic# "
TAIL_LINES = 20
# Markers around each command's output; the quotes keep the echoed command
# line from matching (the shell echoes 'MI''MIC', prints MIMIC).
MARK = "__MIMIC_"
KILL_GRACE_S = 3.0


class StepFailed(Exception):
    pass


class Console:
    """The emulator process with its console on a pty; everything it prints is
    logged raw and kept (minus CRs) in a text buffer for matching."""

    def __init__(self, argv, log_path):
        self.log = open(log_path, "wb")
        self.log.write(("# " + " ".join(shlex.quote(a) for a in argv) + "\n").encode())
        self.text = ""
        self.pos = 0  # matches are searched from here on
        master, slave = pty.openpty()
        # Raw from the start: no echo or CR/NL mangling by the host line
        # discipline, whatever the emulator itself does with its terminal.
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[6][termios.VMIN] = 1
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.master = master
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.eof = False
        self.started = time.monotonic()

    def _pump(self, timeout):
        """Reads what is available within timeout seconds."""
        if self.eof:
            time.sleep(min(timeout, 0.05))
            return
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every holder of the slave has closed it
            data = b""
        if not data:
            self.eof = True
            return
        self.log.write(data)
        self.log.flush()
        self.text += data.decode("utf-8", "replace").replace("\r", "")

    def expect(self, pattern, timeout, what):
        """Waits for regex pattern after the current position; returns the match
        and moves past it. Raises StepFailed on timeout or emulator exit."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            if self.eof and self.proc.poll() is not None:
                raise StepFailed("emulator exited with status %d while waiting for %s"
                                 % (self.proc.returncode, what))
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepFailed("timeout after %g s waiting for %s" % (timeout, what))
            self._pump(min(left, 0.5))

    def send(self, line):
        """Types a line; in small chunks, as a UART takes a few bytes at a time."""
        data = (line + "\r").encode()
        for i in range(0, len(data), 16):
            os.write(self.master, data[i:i + 16])
            self._pump(0.005)

    def run(self, command, timeout, tag):
        """Runs a shell command; returns (output lines, exit status)."""
        begin, end = MARK + "B" + tag, MARK + "E" + tag
        self.send("echo '%s''%s'; %s; echo \"%s\"'%s' $?"
                  % (begin[:4], begin[4:], command, end[:4], end[4:]))
        what = "output of `%s`" % command
        self.expect(re.escape(begin) + r"\n", timeout, what)
        start = self.pos
        m = self.expect(re.escape(end) + r" (\d+)\n", timeout, what)
        out = self.text[start:m.start()]
        self.expect(re.escape(PROMPT), 10, "prompt after `%s`" % command)
        return [l for l in out.split("\n") if l.strip()], int(m.group(1))

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump(0.1)
        while not self.eof and self.proc.poll() is not None:
            before = len(self.text)
            self._pump(0.05)
            if len(self.text) == before:
                break
        return self.proc.poll()

    def tail(self, n=TAIL_LINES):
        """The last n console lines, without terminal escapes and control bytes."""
        text = re.sub(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_]|[a-z])", "", self.text)
        text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)
        return [l.rstrip() for l in text.rstrip("\n").split("\n")[-n:]]

    def kill(self):
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    pass
        self.close()

    def close(self):
        try:
            os.close(self.master)
        except OSError:
            pass
        self.log.close()
