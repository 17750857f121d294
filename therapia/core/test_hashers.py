from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2idHasher(Argon2PasswordHasher):
    """Still argon2id, with a small memory cost so the test suite stays quick."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
