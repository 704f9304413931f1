"""Notifications on members' devices (Web Push).

Floors, lowest first: `keys` (the server's VAPID keys) → `subscriptions` (devices and
preferences) → `outbox` (what is queued) → `delivery` (sending, retries). Callers import the
module they need, e.g. `from forum.services.push import outbox`.
"""
