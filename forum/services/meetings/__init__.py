"""Scheduled meetings and their rooms.

Floors, lowest first: `access`, `times` (time zones, recurrence) → `plan`, `sessions` →
`attendance`, `feeds` (calendar files), `reminders` → `schedule` (create, edit, cancel; a
meeting owns its room) → `listing`.

Callers import the module they need, e.g. `from forum.services.meetings import schedule, times`.
"""
