"""Accounts: who a member is and what they may do.

Floors, lowest first: `avatars`, `guidelines`, `login_throttle`, `milestones`, `passwords`,
`pseudonyms`, `remember_tokens`, `staff_gate` → `members`, `step_up` → `roles`, `sign_ins` →
`account` (sign-up, log-in, suspension), `two_factor` → `mutes`, `passkeys`, `people` (admins
manage roles), `standing` (`can_write`) → `privacy` (export and deletion, through every content
kind).

Callers import the module they need, e.g. `from forum.services.accounts import account,
standing`.
"""
