"""SQLModel storage: conversations, messages and the tool-call log.

Default: one SQLite file, ``$HEARTH_HOME/hearth.db``, in WAL mode with ``synchronous=FULL`` so a
committed row survives a crash or a kill. ``HEARTH_DATABASE_URL`` takes any SQLAlchemy URL.
Tool plugins define their own SQLModel tables; ``Storage.create_tables()`` creates every table
known to SQLModel's metadata, theirs included.

The core's schema is versioned (the one-row ``schema_version`` table): a database written by an
older Hearth is brought up to date on open by the steps of ``MIGRATIONS``, each in its own
transaction, so an upgrade never needs a fresh database. Version 1 is release 0.1.0's schema, the
first release; its databases have no ``schema_version`` table and are recognised by their tables.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, event, insert, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, create_engine, select

from hearth.config import database_url
from hearth.daemon import start_daemon
from hearth.errors import HearthError


def _now() -> float:
    return time.time()


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    id: str = Field(primary_key=True)
    created_at: float = Field(default_factory=_now)
    updated_at: float = Field(default_factory=_now)


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(index=True, foreign_key="conversations.id")
    turn_id: str = ""
    role: str  # system | user | assistant | tool
    content: str = ""
    tool_calls: str | None = None  # JSON list of {"id", "name", "arguments"}
    tool_call_id: str | None = None
    name: str | None = None
    created_at: float = Field(default_factory=_now)

    def to_chat(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = json.loads(self.tool_calls)
        if self.tool_call_id:
            msg["tool_call_id"] = self.tool_call_id
        if self.name:
            msg["name"] = self.name
        return msg


class ToolCallRecord(SQLModel, table=True):
    __tablename__ = "tool_calls"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(index=True)
    turn_id: str = ""
    call_id: str = ""
    name: str
    arguments: str  # JSON
    ok: bool
    result: str  # JSON
    error_code: str | None = None
    duration_ms: float = 0.0
    created_at: float = Field(default_factory=_now)


class TurnRecord(SQLModel, table=True):
    """One turn's trace: its route(s), its outcome and its stage timings (ms)."""

    __tablename__ = "turns"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(index=True)
    turn_id: str = Field(index=True)
    text: str = ""
    tier: int = 0
    routes: str = "[]"  # JSON list of routed events: tier, reason, model
    ok: bool = True
    error_code: str | None = None
    reply: str = ""
    timings: str = "{}"  # JSON
    created_at: float = Field(default_factory=_now)


class SchemaVersion(SQLModel, table=True):
    """The core schema's version: one row (``id`` 1), written by :meth:`Storage.create_tables`."""

    __tablename__ = "schema_version"
    id: int = Field(default=1, primary_key=True)
    version: int
    updated_at: float = Field(default_factory=_now)


@dataclass(frozen=True)
class Migration:
    """One step of the core schema: ``apply`` takes a database at ``version - 1`` to ``version``
    (``ALTER TABLE``, a data fix...) on the connection it is given, inside a transaction."""

    version: int
    summary: str
    apply: Callable[[Connection], None]


def _baseline(conn: Connection) -> None:
    """Release 0.1.0's tables are made by ``create_all``; nothing to change."""


# Append a step here whenever a core table changes; never edit or reorder a released one.
MIGRATIONS: list[Migration] = [
    Migration(1, "release 0.1.0: conversations, messages, tool_calls, turns", _baseline),
]
SCHEMA_VERSION = MIGRATIONS[-1].version


T = TypeVar("T")


