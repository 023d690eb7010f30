"""Security: the clusters dasklearn starts listen on 127.0.0.1 only; a scheduler that requires
TLS is reached through dask's own security configuration; model files are loaded only when the
user names one, and a file whose loading would run code is refused before anything in it runs.
"""

from __future__ import annotations

import ast
import datetime
import ipaddress
import os
import pickle
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import psutil
import pytest
from distributed import LocalCluster
from distributed.security import Security

import dasklearn
from dasklearn._client import connect, local_cluster
from dasklearn.cli.__main__ import main
from dasklearn.cli.errors import CLIError
from dasklearn.cli.modelfile import load_model
from dasklearn.preprocessing import StandardScaler

SRC = Path(dasklearn.__file__).parent


# --------------------------------------------------------------------------------------------
# 127.0.0.1 only
# --------------------------------------------------------------------------------------------


def _listening(pids) -> set[tuple[str, int]]:
    found = set()
    for pid in pids:
        for conn in psutil.Process(pid).net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                found.add((conn.laddr.ip, conn.laddr.port))
    return found


def test_clusters_dasklearn_starts_listen_on_localhost_only():
    """Every socket the scheduler, the dashboard, the nannies and the worker processes listen
    on (read from the operating system, not from the addresses dask reports) is on
    127.0.0.1: nothing on the network can reach them."""
    before = _listening([os.getpid()])
    with connect(n_workers=1, dashboard=True) as client:
        workers = list(client.run(os.getpid).values())
        opened = _listening([os.getpid()]) - before
        opened |= _listening(workers)
        info = client.scheduler_info()
    assert len(opened) >= 4  # scheduler, dashboard, nanny, worker
    assert {ip for ip, _ in opened} == {"127.0.0.1"}, opened
    assert info["address"].startswith("tcp://127.0.0.1:")
    # local_cluster shares connect's settings; a threads-only cluster talks in-process
    # (inproc://) and listens only for the dashboards
    before = _listening([os.getpid()])
    with local_cluster(n_workers=1, processes=False, dashboard=True) as cluster:
        opened = _listening([os.getpid()]) - before
        assert cluster.scheduler_address.startswith("inproc://")
    assert opened and {ip for ip, _ in opened} == {"127.0.0.1"}, opened


# --------------------------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------------------------


def _certificates(folder: Path) -> dict[str, str]:
    """A certificate authority and one certificate it signed for 127.0.0.1 / localhost (the
    scheduler, the workers and the client all use it), as PEM files in ``folder``."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(subject, issuer, key, signing_key, *, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("dasklearn test CA", "dasklearn test CA", ca_key, ca_key, ca=True)
    cert = build("127.0.0.1", "dasklearn test CA", key, ca_key, ca=False)
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return {k: str(v) for k, v in paths.items()}


def test_tls_scheduler_through_dask_security_config(tmp_path):
    pem = _certificates(tmp_path)
    security = Security(
        tls_ca_file=pem["ca"],
        tls_scheduler_cert=pem["cert"],
        tls_scheduler_key=pem["key"],
        tls_worker_cert=pem["cert"],
        tls_worker_key=pem["key"],
        tls_client_cert=pem["cert"],
        tls_client_key=pem["key"],
        require_encryption=True,
    )
    X = da.from_array(np.arange(60.0).reshape(20, 3), chunks=5)
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tls",
        host="127.0.0.1",
        security=security,
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        # without certificates: a clear error naming the settings to make
        with pytest.raises(ValueError, match="requires TLS.*distributed.comm.tls.ca-file"):
            connect(address, timeout="2s")
        # dask's configuration alone (what a user sets in ~/.config/dask or DASK_* variables)
        config = {
            "distributed.comm.require-encryption": True,
            "distributed.comm.tls.ca-file": pem["ca"],
            "distributed.comm.tls.client.cert": pem["cert"],
            "distributed.comm.tls.client.key": pem["key"],
        }
        with dask.config.set(config), connect(address, timeout="10s") as client:
            assert client.scheduler.address.startswith("tls://")
            with dask.config.set(scheduler=client):
                scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(scaler.mean_, np.arange(60.0).reshape(20, 3).mean(axis=0))


# --------------------------------------------------------------------------------------------
# model files
# --------------------------------------------------------------------------------------------


class _RunsCode:
    """Pickles to a call of os.system: unpickling it runs the shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


#: calls that load objects from a file or bytes
_LOADERS = {"load", "loads", "load_model", "_load_skops", "Unpickler", "read_pickle"}
_LOADER_MODULES = {"pickle", "cloudpickle", "joblib", "sio", "skops", "dill", "pd", "pandas"}


def test_only_the_model_file_module_loads_objects():
    """No module of dasklearn unpickles or loads a skops/joblib file except
    ``cli/modelfile.py``; the CLI calls it only from ``predict`` and ``evaluate``, with the
    path the user gave (a required argument: there is no default file)."""
    loaders: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if "load" not in text and "Unpickler" not in text:
            continue
        tree = ast.parse(text, str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = getattr(func, "attr", None) or getattr(func, "id", None)
            owner = getattr(getattr(func, "value", None), "id", None)
            if name == "load_model" or (name in _LOADERS and owner in _LOADER_MODULES):
                where = str(path.relative_to(SRC))
                loaders.setdefault(where, []).append(ast.unparse(node))
    assert set(loaders) <= {"cli/modelfile.py", "cli/predict.py", "cli/evaluate.py"}, loaders
    for caller in ("cli/predict.py", "cli/evaluate.py"):
        assert loaders[caller] == ["load_model(model_path, trust_pickle=trust_pickle)"]
    for command in ("predict", "evaluate"):
        with pytest.raises(SystemExit) as exit_:
            main([command])  # no model named: a usage error, nothing looked up
        assert exit_.value.code == 2


@pytest.mark.parametrize("name", ["model.skops", "model.joblib"])
def test_malicious_model_file_is_refused(tmp_path, name):
    """A pickle that runs a command when loaded is refused (the file's first bytes decide, not
    its name) and the command does not run; skops files with untrusted types are refused in
    ``tests/cli/test_model_files.py``."""
    marker = tmp_path / "ran"
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"format": "x", "model": _RunsCode(f"touch {marker}")}))
    with pytest.raises(CLIError, match="refused .*pickle.*posix.system"):
        load_model(path)
    assert not marker.exists()
