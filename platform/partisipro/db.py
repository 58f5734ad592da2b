"""Database: declarative base, column types and the one helper that opens services.

Every table uses the shared ``Base`` (UUID primary key, ``created_at``/``updated_at`` as
``DATETIME(6)`` on MySQL). Amounts are ``Amount`` (``DECIMAL(65,0)`` in the database,
``int`` in Python). Services outside a request (jobs, CLI, indexer) come from
``provide_services``; inside a request Litestar injects ``db_session``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, TypeVar

from advanced_alchemy.base import CommonTableAttributes, UUIDPrimaryKey, orm_registry
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from partisipro.settings import Settings, get_settings

__all__ = [
    "Amount",
    "Base",
    "UTCDateTime",
    "db_config",
    "provide_services",
    "session_maker",
    "utcnow",
]


def _fix_aiomysql_binary_escaping() -> None:
    """aiomysql 0.3.2 escapes bytes with ``pymysql.converters.escape_bytes_prefixed``, which
    PyMySQL 1.1.1+ turned into a string, so every BINARY(16) UUID parameter fails on MySQL
    (aio-libs/aiomysql#1080). Give aiomysql PyMySQL's own ``escape_bytes`` (``_binary X'..'``).
    Pinning PyMySQL 1.1.0 instead would bring back CVE-2024-36039. Remove with aiomysql's fix."""
    import aiomysql.connection as aiomysql_connection
    from pymysql.converters import escape_bytes

    if not callable(getattr(aiomysql_connection, "escape_bytes_prefixed", None)):
        aiomysql_connection.escape_bytes_prefixed = escape_bytes  # type: ignore[attr-defined]


_fix_aiomysql_binary_escaping()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetime, microsecond precision everywhere (DATETIME(6) on MySQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in {"mysql", "mariadb"}:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise TypeError("UTCDateTime needs an aware datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name in {"mysql", "mariadb", "sqlite"} else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Amount(TypeDecorator[int]):
    """An integer amount of base units: DECIMAL(65,0) in the database, int in Python."""

    impl = Numeric(65, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # SQLite's NUMERIC keeps only 64-bit integers exactly; the dev profile stores digits as text.
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(80))
        return dialect.type_descriptor(Numeric(65, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Decimal | str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("amounts are integers of base units")
        return str(value) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class Base(CommonTableAttributes, UUIDPrimaryKey, DeclarativeBase):
    """Base of every table: UUID id, created/updated timestamps with microseconds."""

    __abstract__ = True
    registry = orm_registry

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


metadata = orm_registry.metadata


_configs: dict[str, SQLAlchemyAsyncConfig] = {}


def db_config(settings: Settings | None = None) -> SQLAlchemyAsyncConfig:
    """The SQLAlchemy config for these settings (one engine per URL per process)."""
    settings = settings or get_settings()
    url = settings.database_url
    if url in _configs:
        return _configs[url]
    if url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        engine = EngineConfig(echo=settings.database_echo)
    else:
        engine = EngineConfig(
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_pool_size * 2,
            pool_pre_ping=True,
            pool_recycle=1800,
        )
    config = SQLAlchemyAsyncConfig(
        connection_string=url,
        engine_config=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit",
        metadata=metadata,
        set_default_exception_handler=False,
    )
    _configs[url] = config
    return config


async def dispose_engines() -> None:
    for config in list(_configs.values()):
        await config.get_engine().dispose()
    _configs.clear()


def session_maker(settings: Settings | None = None) -> async_sessionmaker[AsyncSession]:
    return db_config(settings).create_session_maker()


S = TypeVar("S")
T = TypeVar("T")

# MySQL/MariaDB error codes after which InnoDB has rolled the transaction back and it may simply run again.
_RETRYABLE_MYSQL_ERRORS = {1205, 1213}  # lock wait timeout, deadlock


def is_retryable_conflict(exc: BaseException) -> bool:
    """True for a deadlock or lock-wait timeout: the whole transaction was undone; retry it."""
    orig = getattr(exc, "orig", None)
    args = getattr(orig, "args", ())
    return bool(args) and args[0] in _RETRYABLE_MYSQL_ERRORS


async def retry_on_conflict(session: AsyncSession, attempt: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """Run ``attempt()`` in ``session``'s transaction; after a deadlock or lock-wait timeout (InnoDB
    has undone the whole transaction) roll back and run it again, at most ``attempts`` times. For
    handlers whose concurrent requests touch the same rows (one investor's parallel intents)."""
    for n in range(attempts):
        try:
            return await attempt()
        except DBAPIError as exc:
            if not is_retryable_conflict(exc) or n == attempts - 1:
                raise
            await session.rollback()
    raise AssertionError("unreachable")  # pragma: no cover


@asynccontextmanager
async def provide_services(*service_types: type[S], commit: bool = True) -> AsyncIterator[Any]:
    """Open one session and yield the services asked for (a single one, or a tuple).

    Used by jobs, the CLI, the indexer and tests: the same services handlers use.
    The session commits when the block ends without an error and rolls back otherwise.
    """
    async with session_maker()() as session:
        services = tuple(service_type(session=session) for service_type in service_types)  # type: ignore[call-arg]
        try:
            yield services[0] if len(services) == 1 else (services or session)
            if commit:
                await session.commit()
        except BaseException:
            await session.rollback()
            raise


@asynccontextmanager
async def open_session(commit: bool = True) -> AsyncIterator[AsyncSession]:
    """A bare session for code that needs no service class."""
    async with session_maker()() as session:
        try:
            yield session
            if commit:
                await session.commit()
        except BaseException:
            await session.rollback()
            raise
