"""Evidence bytes on disk, outside the database file, under their SHA-256: <dir>/ab/cdef… (mode 0600).

The folder is $ZB_EVIDENCE_DIR, else "evidence" beside the SQLite database file (on PostgreSQL, which
has no file here: beside where $ZB_DB_PATH / the default file would be, i.e. data/evidence). Processes on
several hosts must share one folder: set $ZB_EVIDENCE_DIR to shared storage (docs/database.md).
Identical uploads share one file; a file is removed when no evidence row refers to it any more.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from db.connection import sqlite_file_path

_DIGEST = re.compile(r"[0-9a-f]{64}")


def evidence_dir() -> Path:
    """Where evidence files are kept."""
    configured = os.environ.get("ZB_EVIDENCE_DIR")
    if configured:
        return Path(configured).resolve()
    return Path(sqlite_file_path()).parent / "evidence"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(sha256: str) -> Path:
    """The file of a content hash; only well-formed hashes (no path tricks) are accepted."""
    if not _DIGEST.fullmatch(sha256 or ""):
        raise ValueError("not a SHA-256 hex digest")
    return evidence_dir() / sha256[:2] / sha256[2:]


def _private_dir(path: Path) -> None:
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            folder.mkdir(mode=0o700)
            os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask


def store(data: bytes) -> tuple[str, bool]:
    """Write the bytes under their hash (atomically, 0600); returns (sha256, whether a new file was written)."""
    sha = digest(data)
    target = blob_path(sha)
    if target.exists():
        return sha, False
    _private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sha, True


def load(sha256: str) -> bytes:
    """The stored bytes, checked against their hash (a damaged file raises OSError)."""
    data = blob_path(sha256).read_bytes()
    if digest(data) != sha256:
        raise OSError(f"evidence file {sha256} is damaged")
    return data


def remove(sha256: str) -> None:
    blob_path(sha256).unlink(missing_ok=True)
