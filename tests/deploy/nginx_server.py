"""A real nginx serving deploy/nginx/involve-intake.conf, as an operator installs it, in front of
a server on 127.0.0.1.

The site file is used as it is in the repository except for what its header tells an operator
to replace (the host name, the certificate paths) and what a test machine must change (ports,
the log's path, the upstream's port). Each of those replacements must find its text, so a change
to the file that this rendering no longer fits fails loudly instead of testing something else.
The http block around it stands in for Debian's /etc/nginx/nginx.conf, which includes the site.
"""

from __future__ import annotations

import datetime
import getpass
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import missing_program
from tests.reliability.server_gunicorn import ROOT, free_port

SITE = ROOT / "deploy" / "nginx" / "involve-intake.conf"
TEMPLATE_HOST = "feedback.example.nhs.uk"
START_SECONDS = 20.0
# Debian puts nginx in /usr/sbin, which is not on every user's PATH.
NGINX = shutil.which("nginx") or next(
    (str(path) for path in (Path("/usr/sbin/nginx"), Path("/usr/local/sbin/nginx")) if path.exists()),
    None)


def nginx_or_skip() -> str:
    """nginx's path (``missing_program`` without it)."""
    if NGINX is None:
        missing_program("nginx is not installed (Debian: apt-get install nginx-light)")
    return NGINX


@dataclass(frozen=True)
class Certificate:
    certificate: Path
    key: Path


def self_signed(directory: Path, host: str) -> Certificate:
    """A certificate for ``host`` and 127.0.0.1, valid for a day (clients trust it as their CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    paths = Certificate(directory / "fullchain.pem", directory / "privkey.pem")
    paths.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise AssertionError(f"{SITE.name} no longer contains {old!r}: update tests/deploy/nginx_server.py")
    return text.replace(old, new)


@dataclass(frozen=True)
class Ports:
    http: int
    https: int
    upstream: int


def render_site(text: str, host: str, certificate: Certificate, ports: Ports,
                access_log: Path) -> str:
    """The site file with this machine's values in place of the template's."""
    text = _replace(text, TEMPLATE_HOST, host)
    text = _replace(text, f"/etc/letsencrypt/live/{host}/fullchain.pem", str(certificate.certificate))
    text = _replace(text, f"/etc/letsencrypt/live/{host}/privkey.pem", str(certificate.key))
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{ports.http};")
    text = _replace(text, "listen [::]:80;", f"listen [::1]:{ports.http};")
    text = _replace(text, "listen 443 ", f"listen 127.0.0.1:{ports.https} ")
    text = _replace(text, "listen [::]:443 ", f"listen [::1]:{ports.https} ")
    text = _replace(text, "/var/log/nginx/involve-intake.access.log", str(access_log))
    return _replace(text, "server 127.0.0.1:8000;", f"server 127.0.0.1:{ports.upstream};")


def main_config(directory: Path, site: Path) -> str:
    """What Debian's nginx.conf gives the site: an http block that includes it. Everything nginx
    writes stays in ``directory``; workers run as this user (nginx ignores ``user`` unless it
    was started by root, which would otherwise run them as nobody, unable to read the files)."""
    temporary = directory / "temporary"
    temporary.mkdir(exist_ok=True)
    return (f"user {getpass.getuser()};\n"
            "worker_processes 1;\n"
            f"pid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'error.log'} info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            + "".join(f"    {kind}_temp_path {temporary / kind};\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"    include {site};\n"
            "}\n")


@dataclass(frozen=True)
class Nginx:
    ports: Ports
    certificate: Certificate
    access_log: Path
    error_log: Path
    config: Path

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.ports.https}"


def write_config(directory: Path, host: str, upstream_port: int) -> Nginx:
    directory.mkdir(parents=True, exist_ok=True)
    certificate = self_signed(directory, host)
    ports = Ports(free_port(), free_port(), upstream_port)
    access_log = directory / "access.log"
    site = directory / "involve-intake.conf"
    site.write_text(render_site(SITE.read_text("utf-8"), host, certificate, ports, access_log))
    config = directory / "nginx.conf"
    config.write_text(main_config(directory, site))
    return Nginx(ports, certificate, access_log, directory / "error.log", config)


def check(nginx: Nginx) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on the configuration, as the deployment steps run it before a reload."""
    return subprocess.run(_command(nginx, "-t"), capture_output=True, text=True, timeout=30,
                          check=False)


def _command(nginx: Nginx, *args: str) -> list[str]:
    # -e: the error log from the first line nginx writes (its built-in path needs root).
    return [nginx_or_skip(), "-c", str(nginx.config), "-p", str(nginx.config.parent),
            "-e", str(nginx.error_log), *args]


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def running_nginx(directory: Path, host: str, upstream_port: int) -> Iterator[Nginx]:
    """nginx in the foreground with the rendered site; stopped (quit, then kill) afterwards."""
    nginx = write_config(directory, host, upstream_port)
    log = directory / "nginx.out"
    with log.open("wb") as out:
        process = subprocess.Popen(_command(nginx, "-g", "daemon off;"), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (_accepting(nginx.ports.https) and _accepting(nginx.ports.http)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"nginx did not start:\n{log.read_text(errors='replace')}\n"
                                     f"{nginx.error_log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield nginx
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
