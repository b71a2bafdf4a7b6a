"""``flask`` commands: migrate, import the shipped data, seed the demo, run the queue worker,
serve the local demo behind a short banner."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.orm import Session

from callmp import accounts, demo
from callmp.calls.service import CallService
from callmp.db import analyze, utcnow
from callmp.directory import (
    freshness,
    house_fetch,
    house_files,
    photo_folder,
    refresh,
    refresh_apply,
)
from callmp.directory.house_sources import SourceError
from callmp.models import Role
from callmp.stats import consistency
from callmp.views.context import services
from callmp.views.photos import photo_store


def _session() -> Session:
    """A session for a CLI command."""
    session: Session = services().sessions()
    return session


@contextmanager
def errors_only() -> Iterator[None]:
    """Inside the block, log only errors, Python's warnings included (they go through the
    ``py.warnings`` logger then): the progress lines of Alembic and of the data import stay
    out of a first start's output, a failure still shows."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.setLevel(level)


def _migrate() -> str:
    """Create or upgrade the schema; what was done."""
    # Imported here: Alembic logs its plugins as it loads, so ``setup --quiet`` loads it
    # once its logging is quiet, and the other commands never load it.
    from callmp import migrate

    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
    migrate.upgrade(services().engine)
    return "database is up to date"


def _import_data(*, force: bool = False) -> str:
    """Import the shipped data (unless a newer refresh supersedes it); what was done."""
    with _session() as session:
        data_dir = Path(current_app.config["DATA_DIR"])
        done = freshness.import_shipped(session, data_dir, force=force)
        session.commit()
        analyze(session)
    return done.summary()


def _seed_demo() -> str:
    """Create or refresh the demo campaign; where it is."""
    with _session() as session:
        campaign = demo.seed(session)
        session.commit()
        return f"demo campaign: /c/{campaign.slug}"


def _refused(reasons: list[str]) -> str:
    """The refusal of a refresh, for stderr: the first reasons (the diff lists them all)."""
    shown = "; ".join(reasons[:3])
    more = f" (and {len(reasons) - 3} more, listed above)" if len(reasons) > 3 else ""
    return f"refused: {shown}{more}; nothing applied"


def _download_house_files(*, photos: bool) -> Path:
    """Download the House's files into a temporary folder, removed when the command ends."""
    settings = house_fetch.FetchSettings.from_config(current_app.config)
    settings = dataclasses.replace(settings, photos=photos)
    folder = Path(tempfile.mkdtemp(prefix="callmp-house-"))
    click.get_current_context().call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    click.echo(f"downloading from {settings.base_url} (one page every {settings.delay_s:g} s)")
    try:
        report = house_fetch.fetch_all(folder, settings)
    except SourceError as error:
        raise click.ClickException(f"refused: {error}; nothing applied") from None
    photos_line = f" and {len(report.photos)} photos" if photos else ""
    click.echo(f"downloaded {len(report.files)} files{photos_line}")
    for failure in report.photo_failures:
        click.echo(f"no photo: {failure}")
    return folder


def banner(
    base_url: str,
    *,
    login: str = "",
    password_file: Path | None = None,
    local_calls: bool = True,
    outbox: bool = True,
) -> str:
    """What ``flask serve`` prints once it listens: where to go, how to log in, how to stop."""
    lines = [
        "",
        f"CallMP is running on {base_url}",
        f"  Campaign page:  {base_url}/c/{demo.DEMO_SLUG}",
        f"  Staff login:    {base_url}/login",
    ]
    if login:
        lines.append(f"    email:        {login}")
    if password_file is not None:
        password = password_file.read_text(encoding="utf-8").strip()
        lines.append(f"    password:     {password}  (kept in {password_file})")
    if outbox:
        lines.append(f"  Letters go to the outbox, not to MPs: {base_url}/dev/outbox")
    if local_calls:
        lines.append("  Calls are simulated: no phone rings.")
    lines += ["Press Ctrl+C to stop.", ""]
    return "\n".join(lines)


