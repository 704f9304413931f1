"""Threads: boards, threads and posts, and what grows around them.

Floors, lowest first: `boards`, `home_feed`, `notifications`, `reading` (who may see what),
`search` → `mentions`, `posts` (write, edit, screen, hold), `reactions`, `reports` → `page` (one
thread page), `privacy` (a member's posts in export and deletion).

Callers import the module they need, e.g. `from forum.services.threads import posts, reading`.
"""
