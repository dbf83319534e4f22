"""Serializer fields shared by the apps' APIs."""

import re

from rest_framework import serializers

from tracker.models import KEY_PATTERN

_KEY = re.compile(KEY_PATTERN)


class KeyRelatedField(serializers.SlugRelatedField):
    """A related record named by its key. A value that cannot be a key (wrong characters, a NUL
    that PostgreSQL would refuse in the query) is reported as such without asking the database."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="key", **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _KEY.match(data):
            raise serializers.ValidationError(
                "Not a key: 1 to 200 characters of A-Z a-z 0-9 . _ : -"
            )
        return super().to_internal_value(data)
