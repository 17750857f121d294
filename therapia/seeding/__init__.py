"""Deterministic synthetic practices for the demo, benchmarks and tests.

    seed_practice(clients=60, seed=2026, today=...)   one transaction, one audit row

Nothing here is real: names are drawn from small hand-written lists, phone numbers from
Ofcom's drama ranges, e-mail addresses from RFC 2606 domains. See demo_accounts.py for the
published demo password and authenticator secret.
"""
