"""Writes: one function per change, owning its transaction, role check, validation, derived
columns, version, history and the checks it queues on commit.

claims (claims with their appearances, predicates, relations, reviews and flag decisions),
claimsets (the claimset/1 import, set-based), detection (the contradiction check and scan),
credibility (outlets' and speakers' track records).
"""
