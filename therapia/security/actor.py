"""The actor: who is acting, in which practice, in which role."""

from __future__ import annotations

from dataclasses import dataclass, field

from therapia.accounts.models import Membership, Practice, Role, User


@dataclass(frozen=True)
class Actor:
    user: User
    membership: Membership
    # Clients this session holds emergency access to: its audit rows name that basis.
    emergency_client_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def practice(self) -> Practice:
        return self.membership.practice

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def is_front_desk(self) -> bool:
        return self.role == Role.FRONT_DESK

    @property
    def is_clinical(self) -> bool:
        return self.membership.is_clinical


def actor_for(user: User, practice_public_id: str | None = None) -> Actor | None:
    """The actor for a signed-in user: their membership in the chosen (or only) practice."""
    memberships = Membership.objects.select_related("practice", "user").filter(
        user=user, is_active=True
    )
    if practice_public_id:
        memberships = memberships.filter(practice__public_id=practice_public_id)
    chosen = list(memberships[:2])
    if len(chosen) != 1 and not practice_public_id:
        chosen = chosen[:1]  # several practices and none chosen: the first, by name
    return Actor(user=user, membership=chosen[0]) if chosen else None
