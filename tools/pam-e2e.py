#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""pam-e2e.py: pam_entsec under the real sudo, login and sshd, in the clean
Debian root of `tools/package-test --pam-e2e` (which copies this file there
and runs it as root inside the root, with the packages, sudo, openssh-server,
openssh-client and python3 installed). README.md, "Debian packages".

What an administrator does after the README and pam_entsec(8):
  the packaged entsec-server: --init and then the server itself, as its
  system user with the unit's data directory and umask (systemd does not run
  in a chroot: the binary is started the way the unit starts it), on
  127.0.0.1; entsec-admin with /etc/entsec/admin.conf adds the user
  ann@example.com and a relying party whose API key goes straight to
  /etc/security/entsec.key; the user map says ann is ann@example.com;
  a phone: the packaged entsec-cli enrolls a vault under a throwaway HOME
  (--no-keyring, a passphrase file), with the code from the server's outbox;
  sudo, login and sshd with pam_entsec in /etc/pam.d, each driven through a
  pseudo-terminal as the user ann would type: the number the terminal shows
  is approved (or denied) on the phone with `entsec-cli approve ID --number N`.
Nothing listens on /dev/log in a chroot: this script does, and checks that
the lines logged carry no API key, no code and no number.

Prints one line a result, "RESULT<TAB>PASS|FAIL|SKIP<TAB>NAME<TAB>DETAIL",
for package-test's summary; everything else goes to stderr. Exit status 1
when a check failed.
"""

import json
import os
import pty
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

# devlog.py: beside this file in the test root, in tests/pam in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "pam"))
from devlog import Syslog  # noqa: E402

WAIT = 90  # seconds any one step may take; every wait is bounded
NUMBER_RE = re.compile(r"number (?P<n>\d+)")
PASSWORD_RE = re.compile(r"[Pp]assword[^:\n]*: ?$")
DATA = "/var/lib/entsec-server"  # the unit's data directory (StateDirectory=)
WORK = "/tmp/pam-e2e"
PHONE = WORK + "/phone"  # the phone's throwaway HOME
KEY_FILE = "/etc/security/entsec.key"
CA_FILE = "/etc/security/entsec-ca.pem"
USER_MAP = "/etc/security/entsec-users"
LOGIN = "ann"
EMAIL = "ann@example.com"
PASSWORD = "pam-e2e ann's password 7"
failed = 0


def result(status, name, detail=""):
    global failed
    if status == "FAIL":
        failed += 1
    print("RESULT\t%s\t%s\t%s" % (status, name, detail.replace("\n", " ")), flush=True)


def say(*args, sep=" "):
    print("pam-e2e:", *args, sep=sep, file=sys.stderr, flush=True)


def run(argv, **kwargs):
    """A command that must succeed; its stdout."""
    kwargs.setdefault("timeout", WAIT)
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), done.returncode,
                                                done.stderr.strip()))
    return done.stdout


class Terminal:
    """A program on a pseudo-terminal (its controlling terminal), as `user` when given."""

    def __init__(self, argv, user=None):
        self.seen = ""
        self.pos = 0  # what expect() has consumed
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"}
        if user is not None:
            pw = pwd.getpwnam(user)
            env.update(HOME=pw.pw_dir, USER=user, LOGNAME=user, SHELL=pw.pw_shell)
        else:
            env["HOME"] = "/root"
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                if user is not None:
                    os.initgroups(user, pw.pw_gid)
                    os.setgid(pw.pw_gid)
                    os.setuid(pw.pw_uid)
                    os.chdir(pw.pw_dir)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.status = None

    def _read(self, timeout):
        """More output (False at the end: the program exited and all is read)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: no slave open (the program ended, or login's vhangup)
            chunk = b""
        if chunk:
            self.seen += chunk.decode("utf-8", "replace")
            return True
        if self._exited():
            return False
        time.sleep(0.05)
        return True

    def _exited(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:
                return False
            self.status = os.waitstatus_to_exitcode(status)
        return True

    def expect(self, pattern, timeout=WAIT):
        """The match of `pattern` in the output after the last one; None at the end."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.compile(pattern).search(self.seen, self.pos)
            if match:
                self.pos = match.end()
                return match
            if time.monotonic() > deadline:
                raise RuntimeError("waited %d s for %r; the terminal showed: %r"
                                   % (timeout, pattern, self.seen))
            if not self._read(0.5):
                return None

    def send(self, text):
        os.write(self.fd, text.encode())

    def finish(self, timeout=WAIT):
        """Reads to the end; the exit status."""
        deadline = time.monotonic() + timeout
        while self._read(0.5):
            if time.monotonic() > deadline:
                raise RuntimeError("still running after %d s: %r" % (timeout, self.seen))
        return self.status

    def close(self):
        if not self._exited():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


class Server:
    """The packaged entsec-server, started as its unit starts it."""

    def __init__(self):
        self.proc = None
        self.port = None
        self.log = open(WORK + "/server.log", "w", encoding="utf-8")

    def as_unit(self, *args, **kwargs):
        # User=entsec-server Group=entsec-server UMask=0077, the unit's ExecStart
        return dict(user="entsec-server", group="entsec-server", extra_groups=[], umask=0o077,
                    env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
                    cwd="/", **kwargs)

    def init(self):
        out = run(["entsec-server", "--data-dir", DATA, "--init", "--name", "localhost"],
                  **self.as_unit())
        say("entsec-server --init:", out.strip())
        return re.search(r"server key SPKI pin: (sha256//\S+)", out).group(1)

    def start(self):
        self.proc = subprocess.Popen(
            ["/usr/sbin/entsec-server", "--data-dir", DATA, "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, text=True,
            **self.as_unit())
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1)
            line = self.proc.stdout.readline() if ready else ""
            match = re.match(r"entsec-server: listening on https://.*:(\d+)$", line.strip())
            if match:
                self.port = int(match.group(1))
                return "https://localhost:%d" % self.port
            if ready and not line:
                break
        raise RuntimeError("entsec-server did not start; see %s" % self.log.name)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=WAIT)
        status = self.proc.returncode if self.proc is not None else None
        self.proc = None
        return status


def admin(*args, **kwargs):
    """entsec-admin with /etc/entsec/admin.conf, as root."""
    return run(["entsec-admin", *args], **kwargs)


class Phone:
    """The user's device: entsec-cli on a vault under a throwaway HOME."""

    def __init__(self):
        os.makedirs(PHONE, mode=0o700)
        self.vault = PHONE + "/vault.db"
        self.pass_file = PHONE + "/pass"
        with open(os.open(self.pass_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("pam-e2e phone passphrase 42\n")
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": PHONE,
                    "XDG_CONFIG_HOME": PHONE + "/config", "XDG_DATA_HOME": PHONE + "/data",
                    "XDG_RUNTIME_DIR": PHONE}
        self.answered = set()
        self.codes = []  # the enrollment codes
        self.numbers = []  # the numbers the terminals showed

    def argv(self, *args):
        return ["entsec-cli", *args, "--vault", self.vault, "--no-keyring",
                "--passphrase-file", self.pass_file]

    def cli(self, *args):
        return run(self.argv(*args), env=self.env)

    def enroll(self, link):
        """entsec-cli enroll --link, typing the code the server's outbox received."""
        self.cli("init", "--kdf-memory", "8192", "--kdf-iterations", "1")
        proc = subprocess.Popen(self.argv("enroll", "--link", link), env=self.env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            err = ""
            deadline = time.monotonic() + WAIT
            while "on its way" not in err and time.monotonic() < deadline:
                ready, _, _ = select.select([proc.stderr], [], [], 1)
                line = proc.stderr.readline() if ready else ""
                if ready and not line:
                    break
                err += line
            if "on its way" not in err:
                raise RuntimeError("entsec-cli enroll asked for no code: " + err)
            with open(DATA + "/outbox.jsonl", encoding="utf-8") as f:
                code = [json.loads(line)["code"] for line in f][-1]
            self.codes.append(code)
            out, rest = proc.communicate(code + "\n", timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError("entsec-cli enroll: exit %d: %s" % (proc.returncode, err + rest))
        return out

    def answer(self, number, approve, service):
        """Receives the new sign-in request (watch --once), checks what it shows,
        and approves it with `number` or denies it."""
        deadline = time.monotonic() + WAIT
        while True:
            self.cli("watch", "--once", "--wait", "0")
            new = [a for a in json.loads(self.cli("approvals", "--json"))
                   if a["challenge_id"] not in self.answered]
            if new:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("no sign-in request reached the phone")
            time.sleep(0.5)
        [request] = new
        self.numbers.append(number)
        self.answered.add(request["challenge_id"])
        context = request.get("context", {})
        if context.get("app") != service or context.get("login") != LOGIN:
            raise RuntimeError("the phone shows %r, not service %s and login %s"
                               % (context, service, LOGIN))
        if approve:
            out = self.cli("approve", request["challenge_id"], "--number", str(number))
        else:
            out = self.cli("deny", request["challenge_id"])
        say("phone:", out.strip())


class Session:
    """One sign-in on a terminal: the number it shows goes to the phone, the
    password prompts get ann's password, Enter follows the approval where the
    module asks for it (prompt=enter)."""

    def __init__(self, phone, service, approve, enter=False):
        self.phone, self.service, self.approve, self.enter = phone, service, approve, enter
        self.numbers = []

    def drive(self, term, until=None):
        """Answers the terminal until `until` (a pattern) shows or the program ends;
        returns the match of `until` or None."""
        pattern = "|".join(["(?P<number>%s)" % NUMBER_RE.pattern,
                            "(?P<password>%s)" % PASSWORD_RE.pattern]
                           + (["(?P<until>%s)" % until] if until else []))
        while True:
            match = term.expect(pattern)
            if match is None or match.groupdict().get("until") is not None:
                return match
            if match.group("number"):
                number = int(match.group("n"))
                self.numbers.append(number)
                self.phone.answer(number, self.approve, self.service)
                if self.enter:
                    term.expect(r"approved: ?$")
                    term.send("\n")
            else:
                term.send(PASSWORD + "\n")


def write(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def pam_line(extra="", trust=None):
    """The README's line (one line here; the README joins it with backslashes)."""
    return ("auth required pam_entsec.so server=%s %s key_file=%s user_map=%s%s\n"
            % (SERVER_URL, trust or "ca=" + CA_FILE, KEY_FILE, USER_MAP, extra))


PAM_D = {}  # each service's file as the package installed it


def set_pam(service, line, replace=False):
    """/etc/pam.d/SERVICE with `line` before its @include common-auth, or in its place."""
    path = "/etc/pam.d/" + service
    if service not in PAM_D:
        with open(path, encoding="utf-8") as f:
            PAM_D[service] = f.read()
    if "@include common-auth" not in PAM_D[service]:
        raise RuntimeError("%s has no @include common-auth" % path)
    write(path, PAM_D[service].replace(
        "@include common-auth", line + ("" if replace else "@include common-auth"), 1))


SERVER_URL = None
SYSLOG = None


def check(name, function):
    """Runs one check: PASS with what it returns, FAIL with why not."""
    try:
        detail = function()
        result("PASS", name, detail or "")
        return True
    except Exception as e:  # noqa: BLE001 - every failure is a FAIL line, then the next check
        traceback.print_exc()
        result("FAIL", name, str(e)[:300])
        return False


# The checks ----------------------------------------------------------------------

def sudo_run(phone, approve):
    """ann runs sudo on a terminal; the approval or denial on the phone."""
    term = Terminal(["sudo", "-k", "sh", "-c", "echo ran-as-$(id -un)"], user=LOGIN)
    try:
        session = Session(phone, "sudo", approve)
        session.drive(term)
        status = term.finish()
        return status, term.seen, session.numbers
    finally:
        term.close()


def check_sudo_approved(phone):
    status, seen, numbers = sudo_run(phone, True)
    if status != 0 or "ran-as-root" not in seen or len(numbers) != 1:
        raise RuntimeError("exit %s, numbers %s: %r" % (status, numbers, seen))
    return "number %d shown on the terminal, approved on the phone; the command ran as root" % (
        numbers[0])


def check_sudo_denied(phone):
    since = len(SYSLOG.lines) if SYSLOG else 0
    status, seen, numbers = sudo_run(phone, False)
    # Debian 12's sudo (1.9.13) authenticates with PAM_SILENT: the module shows
    # no reason then, and logs it
    if status == 0 or "ran-as-root" in seen or "denied on the phone" in seen:
        raise RuntimeError("exit %s: %r" % (status, seen))
    logged("pam_entsec(sudo:auth): sign-in of %s denied: declined" % LOGIN, since)
    return "sudo exit %d; no reason shown (PAM_SILENT), logged \"denied: declined\"" % status


def check_sudo_server_down(phone, server):
    since = len(SYSLOG.lines) if SYSLOG else 0
    stopped = server.stop()
    status, seen, numbers = sudo_run(phone, True)
    if status == 0 or "ran-as-root" in seen or numbers:
        raise RuntimeError("server exit %s; sudo exit %s: %r" % (stopped, status, seen))
    logged("pam_entsec(sudo:auth): cannot reach %s" % SERVER_URL, since)
    return "server stopped (exit %s); no number, sudo exit %d, logged \"cannot reach\"" % (
        stopped, status)


def logged(text, since):
    """`text` in a line logged after line `since` (bounded wait: a datagram away)."""
    if SYSLOG is None:
        return
    deadline = time.monotonic() + 10
    while not any(text in line for line in SYSLOG.lines[since:]):
        if time.monotonic() > deadline:
            raise RuntimeError("not logged: %r in %r" % (text, SYSLOG.lines[since:]))
        time.sleep(0.05)


def login_run(phone, approve):
    term = Terminal(["login", LOGIN])
    try:
        session = Session(phone, "login", approve)
        if approve:
            if session.drive(term, until=r"\$ $") is None:
                raise RuntimeError("login ended without a shell: %r" % term.seen)
            term.send("echo logged-in-as-$(id -un); exit\n")
            status = term.finish()
        else:
            session.drive(term, until=r"Login incorrect")
            status = None  # login asks again: it is ended below
        return status, term.seen, session.numbers
    finally:
        term.close()


def check_login_approved(phone):
    status, seen, numbers = login_run(phone, True)
    if "logged-in-as-" + LOGIN not in seen or len(numbers) != 1:
        raise RuntimeError("exit %s, numbers %s: %r" % (status, numbers, seen))
    return "number %d shown, approved; a shell ran as %s" % (numbers[0], LOGIN)


def check_login_denied(phone):
    status, seen, numbers = login_run(phone, False)
    if "denied on the phone" not in seen or "Login incorrect" not in seen \
            or "logged-in-as" in seen:
        raise RuntimeError("numbers %s: %r" % (numbers, seen))
    return "\"The sign-in was denied on the phone.\", \"Login incorrect\""


class Sshd:
    def __init__(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.config = WORK + "/sshd_config"
        write(self.config, """# tools/pam-e2e.py: pam_entsec(8)'s sshd settings
ListenAddress 127.0.0.1
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile none
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
AuthenticationMethods publickey,keyboard-interactive
PermitRootLogin no
LogLevel VERBOSE
""")
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.log = open(WORK + "/sshd.log", "w", encoding="utf-8")
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-p", str(self.port),
                                      "-f", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 5).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("sshd did not start (see %s)" % self.log.name)
                time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=WAIT)


def ssh_run(phone, sshd, approve):
    term = Terminal(["ssh", "-p", str(sshd.port), "-o", "StrictHostKeyChecking=accept-new",
                     "-o", "NumberOfPasswordPrompts=1", "-o", "PreferredAuthentications="
                     "publickey,keyboard-interactive", LOGIN + "@127.0.0.1",
                     "echo ssh-ran-as-$(id -un)"], user=LOGIN)
    try:
        session = Session(phone, "sshd", approve, enter=True)
        session.drive(term)
        status = term.finish()
        return status, term.seen, session.numbers
    finally:
        term.close()


def check_ssh_approved(phone, sshd):
    status, seen, numbers = ssh_run(phone, sshd, True)
    if status != 0 or "ssh-ran-as-" + LOGIN not in seen or len(numbers) != 1:
        raise RuntimeError("exit %s, numbers %s: %r" % (status, numbers, seen))
    return "key, then number %d in the keyboard-interactive prompt, approved, Enter; " \
        "the command ran" % numbers[0]


def check_ssh_denied(phone, sshd):
    status, seen, numbers = ssh_run(phone, sshd, False)
    if status == 0 or "ssh-ran-as-" + LOGIN in seen or "Permission denied" not in seen:
        raise RuntimeError("exit %s, numbers %s: %r" % (status, numbers, seen))
    return "ssh exit %d, \"Permission denied\"" % status


def check_log(syslog, key, phone):
    messages = [m for line, m in zip(syslog.lines, syslog.messages()) if "pam_entsec(" in line]
    accepted = [m for m in messages if m.startswith("sign-in of %s (entsec user" % LOGIN)]
    if not accepted:
        raise RuntimeError("pam_entsec logged no accepted sign-in: %r" % messages)
    for name, values, lines in (("the API key", [key], syslog.lines),
                                ("an enrollment code", phone.codes, syslog.lines),
                                ("a number shown", phone.numbers, messages)):
        for value in values:
            word = re.compile(r"(?<![\w])%s(?![\w])" % re.escape(str(value)))
            if any(word.search(line) for line in lines):
                # the count only: the line would carry the secret
                raise RuntimeError("%s reached the log (%d lines)"
                                   % (name, len([1 for line in lines if word.search(line)])))
    say("pam_entsec logged (no secret in it, checked above):", *messages, sep="\n  ")
    return "%d lines of pam_entsec, %d in all: no key, code or number" % (
        len(messages), len(syslog.lines))


def main():
    global SERVER_URL, SYSLOG
    os.umask(0o022)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK, mode=0o755)
    syslog = SYSLOG = Syslog() if not os.path.exists(Syslog.PATH) else None
    server = Server()
    sshd = None
    try:
        # 1. The server, entsec-admin, the relying party and the user map.
        pin = server.init()
        SERVER_URL = server.start()
        shutil.copy(DATA + "/ca.pem", CA_FILE)
        os.chmod(CA_FILE, 0o644)
        write("/etc/entsec/admin.conf", "[entsec-admin]\nserver=%s\nca=%s\ntoken-file=%s\n"
              % (SERVER_URL, CA_FILE, DATA + "/admin-token"))
        user_id = json.loads(admin("--json", "users", "add", "--email", EMAIL,
                                   "--name", "Ann"))["id"]
        # the README's commands, in a shell as the administrator types them
        run(["sh", "-c", """set -e
(umask 077; entsec-admin rp add "sudo-$(hostname)" | sed -n 's/^api_key: //p' > %s)
echo "%s %s" > %s""" % (KEY_FILE, LOGIN, EMAIL, USER_MAP)])
        with open(KEY_FILE, encoding="ascii") as f:
            key = f.read().strip()
        if not key or os.stat(KEY_FILE).st_mode & 0o077:
            raise RuntimeError("%s is empty or open to others" % KEY_FILE)
        result("PASS", "entsec-server as its unit runs it (entsec-server user, data dir "
               "%s, UMask 0077; no systemd in a chroot), user, RP, key file, user map" % DATA,
               SERVER_URL)

        # 2. The phone.
        phone = Phone()
        link = [line for line in admin("users", "invite", user_id).splitlines()
                if line.startswith("entsec://enroll?")][0]
        phone.enroll(link)
        result("PASS", "entsec-cli enrolls a vault (--no-keyring, code from the outbox)")

        # ann, with a password (common-auth still asks for it after the approval)
        run(["useradd", "--create-home", "--shell", "/bin/bash", LOGIN])
        run(["chpasswd"], input="%s:%s\n" % (LOGIN, PASSWORD))
        write("/etc/sudoers.d/pam-e2e", "%s ALL=(ALL:ALL) ALL\n"
              "# one try: a refused sign-in ends sudo rather than starting another\n"
              "Defaults:%s passwd_tries=1\n" % (LOGIN, LOGIN), 0o440)
        run(["visudo", "-c"])

        # 3. sudo
        set_pam("sudo", pam_line())
        check("sudo: approved on the phone -> the command runs", lambda: check_sudo_approved(phone))
        check("sudo: denied on the phone -> sudo refuses", lambda: check_sudo_denied(phone))
        # the pin as the anchor, no CA file (and no ca-certificates in the root)
        set_pam("sudo", pam_line(trust="pin=" + pin))
        check("sudo with pin= instead of ca=: approved -> the command runs",
              lambda: check_sudo_approved(phone))
        set_pam("sudo", pam_line())

        # 4. login
        set_pam("login", pam_line())
        check("login ann (on a pty): approved -> a shell", lambda: check_login_approved(phone))
        check("login ann (on a pty): denied -> Login incorrect",
              lambda: check_login_denied(phone))

        # 5. sshd: a key, then the approval (prompt=enter), in place of common-auth
        run(["su", LOGIN, "-c", "mkdir -p -m 700 ~/.ssh && ssh-keygen -q -t ed25519 -N '' "
             "-f ~/.ssh/id_ed25519 && cp ~/.ssh/id_ed25519.pub ~/.ssh/authorized_keys"])
        set_pam("sshd", pam_line(" prompt=enter").replace(
            "auth required", "auth [success=done default=die]"), replace=True)
        sshd = Sshd()
        check("sshd (publickey,keyboard-interactive, prompt=enter): approved -> the command "
              "runs", lambda: check_ssh_approved(phone, sshd))
        check("sshd: denied -> Permission denied", lambda: check_ssh_denied(phone, sshd))
        sshd.stop()

        # 3, again: the server stopped
        check("sudo: server stopped -> refused (fail closed)",
              lambda: check_sudo_server_down(phone, server))

        # 6. the log
        if syslog is None:
            result("SKIP", "the module's log", "something else listens on /dev/log")
        else:
            time.sleep(0.2)  # the last datagrams
            check("pam_entsec's log (/dev/log): no API key, code or number",
                  lambda: check_log(syslog, key, phone))
    except Exception as e:  # noqa: BLE001 - a failed setup ends the run with a FAIL line
        traceback.print_exc()
        result("FAIL", "setup", str(e)[:300])
    finally:
        if sshd is not None:
            sshd.stop()
        server.stop()
        if syslog is not None:
            syslog.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
