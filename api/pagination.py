"""Cursor pagination: a page costs the same at any depth and never counts the table."""

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Pages in id order, the cursor holding the last id seen: `WHERE id > %s ORDER BY id
    LIMIT n + 1` on the primary key's index, whatever the depth, and no COUNT(*).

    Ids are unique, so the order is stable and the cursor's offset is always 0. A cursor that
    was not made here is a 400 on the `cursor` parameter (DRF answers 404).
    """

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or _is_int(cursor.position)
        if not valid:
            raise exceptions.ValidationError({self.cursor_query_param: ["Invalid cursor."]})
        return cursor


def _is_int(value) -> bool:
    if value is None:
        return True
    try:
        int(value)
    except ValueError:
        return False
    # Beyond a bigint the database would refuse the comparison.
    return abs(int(value)) < 2**63
