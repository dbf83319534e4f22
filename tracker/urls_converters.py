"""Path converters shared by the apps' URL modules."""

from django.urls import register_converter

from tracker.models import KEY_MAX_LENGTH


class KeyConverter:
    """A record's external key in a path: 1 to 200 of A-Z a-z 0-9 . _ : -"""

    regex = rf"[A-Za-z0-9._:-]{{1,{KEY_MAX_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KeyConverter, "key")