def register(app: Flask) -> None:
    """Add the commands to ``app.cli``."""

    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Create or upgrade the database schema."""
        click.echo(_migrate())

    @app.cli.command("import-data")
    @click.option(
        "--force",
        is_flag=True,
        help="Import the shipped files even though a refresh applied since is newer.",
    )
    def import_data_command(force: bool) -> None:
        """Import ridings, MPs and offices from the data folder (safe to repeat)."""
        click.echo(_import_data(force=force))

    @app.cli.group("data")
    def data_group() -> None:
        """Compare the data with the House of Commons' publications."""

    @data_group.command("refresh")
    @click.option(
        "--from",
        "folder",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="A folder of saved House of Commons files (members XML, addresses page, "
        "profile pages), recognised by content. Without it, they are downloaded from "
        "CALLMP_HOUSE_BASE_URL.",
    )
    @click.option("--apply", "apply_", is_flag=True, help="Write the diff (one transaction).")
    @click.option(
        "--allow-older",
        is_flag=True,
        help="Accept files older than the data loaded (they may undo later changes).",
    )
    @click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="The date of the files whose name gives none (YYYY-MM-DD).",
    )
    def data_refresh_command(
        folder: Path | None, apply_: bool, allow_older: bool, as_of: datetime | None
    ) -> None:
        """Show how the House of Commons' files differ from the data; write it with --apply."""
        downloaded = folder is None
        if folder is None:
            folder = _download_house_files(photos=apply_)
        try:
            # Downloaded files are dated by the download (their names carry no date).
            day = as_of.date() if as_of else (utcnow().date() if downloaded else None)
            sources = house_files.read_sources(folder, as_of=day)
        except SourceError as error:
            raise click.ClickException(f"refused: {error}; nothing applied") from None
        with _session() as session:
            if not apply_:
                diff = refresh.compute_diff(session, sources, allow_older=allow_older)
                click.echo(refresh.format_diff(diff))
                if diff.refusals:
                    raise click.ClickException(_refused(diff.refusals))
                click.echo("nothing applied (add --apply to write it)")
                return
            try:
                report = refresh_apply.apply_diff(
                    session, sources, now=utcnow(), allow_older=allow_older
                )
            except refresh_apply.RefreshRefused as refused:
                session.rollback()
                click.echo(refresh.format_diff(refused.diff))
                raise click.ClickException(_refused(refused.diff.refusals)) from None
            session.commit()
            click.echo(refresh.format_diff(report.diff))
            photos = folder / house_fetch.PHOTOS_FOLDER
            if photos.is_dir():
                # After the commit: new members must exist to own a photo, and a
                # refused photo must not undo the data.
                loaded = photo_folder.load_photo_folder(session, photo_store(), photos)
                session.commit()
                for name, reason in loaded.refused:
                    click.echo(f"photo refused: {name}: {reason}")
                click.echo(loaded.summary())
            click.echo(
                f"applied: {refresh.counts_line(report.diff)}; data as of "
                f"{report.release.as_of.isoformat()} (release #{report.release.id})"
            )

    @data_group.command("photos")
    @click.option(
        "--from",
        "folder",
        required=True,
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="A folder of MP photos named as in the data's photo_url (AlbasDan_CPC.jpg) "
        "or by House person id (72029.jpg).",
    )
    def data_photos_command(folder: Path) -> None:
        """Store MPs' photos from a folder in PHOTO_DIR, served by the app itself."""
        with _session() as session:
            loaded = photo_folder.load_photo_folder(session, photo_store(), folder)
            session.commit()
        for name, reason in loaded.refused:
            click.echo(f"refused: {name}: {reason}")
        for name in loaded.unmatched:
            click.echo(f"skipped (matches no member): {name}")
        if loaded.refused:
            raise click.ClickException(loaded.summary())
        click.echo(loaded.summary())

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create or refresh the demo campaign (needs the imported data)."""
        click.echo(_seed_demo())

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, help="Worker threads.")
    @click.option(
        "--quiet", is_flag=True, help="No start line, and Huey's own log only from warnings."
    )
    def worker_command(workers: int, quiet: bool) -> None:
        """Run the background queue: places calls (throttled) and sweeps stuck requests."""
        service: CallService = services().calls
        if service.huey.immediate:
            raise click.UsageError("CALLMP_QUEUE=immediate runs tasks inline: no worker needed")
        if quiet:
            # Huey logs its start and every periodic sweep (each minute); our own lines
            # (a local call's steps, a letter written to the outbox) still show.
            logging.getLogger("huey").setLevel(logging.WARNING)
        consumer = service.huey.create_consumer(workers=workers, worker_type="thread")
        if not quiet:
            click.echo(
                f"queue worker: {workers} threads, {'local' if service.local else 'Twilio'} calls"
            )
        consumer.run()

    @app.cli.command("sweep-calls")
    def sweep_calls_command() -> None:
        """Queue again the call requests a crashed worker left behind (the worker does this too)."""
        service: CallService = services().calls
        ids = service.sweep()
        for call_id in ids:
            service.enqueue(call_id)
        click.echo(f"re-queued {len(ids)} call requests")

    @app.cli.command("check")
    def check_command() -> None:
        """Verify this configuration end to end: settings, database, data, Redis, SMTP,
        Twilio, public URL; one line each, a non-zero exit on any failure."""
        found = services()
        # Alembic logs its plugins and its migration context at INFO: keep the report to
        # one line per check (a failure is still reported by its check).
        with errors_only():
            from callmp.ops import deploy_checks

            results = deploy_checks.run_checks(
                current_app.config,
                engine=found.engine,
                sessions=found.sessions,
                telephony=found.calls.telephony,
                sender=found.mail.sender,
            )
        for result in results:
            click.echo(result.line())
        failed = [result.name for result in results if not result.ok]
        if failed:
            raise click.ClickException(f"{len(failed)} checks failed: {', '.join(failed)}")
        click.echo(f"all {len(results)} checks passed")

    @app.cli.command("check-counts")
    @click.option("--repair", is_flag=True, help="Recount every running total from the events.")
    def check_counts_command(repair: bool) -> None:
        """Compare the running totals with the contact events (and repair them with --repair)."""
        with _session() as session:
            if repair:
                consistency.rebuild(session)
                session.commit()
                click.echo("running totals recounted from the events")
            mismatches = consistency.check(session)
        for mismatch in mismatches[:20]:
            click.echo(
                f"{mismatch.table} {mismatch.key}: stored {mismatch.stored}, "
                f"events {mismatch.counted}"
            )
        if mismatches:
            raise click.ClickException(f"{len(mismatches)} running totals differ from the events")
        click.echo("every running total equals its events")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option(
        "--role",
        type=click.Choice([role.value for role in Role]),
        default=Role.admin.value,
        show_default=True,
        help="admin manages accounts; lead edits campaigns; organizer sees counts.",
    )
    @click.option("--name", default="", help="How the account is named in history.")
    @click.option(
        "--if-missing", is_flag=True, help="Do nothing (and succeed) when the account exists."
    )
    @click.password_option(
        "--password",
        envvar="CALLMP_NEW_USER_PASSWORD",
        help="Asked for (hidden, twice) unless given here or in CALLMP_NEW_USER_PASSWORD.",
    )
    def create_user_command(
        email: str, role: str, name: str, if_missing: bool, password: str
    ) -> None:
        """Create a staff account, e.g. the first admin: flask create-user you@example.org"""
        with _session() as session:
            if if_missing and accounts.find(session, email) is not None:
                click.echo(f"account {email.strip().lower()} exists")
                return
            try:
                user = accounts.create_user(
                    session, email=email, password=password, role=Role(role), name=name
                )
            except accounts.AccountError as error:
                raise click.UsageError(error.message % error.params) from None
            session.commit()
            click.echo(f"created {user.role} account {user.email} (id {user.id})")

    @app.cli.command("setup")
    @click.option("--quiet", is_flag=True, help="Print nothing but errors.")
    def setup_command(quiet: bool) -> None:
        """Migrate, import the data and seed the demo: everything a fresh machine needs."""
        if quiet:
            with errors_only():
                for step in (_migrate, _import_data, _seed_demo):
                    step()
            return
        for step in (_migrate, _import_data, _seed_demo):
            click.echo(step())

    @app.cli.command("prepare")
    @click.option(
        "--demo", is_flag=True, help="Also create or refresh the demo campaign (not in production)."
    )
    @click.option(
        "--wait",
        default=60.0,
        show_default=True,
        help="Seconds to wait for the database to answer.",
    )
    @click.option(
        "--lock-timeout",
        default=600.0,
        show_default=True,
        help="Seconds to wait while another prepare works.",
    )
    @click.option("--quiet", is_flag=True, help="Print nothing but errors.")
    def prepare_command(demo: bool, wait: float, lock_timeout: float, quiet: bool) -> None:
        """Migrate and import the shipped data, one process at a time (the container's and
        callmp-prepare.service's first step; safe to repeat)."""
        # Imported here, like migrate: loading Alembic logs its plugins (see _migrate).
        with errors_only() if quiet else nullcontext():
            from callmp.ops import prepare

            found = services()
            try:
                report = prepare.prepare(
                    found.engine,
                    found.sessions,
                    Path(current_app.config["DATA_DIR"]),
                    seed_demo=demo,
                    wait_s=wait,
                    lock_timeout_s=lock_timeout,
                )
            except prepare.PrepareError as error:
                raise click.ClickException(str(error)) from None
        if not quiet:
            for line in report.lines():
                click.echo(line)

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=5000, show_default=True, envvar="PORT", help="Port (or PORT).")
    @click.option("--login", default="", help="The demo staff account, for the banner.")
    @click.option(
        "--password-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The file that keeps that account's password, for the banner.",
    )
    def serve_command(host: str, port: int, login: str, password_file: Path | None) -> None:
        """Serve the app for a local demo and say where to go (Werkzeug's threaded server:
        not for production, see the README)."""
        from werkzeug.serving import make_server

        try:
            # The app itself, not the proxy: the server's threads have no app context.
            app_itself = current_app._get_current_object()  # type: ignore[attr-defined]
            server = make_server(host, port, app_itself, threaded=True)
        except (OSError, SystemExit):
            # Werkzeug has said why (e.g. the port is taken); no banner for a server that
            # is not there.
            raise click.ClickException(f"cannot listen on {host}:{port}") from None
        click.echo(
            banner(
                f"http://{host}:{port}",
                login=login,
                password_file=password_file,
                local_calls=services().calls.local,
                outbox=services().mail.outbox is not None,
            )
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
