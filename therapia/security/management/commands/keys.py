"""`therapia keys ...`: master keys, rotation, legal holds and crypto-shredding.

    therapia keys status                              key ids, data keys per master key
    therapia keys new-master --class CLASS            add a master key file (then rotate)
    therapia keys rotate [--class CLASS] [--batch-size N] [--pause S]
    therapia keys hold --client UUID --reason TEXT    place a legal hold
    therapia keys release --client UUID               release the client's legal holds
    therapia keys shred --due [--yes]                 crypto-shred clients past retention
"""

from __future__ import annotations

import os
import uuid
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from therapia.audit.context import Origin, origin
from therapia.clients.models import Client
from therapia.security import keyring
from therapia.security.crypto import retention, rotation, shredding
from therapia.security.keyring import ENV_VARS, KeyClass
from therapia.security.models import ClientDataKey, LegalHold, ShredReason

CLASSES = [key_class.value for key_class in KeyClass]


class Command(BaseCommand):
    help = "Encryption keys: status, new-master, rotate, hold, release, shred"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("status", help="master key ids and data keys under each")
        new = actions.add_parser("new-master", help="write a new master key file")
        new.add_argument("--class", dest="key_class", choices=CLASSES, required=True)
        rotate = actions.add_parser("rotate", help="re-wrap data keys under the newest key")
        rotate.add_argument("--class", dest="key_class", choices=CLASSES)
        rotate.add_argument("--batch-size", type=int, default=rotation.DEFAULT_BATCH)
        rotate.add_argument("--pause", type=float, default=0.0,
                            help="seconds to sleep between batches")
        hold = actions.add_parser("hold", help="place a legal hold on a client")
        hold.add_argument("--client", type=uuid.UUID, required=True, help="public id")
        hold.add_argument("--reason", required=True, help="a reference, no clinical details")
        release = actions.add_parser("release", help="release a client's legal holds")
        release.add_argument("--client", type=uuid.UUID, required=True, help="public id")
        shred = actions.add_parser("shred", help="crypto-shred clients past retention")
        shred.add_argument("--due", action="store_true", required=True,
                           help="every inactive client past retention, not on legal hold")
        shred.add_argument("--yes", action="store_true",
                           help="really destroy the keys (without it: a dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        action: str = options["action"]
        with origin(Origin(job=f"keys {action}")):
            getattr(self, "do_" + action.replace("-", "_"))(options)

    def say(self, text: str) -> None:
        self.stdout.write(text)

    def do_status(self, options: dict[str, Any]) -> None:
        for key_class in KeyClass:
            store = keyring.provider(key_class)
            store.refresh()
            source = getattr(store, "source", type(store).__name__)
            self.say(f"{key_class}: master keys {', '.join(store.key_ids())} "
                     f"(current {store.current_key_id()}; from {source})")
            rows = (ClientDataKey.objects.filter(key_class=key_class, destroyed_at__isnull=True)
                    .values("master_key_id").annotate(n=Count("id")).order_by("master_key_id"))
            for row in rows:
                self.say(f"  {row['n']} data keys under {row['master_key_id']}")
            destroyed = ClientDataKey.objects.filter(
                key_class=key_class, destroyed_at__isnull=False).count()
            self.say(f"  {destroyed} destroyed (crypto-shredded)")
            unused = set(store.key_ids()) - {row["master_key_id"] for row in rows}
            unused.discard(store.current_key_id())
            if unused:
                self.say(f"  no data key uses {', '.join(sorted(unused))}: "
                         "safe to remove once backups made before the rotation have expired")

    def do_new_master(self, options: dict[str, Any]) -> None:
        key_class = KeyClass(options["key_class"])
        if os.environ.get(ENV_VARS[key_class]) or os.environ.get(f"{ENV_VARS[key_class]}_FILE"):
            raise CommandError(f"{key_class} master keys come from ${ENV_VARS[key_class]}: "
                               "add the new key there (ID:KEY,...), restart, then rotate")
        keys_dir = Path(settings.KEYS_DIR)
        key_id = keyring.write_master_key(keys_dir, key_class)
        keyring.reset()
        self.say(f"wrote {keys_dir / keyring.key_file_name(key_class, key_id)}; running "
                 f"processes use it for new data keys within {keyring.REFRESH_SECONDS:.0f} s. "
                 f"Back it up apart from the database, then run `therapia keys rotate "
                 f"--class {key_class}`.")

    def do_rotate(self, options: dict[str, Any]) -> None:
        chosen = [KeyClass(options["key_class"])] if options["key_class"] else list(KeyClass)
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        for key_class in chosen:
            def progress(state: rotation.Rotation) -> None:
                self.say(f"{state.key_class}: {state.rewrapped} re-wrapped under "
                         f"{state.target_key_id} ({state.batches} batches)")

            result = rotation.rotate(key_class, batch_size=options["batch_size"],
                                     pause=options["pause"], progress=progress)
            self.say(f"{key_class}: done, {result.rewrapped} re-wrapped under "
                     f"{result.target_key_id}; {result.remaining} left")
            if result.remaining:
                raise CommandError(f"{result.remaining} {key_class} data keys stayed locked "
                                   "by other transactions: run the rotation again")

    def _client(self, public_id: uuid.UUID) -> Client:
        client = Client.objects.select_related("practice").filter(public_id=public_id).first()
        if client is None:
            raise CommandError("No client with that id")
        return client

    def do_hold(self, options: dict[str, Any]) -> None:
        client = self._client(options["client"])
        hold = shredding.legal_hold_place(actor=None, client=client, reason=options["reason"])
        self.say(f"legal hold {hold.public_id} placed on client {client.public_id}")

    def do_release(self, options: dict[str, Any]) -> None:
        client = self._client(options["client"])
        holds = LegalHold.objects.filter(client=client, released_at__isnull=True)
        for hold in holds:
            shredding.legal_hold_release(actor=None, hold=hold)
        self.say(f"released {len(holds)} legal hold(s) on client {client.public_id}")

    def do_shred(self, options: dict[str, Any]) -> None:
        found = retention.clients_past_retention()
        for code, count in sorted(found.unassessed.items()):
            self.say(f"{count} inactive client(s) in {code} not assessed: no retention rule "
                     "(set RETENTION_YEARS / THERAPIA_RETENTION_YEARS)")
        self.say(f"{found.held} on legal hold, {found.not_yet} still within retention, "
                 f"{len(found.due)} past retention")
        for item in found.due:
            self.say(f"  client {item.client.public_id}: last contact {item.last_contact}, "
                     f"may be destroyed from {item.may_destroy_from} ({item.rule.source})")
        if not options["yes"]:
            self.say("dry run: nothing destroyed (add --yes to crypto-shred the clients above)")
            return
        shredded = 0
        for item in found.due:
            try:
                shredding.client_data_keys_shred(actor=None, client=item.client,
                                                 reason=ShredReason.RETENTION_EXPIRED)
            except shredding.LegalHoldActive:
                self.say(f"  client {item.client.public_id}: legal hold placed meanwhile; kept")
                continue
            shredded += 1
        self.say(f"crypto-shredded {shredded} client(s)")
