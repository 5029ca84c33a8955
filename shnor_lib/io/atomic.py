"""Publishing a whole output folder at once: build it in a hidden sibling, then swap.

Every run (validate, compute, report, region, site, forms) writes its folder —
``outputs/<m>/<year>/``, ``data/processed/<m>/<year>/``, ``outputs/site`` — through
:func:`staged_dir`. The new content is written into ``.shnor-stage-<name>-<pid>-…`` next to
the target (same filesystem, so the final rename is atomic) and swapped into place with
one rename at the end. Until that rename succeeds the previous folder is untouched, so a
run that is killed (SIGKILL, power loss), interrupted (Ctrl-C, SIGTERM) or fails (a
notebook error, a full disk) leaves the previous outputs byte-identical.

Files of the previous folder that this run does not produce (e.g. report.html when only
``shnor compute`` runs) are carried into the new folder as hard links just before the swap.

Stagings are re-entrant per target: ``shnor report`` opens the year folder once, and the
compute and notebook steps inside it write into the same staging folder, so the tables
and the report they were built from appear together or not at all. The notebook kernel
(another process) finds the staging folder through :data:`ENV_VAR`.

Leftovers of a killed run (stagings, a previous folder parked during a swap) are removed —
or put back — by the next run that stages a folder in the same place. Their names start
with a dot, so ``shnor site`` and the globs of readers never take them for outputs.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

STAGE_PREFIX = ".shnor-stage-"
OLD_PREFIX = ".shnor-old-"
# Names of temporary folders written by earlier versions (cleaned like ours).
LEGACY_PREFIXES = (".tmp-", ".report-", ".old-", ".tmp-tables-")
ENV_VAR = "SHNOR_STAGED_DIRS"

_active: dict[Path, Path] = {}  # resolved target → its staging folder (this process)
_LEFTOVER = re.compile(r"^\.shnor-(stage|old)-(?P<name>.+)-(?P<pid>\d+)-[a-z0-9_]+$")


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path))


def active() -> dict[str, str]:
    """The stagings open in this process, as given to a notebook kernel (``ENV_VAR``)."""
    return {str(t): str(s) for t, s in _active.items()}


def current(target: Path, member: str) -> Path:
    """Where to read ``target``'s ``member`` right now: the staging folder when the running
    command has already written it there (in this process or, through ``ENV_VAR``, in the
    process that started this notebook kernel), else the published ``target``. Readers of
    a run's own outputs (the report notebook reading the tables) call it.
    """
    key = _key(target)
    staged = _active.get(key)
    if staged is None:
        try:
            inherited = json.loads(os.environ.get(ENV_VAR, "") or "{}")
        except ValueError:
            inherited = {}
        found = inherited.get(str(key)) if isinstance(inherited, dict) else None
        staged = Path(found) if isinstance(found, str) else None
    if staged is not None and (staged / member).exists():
        return staged
    return Path(target)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(path: Path, hours: float = 6.0) -> bool:
    """An earlier version's temporary folder carries no pid: only an old one is surely dead."""
    import time

    try:
        return time.time() - path.stat().st_mtime > hours * 3600
    except OSError:
        return False


def clean_leftovers(target: Path) -> None:
    """Remove what killed runs left next to ``target``; put a parked previous folder back
    when the run died between its two renames (``target`` missing)."""
    parent = Path(target).parent
    if not parent.is_dir():
        return
    name = Path(target).name
    for entry in sorted(parent.iterdir()):
        m = _LEFTOVER.match(entry.name)
        if m:
            if m.group("name") != name or _pid_alive(int(m.group("pid"))):
                continue
            if m.group(1) == "old" and not Path(target).exists():
                with contextlib.suppress(OSError):
                    os.replace(entry, target)
                    continue
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(LEGACY_PREFIXES) and entry.is_dir() and _stale(entry):
            shutil.rmtree(entry, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mkstage(target: Path, prefix: str) -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix=f"{prefix}{target.name}-{os.getpid()}-", dir=target.parent))


def _link_or_copy(src: Path, dst: Path) -> None:
    """Carry a previous file into the new folder: a hard link (instant, no extra space),
    a copy where the filesystem has none."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _carry_over(previous: Path, staged: Path, drop: Iterable[str]) -> None:
    """Entries of ``previous`` that this run did not write (and did not ask to drop)."""
    dropped = set(drop)
    for entry in sorted(previous.iterdir()):
        if entry.name in dropped or (staged / entry.name).exists():
            continue
        if entry.name.startswith("."):  # temporary folders of runs are never published
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, staged / entry.name, copy_function=_link_or_copy)
        elif entry.is_symlink():
            os.symlink(os.readlink(entry), staged / entry.name)
        else:
            _link_or_copy(entry, staged / entry.name)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic rename (Linux renameat2 RENAME_EXCHANGE); False where
    the system or filesystem does not offer it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_into_place(staged: Path, target: Path) -> None:
    """Replace ``target`` (a folder, or nothing) by ``staged`` with one rename. The previous
    folder is removed only after the new one is in place; if the process dies between the
    two renames of the fallback, :func:`clean_leftovers` puts the parked folder back."""
    if not target.exists() and not target.is_symlink():
        os.replace(staged, target)
        return
    if target.is_dir() and not target.is_symlink() and _exchange(staged, target):
        shutil.rmtree(staged, ignore_errors=True)  # now holds the previous folder
        return
    parked = Path(str(staged).replace(STAGE_PREFIX, OLD_PREFIX, 1))
    os.replace(target, parked)
    try:
        os.replace(staged, target)
    except BaseException:
        os.replace(parked, target)
        raise
    shutil.rmtree(parked, ignore_errors=True)


def _as_published(exc: OSError, staged: Path, target: Path) -> None:
    """Name the file as the user knows it (in ``target``), not its staging path."""
    for attr in ("filename", "filename2"):
        name = getattr(exc, attr, None)
        if isinstance(name, str) and name.startswith(str(staged)):
            setattr(exc, attr, str(target) + name[len(str(staged)) :])


@contextlib.contextmanager
def staged_dir(
    target: Path, *, carry_over: bool = True, drop: Iterable[str] = ()
) -> Iterator[Path]:
    """Yield the folder to write ``target``'s new content into; swap it into place when
    the block ends without an exception, discard it otherwise.

    ``carry_over``: keep the previous folder's entries this run did not write (as hard
    links); ``drop``: names never carried over (e.g. a stale ``report.failed.ipynb``).
    Nested calls for the same target share the outer staging (the outer one swaps).
    OS errors (disk full, no write permission, …) are raised as
    :class:`shnor_lib.errors.EnvironmentProblem` naming ``target``.
    """
    from shnor_lib.errors import environment_problem

    target = _key(target)
    if target in _active:  # re-entrant: the outer run publishes everything at once
        yield _active[target]
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and not target.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target))
        clean_leftovers(target)
        staged = _mkstage(target, STAGE_PREFIX)
    except OSError as exc:
        raise environment_problem(exc, target) from None
    _active[target] = staged
    try:
        try:
            yield staged
        finally:
            _active.pop(target, None)
        if carry_over and target.is_dir():
            _carry_over(target, staged, drop)
        os.chmod(staged, 0o777 & ~_umask())  # mkdtemp made it private
        swap_into_place(staged, target)
    except OSError as exc:
        shutil.rmtree(staged, ignore_errors=True)
        _as_published(exc, staged, target)
        raise environment_problem(exc, target) from None
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
