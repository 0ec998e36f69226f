"""Suite data made once and copied for every suite a test run starts: migrated, seeded, keys generated.

Starting a suite from empty runs every service's migrations and generates its keys (nine RSA-4096 FIT-Connect keys
alone take seconds). A test run does that once, into a template, and every suite after it starts from a copy:
SQLite files are copied, a PostgreSQL database is made with ``CREATE DATABASE … TEMPLATE``. Parallel workers
(pytest-xdist) share one template; the first to arrive builds it under a file lock, the others wait and copy.
"""

import contextlib
import fcntl
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from harness.postgres import admin_execute

_TEMPLATE_FILE = "template.json"


@dataclass(frozen=True)
class Storage:
    """Where one suite keeps its data: a directory of SQLite files, or a PostgreSQL database too."""

    data_dir: Path
    database_url: str | None = None


class Template:
    """The template of one test run under ``root`` (a directory every worker of the run sees)."""

    def __init__(self, root: Path, *, database_url: str | None) -> None:
        self.root = root
        self.server_url = database_url  # a PostgreSQL server URL, or None for SQLite
        self._state: dict[str, str] | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "template-data"

    def ensure(self, build: "callable[[Storage], None]") -> None:  # type: ignore[valid-type]
        """Build the template with ``build(storage)`` unless a worker of this run already has."""
        if self._state is not None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with _locked(self.root / "template.lock"):
            state_file = self.root / _TEMPLATE_FILE
            if not state_file.exists():
                storage = Storage(self.data_dir, self.new_database("bd_tmpl") if self.server_url else None)
                # On PostgreSQL a suite may write no file at all: the directory is copied all the same.
                self.data_dir.mkdir(parents=True, exist_ok=True)
                build(storage)
                state_file.write_text(json.dumps({"database_url": storage.database_url or ""}))
            self._state = json.loads(state_file.read_text())

    def copy(self, data_dir: Path) -> Storage:
        """Fresh storage for one suite, holding the template's data."""
        assert self._state is not None, "ensure() the template first"
        if data_dir.exists():
            shutil.rmtree(data_dir)
        shutil.copytree(self.data_dir, data_dir, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
        template_db = self._state["database_url"]
        if not template_db:
            return Storage(data_dir)
        return Storage(data_dir, self.new_database("bd", template=make_url(template_db).database))

    def drop_database(self, storage: Storage) -> None:
        if storage.database_url:
            name = make_url(storage.database_url).database
            admin_execute(self.server_url or "", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop(self) -> None:
        """Remove the template database (the files go with the run's temporary directory)."""
        state_file = self.root / _TEMPLATE_FILE
        if self.server_url and state_file.exists():
            url = json.loads(state_file.read_text())["database_url"]
            if url:
                self.drop_database(Storage(self.data_dir, url))

    def new_database(self, prefix: str, *, template: str | None = None) -> str:
        """A new database on the server (a copy of ``template`` if given); answers its URL."""
        assert self.server_url is not None
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        admin_execute(self.server_url, f'CREATE DATABASE "{name}"{clause}', retry_busy_template=bool(template))
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
