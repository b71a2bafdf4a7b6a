"""``flask`` commands: migrate, import the shipped data, seed the demo, run the queue worker."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.orm import Session

from callmp import accounts, demo, migrate
from callmp.calls.service import CallService
from callmp.directory import data_import
from callmp.models import Role
from callmp.stats import consistency
from callmp.views.context import services


def _session() -> Session:
    """A session for a CLI command."""
    session: Session = services().sessions()
    return session


def register(app: Flask) -> None:
    """Add the commands to ``app.cli``."""

    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Create or upgrade the database schema."""
        Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
        migrate.upgrade(services().engine)
        click.echo("database is up to date")

    @app.cli.command("import-data")
    def import_data_command() -> None:
        """Import ridings, MPs and offices from the data folder (safe to repeat)."""
        with _session() as session:
            report = data_import.import_all(session, Path(current_app.config["DATA_DIR"]))
            session.commit()
        click.echo(report.summary())

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create or refresh the demo campaign (needs the imported data)."""
        with _session() as session:
            campaign = demo.seed(session)
            session.commit()
            click.echo(f"demo campaign: /c/{campaign.slug}")

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, help="Worker threads.")
    def worker_command(workers: int) -> None:
        """Run the background queue: places calls (throttled) and sweeps stuck requests."""
        service: CallService = services().calls
        if service.huey.immediate:
            raise click.UsageError("CALLMP_QUEUE=immediate runs tasks inline: no worker needed")
        consumer = service.huey.create_consumer(workers=workers, worker_type="thread")
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
    @click.pass_context
    def setup_command(ctx: click.Context) -> None:
        """Migrate, import the data and seed the demo: everything a fresh machine needs."""
        ctx.invoke(migrate_command)
        ctx.invoke(import_data_command)
        ctx.invoke(seed_demo_command)
