"""Scheduled meetings and their rooms.

Floors, lowest first: `times` (time zones, recurrence) → `plan`, `access`, `listing` →
`schedule` (create, edit, cancel; a meeting owns its room) → `sessions`, `attendance`,
`reminders`, `feeds` (calendar files). Callers import the module they need, e.g.
`from forum.services.meetings import schedule, times`.
"""
