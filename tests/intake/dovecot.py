"""A throw-away dovecot IMAP server on loopback for the IMAP intake tests.

    server = Dovecot().start()       # raises DovecotMissing when Debian's dovecot is absent
    with server.mailbox("desk-1") as box:
        box.append(raw)              # deliver as a mail server would
    server.stop()

Any user name logs in with the password ``Dovecot.PASSWORD`` and gets an empty maildir of
its own, so each test takes a fresh name instead of cleaning up. The server lives in a
private directory (configuration, maildirs, sockets, log) removed on stop. As root the
mail processes run as Debian's "dovecot" user (dovecot refuses uid 0 for mail and root for
its login processes); as anyone else everything runs as that user.
"""

from __future__ import annotations

import contextlib
import getpass
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imap_tools import MailBoxUnencrypted

INSTALL_HINT = (
    "Debian's dovecot is needed for the IMAP tests and is not installed: run "
    "`sudo apt-get install -y dovecot-imapd` (`make test` installs it when missing)."
)


class DovecotMissing(RuntimeError):
    """The dovecot binary is not on this machine."""


class Dovecot:
    PASSWORD = "secret"

    def __init__(self, *, imap_capability: str | None = None) -> None:
        # imap_capability replaces the advertised capability list (e.g. to hide IDLE).
        self.imap_capability = imap_capability
        self.port = 0
        self.dir: Path | None = None
        self._proc: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def url(self, user: str, folder: str = "INBOX") -> str:
        return f"imap://{user}:{self.PASSWORD}@{self.host}:{self.port}/{folder}"

    def account(self, user: str, folder: str = "INBOX") -> dict:
        """Keyword arguments for imap_poll_once / imap_watch."""
        return {"host": self.host, "port": self.port, "user": user,
                "password": self.PASSWORD, "folder": folder}

    def mailbox(self, user: str, folder: str = "INBOX") -> MailBoxUnencrypted:
        return MailBoxUnencrypted(self.host, self.port, timeout=10).login(
            user, self.PASSWORD, initial_folder=folder)

    @property
    def log(self) -> str:
        path = self.dir / "dovecot.log" if self.dir else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def start(self, *, port: int | None = None) -> Dovecot:
        binary = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")
        if not binary:
            raise DovecotMissing(INSTALL_HINT)
        if self.dir is None:
            self.dir = Path(tempfile.mkdtemp(prefix="xuala-dovecot-"))
            # The mail and login processes run as other users when started as root.
            self.dir.chmod(0o755)
            self._prepare_dirs()
        self.port = port or self.port or _free_port()
        config = self.dir / "dovecot.conf"
        config.write_text(self._config())
        self._proc = subprocess.Popen(
            [binary, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=(self.dir / "stderr.log").open("ab"),
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def stop(self, *, keep_files: bool = False) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=10)
            self._proc = None
            _wait_port_closed(self.port)
        if not keep_files and self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # ------------------------------------------------------------------------------------------

    def _users(self) -> tuple[str, str, str, int, int]:
        """(internal user, its group, login user, mail uid, mail gid)."""
        if os.geteuid() != 0:
            me = getpass.getuser()
            return me, _group_name(os.getegid()), me, os.geteuid(), os.getegid()
        try:
            internal = pwd.getpwnam("dovecot")
            login = pwd.getpwnam("dovenull")
        except KeyError:
            raise DovecotMissing(
                "running as root, dovecot needs its 'dovecot' and 'dovenull' users (created "
                "by the dovecot-core package); reinstall it: apt-get install -y dovecot-imapd"
            ) from None
        return (internal.pw_name, _group_name(internal.pw_gid), login.pw_name,
                internal.pw_uid, internal.pw_gid)

    def _prepare_dirs(self) -> None:
        _, _, _, uid, gid = self._users()
        for name in ("mail", "home", "run", "state"):
            (self.dir / name).mkdir()
        for name in ("mail", "home"):
            os.chown(self.dir / name, uid, gid)

    def _config(self) -> str:
        internal, group, login, uid, gid = self._users()
        d = self.dir
        capability = (f"imap_capability = {self.imap_capability}\n"
                      if self.imap_capability else "")
        return f"""\
# Written by tests/intake/dovecot.py for one test run.
instance_name = xuala-test-{self.port}
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {uid}
last_valid_uid = 0
first_valid_gid = {gid}
mail_location = maildir:{d}/mail/%u
mail_fsync = never
shutdown_clients = yes
{capability}
passdb {{
  driver = static
  args = password={self.PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service auth-worker {{
  user = {internal}
}}
service anvil {{
  chroot =
}}
"""

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self._proc.returncode}:\n"
                                   f"{self._stderr()}{self.log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop(keep_files=True)
        raise RuntimeError(f"dovecot did not answer on port {self.port}:\n{self.log}")

    def _stderr(self) -> str:
        path = self.dir / "stderr.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port_closed(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pass
        except OSError:
            return
        time.sleep(0.05)
