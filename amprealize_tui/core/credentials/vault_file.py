"""The vault file on disk: strict parsing, atomic private writes, a lock for read-modify-write."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from amprealize_tui.core.credentials.records import VaultDocument
from amprealize_tui.core.credentials.vault_errors import VaultFileCorrupt

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; writes stay atomic
    fcntl = None  # type: ignore[assignment]

TEMP_PREFIX = ".vault-"
TEMP_SUFFIX = ".tmp"
FileSignature = tuple[int, int, int]


def signature(path: Path) -> FileSignature | None:
    """Changes whenever the file is replaced or rewritten; None when it does not exist."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read_document(path: Path) -> VaultDocument | None:
    """The parsed vault, None when the file does not exist, VaultFileCorrupt when unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    advice = (
        "It was left untouched: restore it from a backup, or move it aside to start an empty "
        "vault (the keys in it will be lost)."
    )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VaultFileCorrupt(f"{path} is not valid JSON ({exc}). {advice}") from None
    try:
        return VaultDocument.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors(include_input=False)[:5]
        )
        raise VaultFileCorrupt(f"{path} is not a valid vault file ({problems}). {advice}") from None


def _private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_document(path: Path, document: VaultDocument) -> None:
    """Temp file in the same directory (mkstemp makes it 0600), fsync, os.replace, fsync the
    directory. A crash at any point leaves either the old file or the new one, never a mix."""
    _private_dir(path.parent)
    payload = json.dumps(document.model_dump(mode="json"), indent=2).encode("utf-8") + b"\n"
    fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_dir(path.parent)


def remove_stale_temp_files(directory: Path) -> None:
    """Temp files a killed writer left behind. Call only while holding `locked()`."""
    for stale in directory.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Exclusive across processes (the CLI and the app may share a vault) while held."""
    _private_dir(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock
