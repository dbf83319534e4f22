"""POST /api/v1/candidates/: candidate claims proposed from an article's text (candidates/1).

The same reading as `manage.py extract_claims` and the admin's "Propose claims" page. Nothing
is stored: a newsroom tool sends an article and gets the claims it could enter, each with
exact offsets, its parsed value and what it is about matched to stored entities.
"""

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import PayloadTooLarge
from api.permissions import HasPermissions
from claims.core.extraction import FORMAT, candidates_document
from claims.core.values import ValueParseError, parse_partial_date
from claims.models import Stance
from claims.selectors.candidates import article_candidates

# A long feature is 10,000 words (about 60,000 characters); this leaves room for three. The
# body is also held to Django's DATA_UPLOAD_MAX_MEMORY_SIZE (413 above it).
TEXT_MAX_CHARS = 200_000


class CandidatesInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=TEXT_MAX_CHARS,
        trim_whitespace=False,  # offsets are into the text exactly as sent
        help_text="The article's plain text (UTF-8). Offsets in the answer index into it.",
    )
    published = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Publication date, 2015, 2015-07 or 2015-07-01: resolves year-less and "
        "relative dates (May, late last year, Thursday).",
    )

    def validate_published(self, value: str):
        if not value:
            return None
        try:
            return parse_partial_date(value)
        except ValueParseError as exc:
            raise serializers.ValidationError(str(exc)) from exc


_reference = inline_serializer(
    "CandidateReference",
    {
        "entity": serializers.CharField(allow_null=True, required=False),
        "predicate": serializers.CharField(allow_null=True, required=False),
        "as_written": serializers.CharField(required=False),
        "description": serializers.CharField(required=False),
    },
    allow_null=True,
)
_candidate = inline_serializer(
    "Candidate",
    {
        "start": serializers.IntegerField(),
        "end": serializers.IntegerField(),
        "quote": serializers.CharField(),
        "text": serializers.CharField(),
        "value": serializers.DictField(
            help_text='{"quantity": {as_written, low, high, low_inclusive, high_inclusive, '
            'unit}} or {"date": {as_written, from, to}}'
        ),
        "subject": _reference,
        "predicate": _reference,
        "negated": serializers.BooleanField(),
        "speaker": _reference,
        "stance": serializers.ChoiceField(Stance.choices),
    },
)
_document = inline_serializer(
    "CandidatesDocument",
    {
        "format": serializers.ChoiceField([FORMAT]),
        "candidates": _candidate.__class__(many=True),
    },
)


class CandidatesApi(APIView):
    # Editors: the role that enters claims, whom these candidates are for.
    required_permissions = {"POST": ["claims.add_claim", "claims.add_appearance"]}
    permission_classes = [HasPermissions]
    schema_extra_errors = {
        "409": "Not answered here (nothing is stored); listed for every write.",
        "413": "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.",
    }

    @extend_schema(
        tags=["ingest"],
        request=CandidatesInputSerializer,
        responses={200: OpenApiResponse(_document, description="A candidates/1 document.")},
    )
    def post(self, request):
        """Propose the checkable statements of an article: one candidate per quantity or event
        date, in text order, with exact character offsets (`text[start:end] == quote`), the
        value parsed by the claimset phrase table, and subject, speaker and predicate matched
        to stored records by name or alias (null with `as_written` where none matches).
        Nothing is stored. Needs the editor role."""
        try:
            body = request.data
        except RequestDataTooBig as exc:
            raise PayloadTooLarge(str(exc)) from exc
        data = CandidatesInputSerializer(data=body)
        data.is_valid(raise_exception=True)
        candidates = article_candidates(
            text=data.validated_data["text"], published=data.validated_data.get("published")
        )
        return Response(candidates_document(candidates))
