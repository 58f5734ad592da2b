import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from partisipro.all_models import metadata

pytestmark = pytest.mark.integration


def test_migrations_match_models_on_mysql(database: str) -> None:
    engine = sa.create_engine(database.replace("+aiomysql", "+pymysql"))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == [], f"models and migrations disagree: {differences}"


def test_migrations_reach_head(database: str) -> None:
    engine = sa.create_engine(database.replace("+aiomysql", "+pymysql"))
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert version
