"""Reads: functions returning querysets or plain data, with their joins applied.

claims (claims, appearances, contradictions, reviews and facts as read by the pages and the
API), claimsets (the claimset/1 export).
"""
