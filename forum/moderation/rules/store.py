"""The active rule set, reloaded when its files change; a bad edit never replaces it."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from .loader import RuleSet, RuleSetError, load_ruleset, rule_files

log = logging.getLogger("forum.moderation")


def _signature(directory: Path) -> tuple:
    out = []
    for path in rule_files(directory):
        try:
            stat = path.stat()
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


class RuleStore:
    """Holds the last good rule set and checks for changed files at most every interval."""

    def __init__(self, directory: str | Path, reload_interval: float = 2.0) -> None:
        self.directory = Path(directory)
        self.reload_interval = float(reload_interval)
        self._lock = threading.Lock()
        self._signature = _signature(self.directory)
        self._ruleset = load_ruleset(self.directory)  # the first load must succeed
        self._rejected: tuple | None = None
        self._next_check = time.monotonic() + self.reload_interval
        self.last_error: RuleSetError | None = None
        log.info("moderation rules loaded: %d rules, version %s",
                 self._ruleset.count, self._ruleset.version)

    def current(self) -> RuleSet:
        """The active rule set, after a cheap periodic check for edits."""
        if self.reload_interval > 0 and time.monotonic() >= self._next_check:
            self.reload()
        return self._ruleset

    def reload(self, force: bool = False) -> bool:
        """Reload if the files changed (or when forced); True when a new rule set is active."""
        if not self._lock.acquire(blocking=False):
            return False  # another thread is already checking
        try:
            self._next_check = time.monotonic() + self.reload_interval
            signature = _signature(self.directory)
            if not force and signature in (self._signature, self._rejected):
                return False
            try:
                ruleset = load_ruleset(self.directory)
            except RuleSetError as exc:
                self._rejected = signature
                self.last_error = exc
                for error in exc.errors:
                    log.error("moderation rules rejected, keeping version %s: %s",
                              self._ruleset.version, error)
                return False
            self._signature, self._rejected, self.last_error = signature, None, None
            changed = ruleset.version != self._ruleset.version
            self._ruleset = ruleset
            if changed:
                log.info("moderation rules reloaded: %d rules, version %s",
                         ruleset.count, ruleset.version)
            return changed
        finally:
            self._lock.release()
