"""Accounts: who a member is and what they may do.

Floors, lowest first: `passwords`, `pseudonyms`, `roles` → `account` (sign-up, log-in,
suspension) → `standing` (`can_write`), `mutes`, `guidelines`, `milestones` → `sign_ins`,
`remember_tokens`, `login_throttle`, `two_factor`, `passkeys`, `step_up`, `staff_gate` →
`avatars`, `members`, `people` (admins manage roles) → `privacy` (export and deletion, through
every content kind). Callers import the module they need, e.g.
`from forum.services.accounts import account, standing`.
"""
