"""A test plugin whose tools store their effect through ``ctx.transaction()``: the effect and the record
of the call are committed together, or not at all."""

import time

from sqlmodel import Field, SQLModel, select

from hearth import ToolContext, ToolError, hookimpl


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "test_ledger"
    __table_args__ = {"extend_existing": True}  # the plugin is imported again by each test's agent
    id: int | None = Field(default=None, primary_key=True)
    entry: str


def record(entry: str, ctx: ToolContext) -> dict:
    """Write an entry in the ledger.

    Args:
        entry: What to write.
    """
    s = ctx.transaction()
    s.add(LedgerEntry(entry=entry))
    s.flush()  # the tool sees its own change before Hearth commits it
    return {"entries": len(s.exec(select(LedgerEntry)).all())}


def record_then_fail(entry: str, ctx: ToolContext) -> str:
    """Write an entry, then fail.

    Args:
        entry: What to write.
    """
    ctx.transaction().add(LedgerEntry(entry=entry))
    raise ToolError("the ledger is full", "ledger_full")


def record_then_hang(entry: str, ctx: ToolContext) -> str:
    """Write an entry, then never answer.

    Args:
        entry: What to write.
    """
    ctx.transaction().add(LedgerEntry(entry=entry))
    time.sleep(5)
    return "late"


@hookimpl
def register_tools(register):
    register(record)
    register(record_then_fail)
    register(record_then_hang, timeout=0.3)
