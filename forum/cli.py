"""The `flask --app forum` commands for operators."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app

from .errors import ContentRejected, ValidationFailed
from .moderation.cli import register_cli
from .services import backup, jobs
from .services.accounts import account as accounts, guidelines, roles, staff_gate, two_factor
from .services.accounts.account import find_by_pseudonym
from .services.demo import demo_code, seed_demo
from .services.measures import report as measures


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _find(name: str):
    user = find_by_pseudonym(name)
    if user is None:
        _fail(f"No account named {name!r}.")
    return user


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo community (boards, rooms, accounts) once."""
    created = seed_demo(current_app.config["DEMO_PASSWORD"])
    click.echo("Demo community created." if created else "Demo community already present.")


@click.command("demo-code")
@click.argument("name")
def demo_code_command(name: str) -> None:
    """Print the current two-step sign-in code of a demo staff account (rowan-pine, jo-meadow)."""
    code = demo_code(name, current_app.config["DEMO_PASSWORD"])
    if code is None:
        _fail(f"{name!r} is not a demo staff account.")
    click.echo(code)


@click.command("create-admin")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin_command(name: str, password_stdin: bool) -> None:
    """Create an admin account NAME (password from a prompt or standard input)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        result = accounts.check_signup(
            name,
            password,
            password,
            agreed_guidelines_version=guidelines.current_version().id,
        )
    except ValidationFailed as exc:
        _fail(
            "\n".join(
                f"{field or 'error'}: {m}" for field, msgs in exc.reasons.items() for m in msgs
            )
        )
    except ContentRejected as exc:
        _fail(f"pseudonym: {exc}")
    for role in ("admin", "moderator", "supervisor"):
        roles.check_grant_role(result.user, role, acting_user=None)
    click.echo(f"Admin {name} created (account id {result.user.id}). Recovery codes:")
    for code in result.recovery_codes:
        click.echo(f"  {code}")


@click.command("grant")
@click.argument("name")
@click.argument("role")
def grant_command(name: str, role: str) -> None:
    """Grant ROLE (facilitator, moderator, supervisor, admin) to the account NAME."""
    user = _find(name)
    try:
        grant = roles.check_grant_role(user, role, acting_user=None)
    except ValidationFailed as exc:
        _fail(str(exc))
    click.echo(f"{name} is now {role}." if grant else f"{name} already holds {role}.")
    if staff_gate.second_factor_required(user) and not two_factor.has_second_factor(user):
        click.echo(f"{name} has no second factor yet: the {role} role works once they set up "
                   "two-step sign-in on their account's security page.")


@click.command("train")
@click.argument("name")
@click.argument("module")
@click.option("--expires", "expires", default=None, help="Expiry date, YYYY-MM-DD.")
@click.option("--completed", "completed", default=None, help="Completion date (default today).")
def train_command(name: str, module: str, expires: str | None, completed: str | None) -> None:
    """Record that NAME completed the training MODULE."""
    try:
        completed_on = date.fromisoformat(completed) if completed else date.today()
        expires_on = date.fromisoformat(expires) if expires else None
    except ValueError:
        _fail("Dates must look like 2026-12-31.")
    try:
        roles.check_record_training(
            _find(name),
            module,
            completed_on=completed_on,
            expires_on=expires_on,
            acting_user=None,
        )
    except ValidationFailed as exc:
        _fail(str(exc))
    suffix = f", expires {expires_on.isoformat()}" if expires_on else ""
    click.echo(f"Recorded {module} for {name}{suffix}.")


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: alert escalation, claim lapses, queue snapshots."""


@jobs_group.command("run")
@click.option("--all", "run_all", is_flag=True, help="Run every job, due or not.")
def jobs_run_command(run_all: bool) -> None:
    """Run the jobs that are due once, and print what each did."""
    for name, count in sorted(jobs.run_due(force=run_all).items()):
        click.echo(f"{name}: {count}")


@click.command("report")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
def report_command(start: str, end: str, fmt: str) -> None:
    """Print the community measures for whole weeks from --from to --to (aggregates only)."""
    try:
        period = measures.parse_period(start, end)
    except ValidationFailed as exc:
        _fail("\n".join(f"{field}: {m}" for field, msgs in exc.reasons.items() for m in msgs))
    report = measures.build_report(period)
    click.echo(measures.to_csv(report) if fmt == "csv" else measures.to_json(report), nl=False)
    if fmt == "json":
        click.echo()


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_command(path: Path, force: bool) -> None:
    """Write a backup of the forum's database to PATH, safe while the forum serves
    (SQLite: a copy of the file; PostgreSQL: pg_dump's custom format)."""
    try:
        report = backup.make_backup(path, force=force)
    except backup.BackupError as exc:
        _fail(f"No backup written: {exc}")
    click.echo(f"Backup written to {report.path}: {report.size} bytes, {report.tables} tables,"
               f" {report.rows} rows, schema revision {report.revision} ({report.kind}).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Restore the backup at PATH into the configured database, which must be empty
    (a SQLite backup onto SQLite, a PostgreSQL one onto PostgreSQL)."""
    try:
        report = backup.restore_backup(path)
    except backup.BackupError as exc:
        _fail(f"Not restored: {exc}")
    click.echo(f"Restored {report.path.name}: {report.tables} tables, {report.rows} rows,"
               f" schema revision {report.revision} ({report.kind}).")
    if report.needs_upgrade:
        click.echo(f"The backup is from an older release (this code's schema is {report.head}):"
                   " run `flask --app forum db upgrade` before starting the forum.")
    else:
        click.echo("The schema is current; the forum can start.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (seed_demo_command, demo_code_command, create_admin_command, grant_command,
                    train_command, jobs_group, report_command, backup_command,
                    restore_command):
        app.cli.add_command(command)
    register_cli(app)
