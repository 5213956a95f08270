"""The build cache: outputs that are a pure function of their inputs, stored by content hash.

A small content-addressed store in a folder (``cache.dir`` in ``mldossier.yaml``, by default
``.mldossier-cache/`` beside it, or in the current folder without a config file;
``--no-cache`` turns it off). Every entry is
found by a key, the SHA-256 of everything that determines it: the input bytes or their
SHA-256s, mldossier's own code, templates and schemas (:func:`code_fingerprint`), the
settings the stage reads and the versions of the tools it runs. A stale entry is therefore
never invalidated, only never asked for again; the oldest go when the folder outgrows its
cap (``cache.max_mb``, :data:`DEFAULT_MAX_BYTES`).

Each entry file is ``MAGIC, kind, payload, HMAC-SHA256`` where the HMAC covers the entry's
namespace, key, kind and payload. Its key is not in the cache folder: it is the user's own
random key (:func:`key_file`, ``~/.local/state/mldossier/cache.key``, mode 0600), or comes
from :data:`KEY_ENV` (in CI, a secret of the repository), so a copy of the folder (a CI
cache archive) carries nothing to forge an entry with. An entry that is missing, short, corrupt, forged or unreadable is a miss,
never an error. Two builds may share the folder: entries are written to a temporary file and
renamed into place, and the same key always holds the same bytes.

Most entries are plain bytes (SVG, PDF). The intake's records are stored with :mod:`pickle`
because they are graphs of frozen dataclasses whose dicts are shared on purpose (equal
facets are kept once), with tuples, datetimes with offsets and NaN floats that a JSON form
would have to re-create object by object. Unpickling runs code, so an entry is unpickled only
after its HMAC has been checked: only a process that holds the key can write an entry that
is loaded; whoever can write the folder but lacks the key can only cause misses.

The folder is used only if it is new, empty or tagged as this cache's (``CACHEDIR.TAG``), and
its ``entries`` folder is a real folder of this user's, never a link; pruning walks it
without following links and deletes only entry-shaped names
(``<namespace>/<xx>/<64 hex digits>`` and their temporary files).
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import logging
import os
import pickle
import platform
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from mldossier import DATA_PACKAGES, __version__, data_folder

DEFAULT_DIR_NAME = ".mldossier-cache"
"""The cache folder, in the current folder, when the config names none."""
DEFAULT_MAX_BYTES = 4096 * 1024 * 1024
"""Above this size the least recently used entries are deleted (``cache.max_mb``)."""
KEY_NAME = "cache.key"
"""File name of the user's HMAC key, in :func:`key_file`'s folder."""
KEY_ENV = "MLDOSSIER_CACHE_KEY"
"""An environment variable holding the HMAC key instead (at least 32 characters), e.g. in CI."""
ENTRIES_DIR = "entries"
CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# mldossier's build cache: delete it at any time.\n"
)
MAGIC = b"mldossier-cache/1\n"
KIND_BYTES = b"b"
KIND_PICKLE = b"p"
MAC_SIZE = 32
_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PREFIX = re.compile(r"[0-9a-f]{2}")
_KEY = re.compile(r"[0-9a-f]{64}")
_TMP_PREFIX = ".tmp-"
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_STALE_TMP_SECONDS = 24 * 3600
_CHUNK = 1 << 20

log = logging.getLogger(__name__)


def cache_key(*parts: str | bytes | int) -> str:
    """The SHA-256 of ``parts``, each length-prefixed and typed, so no two lists collide."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            tag, data = b"b", part
        elif isinstance(part, bool) or not isinstance(part, (str, int)):
            raise TypeError(f"cache key parts are str, bytes or int, not {type(part).__name__}")
        else:
            tag, data = (
                (b"s", part.encode("utf-8"))
                if isinstance(part, str)
                else (b"i", str(part).encode())
            )
        digest.update(tag + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


# ---------------------------------------------------------------- what keys are made of


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of mldossier's version and every file of its package and its data folders.

    Any change to the code, a schema or a template is a new fingerprint, so no entry made by
    other code is ever read, even between two commits of the same version.
    """
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    # A wheel holds the data folders inside the package; an editable install maps them from
    # the repository's top level, and only then are they hashed on their own.
    roots = [("package", package)] + [
        (name, folder)
        for name in DATA_PACKAGES
        if not (folder := data_folder(name).resolve()).is_relative_to(package)
    ]
    for label, root in roots:
        if not root.is_dir():
            continue
        for path in sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        ):
            name = f"{label}/{path.relative_to(root).as_posix()}".encode()
            data = path.read_bytes()
            digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def library_versions(*names: str) -> str:
    """Python's version and each named distribution's, e.g. ``"3.11.7 orjson=3.10.0"``."""
    found = []
    for name in names:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=missing")
    return " ".join([platform.python_version(), *found])


@lru_cache(maxsize=1)
def dot_version() -> str:
    """Which Graphviz ``dot`` lays out the diagrams: its path and ``dot -V`` ("" if none)."""
    dot = shutil.which("dot")
    if dot is None:
        return ""
    try:
        done = subprocess.run([dot, "-V"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return dot
    return f"{dot} {done.stderr.decode('utf-8', 'replace').strip()}"


@lru_cache(maxsize=1)
def fonts_fingerprint() -> str:
    """SHA-256 of the installed fonts (path, size, mtime): text is laid out with them.

    Both ``dot`` and WeasyPrint measure text with the system's fonts through fontconfig, so
    a font added, removed or updated can move every label; without ``fc-list`` this is "".
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ""
    try:
        done = subprocess.run(
            [fc_list, "--format", "%{file}\n"], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    digest = hashlib.sha256()
    for name in sorted(set(done.stdout.decode("utf-8", "replace").splitlines())):
        try:
            stat = os.stat(name)
        except OSError:
            continue
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- the store


class _MacWriter:
    """A file-like sink that feeds an HMAC with everything written through it."""

    def __init__(self, fh: BinaryIO, mac: hmac.HMAC) -> None:
        self.fh, self.mac, self.size = fh, mac, 0

    def write(self, data: bytes | memoryview) -> int:
        self.mac.update(data)
        self.size += len(data)
        return self.fh.write(data)


class Cache:
    """A content-addressed store of build outputs in one folder (or a disabled one).

    ``Cache(None)`` is the disabled cache: every lookup misses and nothing is written, so
    callers never need to test for it.
    """

    def __init__(self, folder: Path | None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()
        self.disabled_reason = "" if folder is not None else "disabled"
        self._secret: bytes | None = None
        self._written = 0

    @property
    def enabled(self) -> bool:
        """Whether entries are looked up and written."""
        return self._ready()

    def _open(self, namespace: str, key: str) -> tuple[Path, BinaryIO] | None:
        """An entry's path and open file; None when missing (a miss), unreadable or disabled."""
        if not self._ready():
            return None
        path = self._path(namespace, key)
        if not _real_folders(path):
            return None
        try:
            return path, open(path, "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            self.misses[namespace] += 1
        except OSError:
            self._discard(namespace, path)
        return None

    def get(self, namespace: str, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None (missing, corrupt, or cache disabled)."""
        opened = self._open(namespace, key)
        if opened is None:
            return None
        path, fh = opened
        with fh:
            data = fh.read()
        head, body, stored = _split(data, KIND_BYTES)
        mac = self._mac(namespace, key, KIND_BYTES)
        mac.update(body)
        if head is None or not hmac.compare_digest(stored, mac.digest()):
            self._discard(namespace, path)
            return None
        self._used(namespace, path)
        return bytes(body)

    def put(self, namespace: str, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (nothing happens when the cache is disabled)."""
        self._write(namespace, key, KIND_BYTES, lambda out: out.write(data))

    def get_object(self, namespace: str, key: str) -> Any | None:
        """The object stored under ``key``, unpickled only once its HMAC is verified."""
        opened = self._open(namespace, key)
        if opened is None:
            return None
        path, fh = opened
        with fh:
            if not self._verify_stream(fh, namespace, key, KIND_PICKLE):
                self._discard(namespace, path)
                return None
            collecting = gc.isenabled()
            gc.disable()  # millions of fresh objects: collections would only walk them again
            try:
                # The same open file that was verified, so a swapped file cannot be loaded.
                fh.seek(len(MAGIC) + 1)
                value = pickle.load(fh)  # noqa: S301 - authenticated by its HMAC above
            except Exception:  # noqa: BLE001 - an unreadable entry is a miss
                self._discard(namespace, path)
                return None
            finally:
                gc.freeze()  # what was loaded lives to the end of the run
                if collecting:
                    gc.enable()
        self._used(namespace, path)
        return value

    def put_object(self, namespace: str, key: str, value: Any) -> None:
        """Pickle ``value`` under ``key`` (authenticated by the folder's secret)."""

        def dump(out: _MacWriter) -> None:
            collecting = gc.isenabled()
            gc.disable()
            try:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                if collecting:
                    gc.enable()

        self._write(namespace, key, KIND_PICKLE, dump)

    def prune(self) -> int:
        """Delete the least recently used entries until the folder fits its cap; bytes freed.

        Also removes temporary files a killed build left behind (older than a day). Only
        entry-shaped files are ever deleted, found without following a link.
        """
        if not self._ready():
            return 0
        now = time.time()
        freed = 0
        with self._entries_fd() as top:
            if top is None:
                return 0
            entries: list[tuple[float, int, tuple[str, str, str]]] = []
            for parts, info in _entry_files(top):
                if parts[2].startswith(_TMP_PREFIX):
                    if now - info.st_mtime > _STALE_TMP_SECONDS:
                        _unlink_at(top, parts)
                    continue
                entries.append((info.st_mtime, info.st_size, parts))
            total = sum(size for _, size, _ in entries)
            for _, size, parts in sorted(entries):
                if total - freed <= self.max_bytes:
                    break
                if _unlink_at(top, parts):
                    freed += size
        self._written = 0
        return freed

    def size(self) -> int:
        """Bytes held by the entries."""
        if self.folder is None:
            return 0
        with self._entries_fd() as top:
            if top is None:
                return 0
            return sum(info.st_size for _, info in _entry_files(top))

    @contextmanager
    def _entries_fd(self) -> Iterator[int | None]:
        """The entries folder, opened without following a link (None when it is not there)."""
        assert self.folder is not None
        if not hasattr(os, "fwalk"):  # pragma: no cover - Windows: no pruning
            yield None
            return
        try:
            fd = os.open(self.folder / ENTRIES_DIR, _DIR_FLAGS)
        except OSError:
            yield None
            return
        try:
            yield fd
        finally:
            os.close(fd)

    def finish(self) -> None:
        """At the end of a run: keep the folder within its cap.

        Always, not only when this process wrote: forked PDF workers write entries too, and
        a walk of the folder costs milliseconds.
        """
        self.prune()

    # ------------------------------------------------------------ internals

    def _ready(self) -> bool:
        if self._secret is not None:
            return True
        if self.folder is None or self.disabled_reason:
            return False
        try:
            self._secret = self._load_secret()
        except OSError as exc:
            self._disable(f"cannot use the cache folder {self.folder}: {exc.strerror or exc}")
        return self._secret is not None

    def _disable(self, reason: str) -> None:
        self.disabled_reason = reason
        log.warning("%s (building without the cache)", reason)

    def _load_secret(self) -> bytes | None:
        assert self.folder is not None
        folder = self.folder
        created = _made(folder)
        tag = folder / "CACHEDIR.TAG"
        # Another build may have made the folder a moment ago and be writing its tag (the
        # first thing written): a folder is someone else's only if it holds other files too.
        if not created and not _is_our_tag(tag):
            if any(n not in (".gitignore", "CACHEDIR.TAG") for n in os.listdir(folder)):
                self._disable(
                    f"the cache folder {folder} is not mldossier's (it holds other files and "
                    "no CACHEDIR.TAG of mldossier's cache); name a folder of its own in "
                    "cache.dir"
                )
                return None
        _write_once(tag, CACHEDIR_TAG)
        _write_once(folder / ".gitignore", b"# mldossier's build cache\n*\n")
        entries = folder / ENTRIES_DIR
        with suppress(FileExistsError):
            entries.mkdir(mode=0o700)
        info = entries.lstat()
        if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            kind = "a link" if stat.S_ISLNK(info.st_mode) else "not a folder of yours"
            self._disable(
                f"the cache folder's {entries} is {kind} (the cache never follows one); "
                "delete the cache folder"
            )
            return None
        return self._key()

    def _key(self) -> bytes | None:
        """The HMAC key: from MLDOSSIER_CACHE_KEY, else the user's own key file."""
        given = os.environ.get(KEY_ENV)
        if given:
            if len(given) < 32:
                self._disable(
                    f"{KEY_ENV} is shorter than 32 characters (set it to a random secret, "
                    "e.g. the output of: openssl rand -hex 32)"
                )
                return None
            return hashlib.sha256(b"mldossier-cache-key/1\0" + given.encode()).digest()
        path = key_file()
        if path is None:
            self._disable(
                f"there is no home folder to keep the cache key in (set {KEY_ENV} to a "
                "random secret, or XDG_STATE_HOME to a folder of yours)"
            )
            return None
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)  # mode 0600
            try:
                os.write(fd, secrets.token_bytes(32))
                os.close(fd)
                try:
                    os.link(tmp, path)  # atomic, and fails if another build made one first
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            info = os.fstat(fd)
            secret = os.read(fd, 64)
        finally:
            os.close(fd)
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
            self._disable(
                f"the cache key {path} is not yours alone (owner or mode 0600); delete it"
            )
            return None
        if len(secret) != 32:
            self._disable(f"the cache key {path} is damaged; delete it")
            return None
        return secret

    def _path(self, namespace: str, key: str) -> Path:
        if not _NAMESPACE.match(namespace) or not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"bad cache namespace or key: {namespace!r} {key!r}")
        assert self.folder is not None
        return self.folder / ENTRIES_DIR / namespace / key[:2] / key

    def _mac(self, namespace: str, key: str, kind: bytes) -> hmac.HMAC:
        assert self._secret is not None
        return hmac.new(self._secret, f"{namespace}\0{key}\0".encode() + kind, hashlib.sha256)

    def _verify_stream(self, fh: BinaryIO, namespace: str, key: str, kind: bytes) -> bool:
        """Whether an open entry's frame and HMAC check out, read in chunks."""
        mac = self._mac(namespace, key, kind)
        try:
            size = os.fstat(fh.fileno()).st_size
            header = fh.read(len(MAGIC) + 1)
            body = size - len(header) - MAC_SIZE
            if header != MAGIC + kind or body < 0:
                return False
            while body > 0:
                chunk = fh.read(min(_CHUNK, body))
                if not chunk:
                    return False
                mac.update(chunk)
                body -= len(chunk)
            return hmac.compare_digest(fh.read(MAC_SIZE), mac.digest())
        except OSError:
            return False

    def _used(self, namespace: str, path: Path) -> None:
        """A hit: counted, and marked recently used so that it is evicted last."""
        self.hits[namespace] += 1
        try:
            os.utime(path)
        except OSError:
            pass

    def _write(
        self, namespace: str, key: str, kind: bytes, fill: Callable[[_MacWriter], object]
    ) -> None:
        if not self._ready():
            return
        path = self._path(namespace, key)
        tmp: str | None = None
        size = 0
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _real_folders(path):
                return
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)  # mode 0600
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + kind)
                out = _MacWriter(fh, self._mac(namespace, key, kind))
                fill(out)
                fh.write(out.mac.digest())
                size = out.size
            if size <= self.max_bytes:  # larger than the whole cache may be: not kept
                os.replace(tmp, path)
                tmp = None
        except Exception as exc:  # noqa: BLE001 - an unwritable cache costs time, not the build
            log.warning("could not write to the cache folder %s: %s", self.folder, exc)
            return
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        if size > self.max_bytes:
            return
        self.writes[namespace] += 1
        self._written += size
        if self._written > self.max_bytes // 4:
            self.prune()

    def _discard(self, namespace: str, path: Path) -> None:
        """A damaged entry: counted as a miss and removed, so it is written afresh."""
        self.misses[namespace] += 1
        try:
            path.unlink()
        except OSError:
            pass


def _split(data: bytes, kind: bytes) -> tuple[bytes | None, memoryview, bytes]:
    """An entry file's header (None when it is not one of this kind), payload and HMAC."""
    view = memoryview(data)
    head = len(MAGIC) + 1
    if len(data) < head + MAC_SIZE or data[:head] != MAGIC + kind:
        return None, view[:0], b""
    return data[:head], view[head : len(data) - MAC_SIZE], data[len(data) - MAC_SIZE :]


def _write_once(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data`` unless it exists (another build may be doing the same)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def _made(folder: Path) -> bool:
    """Create ``folder`` (private); whether this call made it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if not folder.is_dir():
            raise
        return False
    return True


def _is_our_tag(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(CACHEDIR_TAG)) == CACHEDIR_TAG
    except OSError:
        return False


def _real_folders(path: Path) -> bool:
    """Whether an entry's namespace and prefix folders are folders, not links (or absent)."""
    for folder in (path.parent.parent, path.parent):
        try:
            if not stat.S_ISDIR(folder.lstat().st_mode):
                return False
        except FileNotFoundError:
            return True
        except OSError:
            return False
    return True


def _entry_files(top: int) -> Iterator[tuple[tuple[str, str, str], os.stat_result]]:
    """The entry-shaped regular files below the open entries folder, links not followed.

    ``<namespace>/<two hex digits>/<the 64-digit key starting with them>``, or a temporary
    file of such an entry being written; nothing else, at no other depth.
    """
    for dirpath, dirnames, filenames, dirfd in os.fwalk(".", dir_fd=top):
        parts = Path(dirpath).parts  # "./svg/ab" -> ("svg", "ab")
        if len(parts) >= 2:
            dirnames[:] = []
        if len(parts) < 2:
            dirnames[:] = [
                d for d in dirnames if (_NAMESPACE if not parts else _PREFIX).fullmatch(d)
            ]
            continue
        namespace, prefix = parts
        if not _NAMESPACE.fullmatch(namespace) or not _PREFIX.fullmatch(prefix):
            continue
        for name in filenames:
            if not (name.startswith(_TMP_PREFIX) or (_KEY.fullmatch(name) and name[:2] == prefix)):
                continue
            try:
                info = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                yield (namespace, prefix, name), info


def _unlink_at(top: int, parts: tuple[str, str, str]) -> bool:
    """Delete one entry file below the open entries folder, through no link; whether it went."""
    opened: list[int] = []
    try:
        at = top
        for folder in parts[:2]:
            at = os.open(folder, _DIR_FLAGS, dir_fd=at)
            opened.append(at)
        info = os.stat(parts[2], dir_fd=at, follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            return False
        os.unlink(parts[2], dir_fd=at)
        return True
    except OSError:
        return False
    finally:
        for fd in opened:
            os.close(fd)


def key_file() -> Path | None:
    """Where the user's cache key lives: ``$XDG_STATE_HOME/mldossier/cache.key``.

    ``~/.local/state/mldossier/cache.key`` when XDG_STATE_HOME is unset or relative (as the
    XDG Base Directory specification says); None when there is no home folder either.
    Outside every cache folder, so that a copy of a cache (a CI cache archive) carries no
    key to forge entries with.
    """
    state = os.environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(state):
        return Path(state) / "mldossier" / KEY_NAME
    home = os.path.expanduser("~")
    if not os.path.isabs(home):
        return None
    return Path(home) / ".local" / "state" / "mldossier" / KEY_NAME


def open_cache(folder: Path | None, max_bytes: int = DEFAULT_MAX_BYTES) -> Cache:
    """The cache in ``folder`` (``./.mldossier-cache`` when None)."""
    return Cache(folder if folder is not None else Path(DEFAULT_DIR_NAME), max_bytes)


def hash_parts(parts: Iterable[tuple[str, str]]) -> str:
    """One SHA-256 over ``(name, sha256)`` pairs, e.g. the files a stage read."""
    return cache_key(*(f"{name}\0{digest}" for name, digest in parts))


__all__ = [
    "Cache",
    "DEFAULT_DIR_NAME",
    "DEFAULT_MAX_BYTES",
    "cache_key",
    "code_fingerprint",
    "dot_version",
    "fonts_fingerprint",
    "hash_parts",
    "key_file",
    "library_versions",
    "open_cache",
]
