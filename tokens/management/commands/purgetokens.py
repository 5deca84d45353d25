"""`manage.py purgetokens`: delete dead token families, spent codes and old events, from cron."""

import re
import signal
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.dateparse import parse_duration
from tqdm import tqdm

from tokens import purge

FAMILY_PHASE = ["families", "refresh tokens"]  # deleted together, reported together
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(value: str) -> timedelta:
    """`7d`, `12h`, `30m`, `45s`, `2w`, or anything Django's parse_duration reads (`P7D`)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", value)
    age = timedelta(**{UNITS[match[2]]: int(match[1])}) if match else parse_duration(value)
    if age is None or age < timedelta(0):
        raise CommandError(f"{value!r} is not a duration like 7d, 12h or 30m.")
    return age


class Progress(purge.Reporter):
    """A bar per kind on a terminal; otherwise a plain line every few seconds (every batch at -v 2)."""

    def __init__(self, stdout, verbosity: int, interactive: bool, every: float = 10.0):
        self.stdout, self.verbosity, self.every = stdout, verbosity, every
        self.bar_mode = interactive and verbosity >= 1
        self.wants_totals = self.bar_mode
        self.bar, self.done, self.last_line = None, {}, 0.0

    def begin(self, kind, total):
        self.done[kind] = 0
        self.last_line = time.monotonic()
        if self.bar_mode:
            self.bar = tqdm(
                total=total, desc=kind, unit=" rows", file=self.stdout._out, leave=False, dynamic_ncols=True
            )  # the raw stream: OutputWrapper would end every redraw with a newline

    def advance(self, kind, deleted):
        self.done[kind] = self.done.get(kind, 0) + deleted
        if self.bar is not None:
            if kind == self.bar.desc:
                self.bar.update(deleted)
        elif self.verbosity >= 2 or (self.verbosity >= 1 and time.monotonic() - self.last_line >= self.every):
            so_far = [kind] if kind not in FAMILY_PHASE else FAMILY_PHASE
            self.stdout.write(", ".join(f"{k}: {self.done.get(k, 0)}" for k in so_far) + " deleted so far")
            self.last_line = time.monotonic()

    def end(self, kind, deleted):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Delete what no token needs any more: token families revoked, expired or idle longer ago than "
        "ROTOR_PURGE_RETENTION_DAYS (default 7), with their refresh tokens; rotated refresh tokens of live "
        "families once their idle window has passed (a replay of one is refused and revokes nothing any more); "
        "expired authorization codes; revocation entries of expired access tokens; system-log events older than "
        "ROTOR_EVENT_RETENTION_DAYS (default 90). Deletes in ordered id batches, each its own short transaction; "
        "safe beside live traffic and beside another purge."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.ROTOR_PURGE_BATCH_SIZE,
            help="Rows per transaction (default ROTOR_PURGE_BATCH_SIZE, %(default)s).",
        )
        parser.add_argument(
            "--older-than",
            type=str,
            help="How long dead families are kept, e.g. 7d or 12h "
            f"(default ROTOR_PURGE_RETENTION_DAYS, {settings.ROTOR_PURGE_RETENTION_DAYS}d).",
        )
        parser.add_argument(
            "--events-older-than",
            type=str,
            help=f"Retention of system-log events (default ROTOR_EVENT_RETENTION_DAYS, "
            f"{settings.ROTOR_EVENT_RETENTION_DAYS}d).",
        )

    def handle(self, *args, dry_run, batch_size, older_than, events_older_than, verbosity, **options):
        started = time.monotonic()
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        policy = purge.Policy(batch_size=batch_size)
        if older_than is not None:
            policy.retention = parse_age(older_than)
        if events_older_than is not None:
            policy.event_retention = parse_age(events_older_than)

        if dry_run:
            counts = self.guarded(lambda: purge.count(policy))
            verb = "would be deleted (dry run)"
        else:
            progress = Progress(self.stdout, verbosity, self.stdout.isatty())
            counts = self.guarded(lambda: self.run(policy, progress))
            verb = "deleted"
        if verbosity >= 1:
            for kind, n in counts.items():
                self.stdout.write(f"{kind}: {n} {verb}")
            self.stdout.write(f"Finished in {time.monotonic() - started:.1f} s.")

    def run(self, policy: purge.Policy, progress: Progress) -> dict[str, int]:
        """Purge; on SIGTERM finish the batch in hand, report, and exit non-zero."""
        stop = threading.Event()
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            return purge.purge(policy, progress, stop)
        except purge.Interrupted as interrupted:
            for kind, n in interrupted.counts.items():
                self.stdout.write(f"{kind}: {n} deleted")
            raise CommandError("Interrupted; the batch in hand was finished. Run again to go on.") from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def guarded(self, work):
        try:
            return work()
        except DatabaseError as exc:
            raise CommandError(f"Purge failed: {exc}".strip()) from exc
