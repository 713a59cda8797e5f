"""A real IMAP server for tests and benchmarks: Debian's dovecot, run in the foreground from
a configuration written into a scratch directory (maildir storage, passwd-file users, plain
IMAP on 127.0.0.1, no SSL)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"

_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_login_user = {login_user}
default_internal_user = {internal_user}
imap_max_line_length = 1M
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen[bytes]
    host: str = "127.0.0.1"

    def add_user(self, username: str, password: str) -> None:
        uid, gid = _mail_ids()
        home = self.root / "home" / username
        home.mkdir(parents=True, exist_ok=True)
        os.chown(home, uid, gid)
        with open(self.root / "passwd", "a") as passwd:
            passwd.write(f"{username}:{{PLAIN}}{password}:{uid}:{gid}::{home}::\n")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def free_port(first: int, last: int) -> int:
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{last}")


def _mail_ids() -> tuple[int, int]:
    """Dovecot never runs mail processes as root: under root, mail belongs to nobody."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    import pwd

    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def start_dovecot(root: Path, *, first_port: int = 10143, last_port: int = 10199) -> Dovecot:
    if not os.path.exists(DOVECOT):
        raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir(exist_ok=True)
    (root / "passwd").touch()
    me = os.environ.get("USER") or "root"
    login_user = "dovenull" if _user_exists("dovenull") else me
    internal_user = "dovecot" if _user_exists("dovecot") else me
    # Login and mail processes run as other users and must reach these directories.
    os.chmod(root, 0o755)  # noqa: S103
    os.chmod(root / "run", 0o755)  # noqa: S103
    uid, gid = _mail_ids()
    os.chown(root / "mail", uid, gid)
    port = free_port(first_port, last_port)
    conf = root / "dovecot.conf"
    conf.write_text(
        _CONF.format(root=root, port=port, login_user=login_user, internal_user=internal_user)
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {output}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return Dovecot(root=root, port=port, process=process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("dovecot did not start listening")


def scratch_dir(prefix: str = "pv_emailin_dovecot_") -> Path:
    """A directory other users can traverse (pytest's tmp directories are private)."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix=prefix))


def cleanup(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