class Storage:
    """Engine and the core's queries; every method is synchronous: from async code, ``await
    storage.call(storage.history, session)`` runs it on the storage's own threads.

    Those threads (``workers`` at most) are the storage's alone: not the event loop's default
    executor, and not the tools' threads, so neither a hung tool nor a slow model can keep a
    request from reading or writing the database."""

    def __init__(self, url: str | None = None, workers: int = 4) -> None:
        self.url = url or database_url()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hearth-storage")
        connect_args: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            connect_args = {"check_same_thread": False, "timeout": 30}
        self.engine = create_engine(self.url, connect_args=connect_args)
        if self.url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run the synchronous ``fn(*args, **kwargs)`` (a method of this storage, or any function
        that uses it) on the storage's threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    async def call_now(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on a thread of its own at once, not in the storage's queue: for finishing a
        transaction that already holds the database's write lock (a tool's ``ctx.transaction()``),
        which must never wait behind calls that are themselves waiting for that lock."""
        return await start_daemon(functools.partial(fn, *args, **kwargs), "hearth-storage-commit")

    def create_tables(self) -> None:
        """Bring the core schema up to date (:data:`MIGRATIONS`), then create every table SQLModel
        knows that is missing (plugins' tables included). HearthError ``schema_too_new`` when the
        database was written by a newer Hearth, whose tables this one might misread."""
        stored = self._stored_version()
        found = stored if stored is not None else self._unversioned()
        if found is None:  # a new database: today's tables, stamped with today's version
            SQLModel.metadata.create_all(self.engine)
            self._stamp(SCHEMA_VERSION)
            return
        if found > SCHEMA_VERSION:
            raise HearthError(
                f"the database {self.engine.url.render_as_string(hide_password=True)} has schema version {found}, "
                f"written by a newer Hearth (this one knows up to {SCHEMA_VERSION}); upgrade Hearth "
                "or set HEARTH_DATABASE_URL to another database", "schema_too_new")
        for step in MIGRATIONS:
            if step.version > found:
                with self.engine.begin() as conn:
                    step.apply(conn)
                self._stamp(step.version)
        if stored is None and found == SCHEMA_VERSION:  # a 0.1.0 database, already at version 1: stamp it
            self._stamp(SCHEMA_VERSION)
        SQLModel.metadata.create_all(self.engine)

    def schema_version(self) -> int | None:
        """The core schema's version in the database: None for an empty database, 1 for release
        0.1.0's (its tables, without a ``schema_version`` table)."""
        stored = self._stored_version()
        return stored if stored is not None else self._unversioned()

    def _unversioned(self) -> int | None:
        """1 for release 0.1.0's tables without a ``schema_version`` table; None for an empty database."""
        return 1 if inspect(self.engine).has_table(Conversation.__tablename__) else None

    def _stored_version(self) -> int | None:
        """The ``schema_version`` row's version; None when there is no table or no row."""
        if not inspect(self.engine).has_table(SchemaVersion.__tablename__):
            return None
        with Session(self.engine) as s:
            row = s.get(SchemaVersion, 1)
        return None if row is None else row.version

    def _stamp(self, version: int) -> None:
        SQLModel.metadata.create_all(self.engine, tables=[SQLModel.metadata.tables[SchemaVersion.__tablename__]])
        try:
            with self.session() as s:
                row = s.get(SchemaVersion, 1) or SchemaVersion(version=version)
                row.version, row.updated_at = version, _now()
                s.add(row)
        except IntegrityError:  # another process stamped a new database first, with the same version
            pass

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A SQLModel session that commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    # ---- conversations -------------------------------------------------------------------------

    @staticmethod
    def new_session_id() -> str:
        return uuid.uuid4().hex[:12]

    def ensure_conversation(self, conversation_id: str) -> None:
        """Create the conversation unless it exists; safe when several requests race to create it."""
        with Session(self.engine) as s:
            if s.get(Conversation, conversation_id) is not None:
                return
            s.add(Conversation(id=conversation_id))
            try:
                s.commit()
            except IntegrityError:  # another request created it between our read and our write
                s.rollback()

    def add_messages(self, conversation_id: str, turn_id: str, messages: list[dict[str, Any]],
                     *tool_outcomes: Any) -> None:
        """Append messages and, in the same transaction, the log rows of the tool calls not recorded yet;
        the conversation is made when it is new (a request that raced to make it too: tried again once)."""
        for attempt in (1, 2):
            try:
                with self.session() as s:
                    self._append(s, conversation_id, turn_id, messages, tool_outcomes)
                return
            except IntegrityError:  # another request made the conversation between our read and our write
                if attempt == 2:
                    raise

    @staticmethod
    def _append(s: Session, conversation_id: str, turn_id: str, messages: list[dict[str, Any]],
                tool_outcomes: tuple[Any, ...]) -> None:
        """The rows of :meth:`add_messages`, written as plain inserts (a turn's few rows, no objects to track)."""
        now = _now()
        found = s.execute(update(Conversation).where(Conversation.id == conversation_id)  # type: ignore[arg-type]
                          .values(updated_at=now))
        if not getattr(found, "rowcount", 0):  # a CursorResult: the rows the update changed
            s.execute(insert(Conversation).values(id=conversation_id, created_at=now, updated_at=now))
        if messages:
            s.execute(insert(Message), [{
                "conversation_id": conversation_id, "turn_id": turn_id, "role": m["role"],
                "content": m.get("content") or "",
                "tool_calls": json.dumps(m["tool_calls"]) if m.get("tool_calls") else None,
                "tool_call_id": m.get("tool_call_id"), "name": m.get("name"), "created_at": now,
            } for m in messages])
        s.add_all([_tool_call_row(conversation_id, turn_id, o) for o in tool_outcomes if not getattr(o, "recorded", False)])

    def history(self, conversation_id: str, limit: int = 200) -> list[dict[str, Any]]:
        with self.session() as s:
            rows = s.exec(
                select(Message).where(Message.conversation_id == conversation_id)
                .order_by(Message.id.desc()).limit(limit)  # type: ignore[union-attr]
            ).all()
        return [r.to_chat() for r in reversed(rows)]

    def log_tool_call(self, conversation_id: str, turn_id: str, outcome: Any) -> None:
        """Store the record of a call (unless it was committed with the call's effect already)."""
        if getattr(outcome, "recorded", False):
            return
        with self.session() as s:
            s.add(_tool_call_row(conversation_id, turn_id, outcome))

    def commit_call(self, tx: Session, conversation_id: str, turn_id: str, outcome: Any) -> None:
        """Commit a tool's transaction (``ToolContext.transaction()``) with the record of its call in
        it, and mark the outcome ``recorded``; on failure roll both back and raise."""
        try:
            tx.add(_tool_call_row(conversation_id, turn_id, outcome))
            tx.commit()
            outcome.recorded = True
        except BaseException:
            tx.rollback()
            raise
        finally:
            tx.close()

    def log_turn(self, conversation_id: str, turn_id: str, text: str, routes: list[dict[str, Any]],
                 last: dict[str, Any]) -> None:
        """Store a turn's trace from its routed events and its ``finished`` / ``failed`` event."""
        ok = last.get("type") == "finished"
        with self.session() as s:
            s.add(TurnRecord(
                conversation_id=conversation_id, turn_id=turn_id, text=text,
                tier=last.get("tier") or (routes[-1]["tier"] if routes else 0),
                routes=json.dumps([{k: r.get(k) for k in ("tier", "reason", "model")} for r in routes]),
                ok=ok, error_code=None if ok else last.get("code"),
                reply=last.get("text", "") if ok else last.get("message", ""),
                timings=json.dumps(last.get("timings") or {}),
            ))

    def turns(self, conversation_id: str | None = None) -> list[TurnRecord]:
        with self.session() as s:
            q = select(TurnRecord)
            if conversation_id:
                q = q.where(TurnRecord.conversation_id == conversation_id)
            return list(s.exec(q.order_by(TurnRecord.id)).all())  # type: ignore[arg-type]

    def tool_calls(self, conversation_id: str | None = None) -> list[ToolCallRecord]:
        with self.session() as s:
            q = select(ToolCallRecord)
            if conversation_id:
                q = q.where(ToolCallRecord.conversation_id == conversation_id)
            return list(s.exec(q.order_by(ToolCallRecord.id)).all())  # type: ignore[arg-type]


def _tool_call_row(conversation_id: str, turn_id: str, outcome: Any) -> ToolCallRecord:
    return ToolCallRecord(
        conversation_id=conversation_id, turn_id=turn_id, call_id=outcome.call_id,
        name=outcome.name, arguments=json.dumps(outcome.arguments, default=str), ok=outcome.ok,
        result=json.dumps(outcome.result, default=str), error_code=outcome.error_code,
        duration_ms=outcome.duration_ms,
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
