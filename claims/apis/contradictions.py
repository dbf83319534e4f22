"""GET /api/v1/contradictions/ and /{id}/ (staff with a token: open and confirmed flags) and
PATCH /api/v1/contradictions/{id}/ (reviewers: confirm, dismiss with a reason, or resolve by
refuting one of the two claims).

Not public: a flag embeds both its claims, and most flagged claims are not vetted; anonymous
consumers read only the facts (vetted claims), which carry their count of open flags."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from api.permissions import HasPermissions
from claims.apis.serializers import ContradictionSerializer
from claims.models import Claim, Contradiction, ContradictionKind, ContradictionStatus
from claims.selectors.claims import entity_ids_named
from claims.services import claims as services

# The flags the list and detail show: those still standing (dismissed and resolved ones are
# read in the admin, with their review).
LISTED_STATUSES = (ContradictionStatus.OPEN, ContradictionStatus.CONFIRMED)


class ContradictionFilter(django_filters.FilterSet):
    subject = django_filters.CharFilter(
        method="filter_subject", help_text="Entity key, name or alias of either claim's subject."
    )
    kind = django_filters.ChoiceFilter(choices=ContradictionKind.choices)
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in LISTED_STATUSES], help_text="open or confirmed."
    )

    class Meta:
        model = Contradiction
        fields: list[str] = []

    def filter_subject(self, queryset, name, value):
        ids = entity_ids_named(value)
        return queryset.filter(Q(claim_a__subject_id__in=ids) | Q(claim_b__subject_id__in=ids))


def _flags():
    return Contradiction.objects.select_related(
        *(f"{side}__{field}" for side in ("claim_a", "claim_b") for field in _CLAIM_JOINS)
    )


_CLAIM_JOINS = ("subject", "predicate", "value_entity")


class ContradictionReviewSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            ContradictionStatus.CONFIRMED,
            ContradictionStatus.DISMISSED,
            ContradictionStatus.RESOLVED,
        ]
    )
    dismissed_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Why the flag is a false alarm; needed to dismiss (the service checks it).",
    )
    refuted_claim = serializers.CharField(
        required=False, help_text="Key of the claim found false; needed to resolve."
    )


@extend_schema(tags=["contradictions"])
class ContradictionListApi(generics.ListAPIView):
    """Open and confirmed flags, both claims embedded, in id order (staff: editors, reviewers
    and readers)."""

    # The default, HasModelPermissions: GET takes claims.view_contradiction, which every
    # active staff user holds (tracker/auth.py). Anonymous requests get a 401.
    serializer_class = ContradictionSerializer
    filterset_class = ContradictionFilter

    def get_queryset(self):
        return _flags().filter(status__in=LISTED_STATUSES)


class ContradictionDetailApi(generics.GenericAPIView):
    serializer_class = ContradictionSerializer
    permission_classes = [HasPermissions]
    required_permissions = {
        "GET": ["claims.view_contradiction"],
        "HEAD": ["claims.view_contradiction"],
        "OPTIONS": ["claims.view_contradiction"],
        "PATCH": ["claims.review_contradiction"],
    }

    def get_queryset(self):
        if self.request.method == "PATCH":
            return _flags()
        return _flags().filter(status__in=LISTED_STATUSES)

    @extend_schema(tags=["contradictions"])
    def get(self, request, pk: int):
        """One open or confirmed flag (staff)."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        tags=["contradictions"],
        request=ContradictionReviewSerializer,
        responses={200: ContradictionSerializer},
    )
    def patch(self, request, pk: int):
        """Decide on a flag (reviewers): `confirmed`; `dismissed` with `dismissed_reason`;
        or `resolved` with `refuted_claim`, the key of the claim marked refuted."""
        flag = self.get_object()
        review = ContradictionReviewSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        decision = review.validated_data
        refuted_id = None
        if decision.get("refuted_claim"):
            refuted = Claim.objects.filter(
                key=decision["refuted_claim"], pk__in=(flag.claim_a_id, flag.claim_b_id)
            ).first()
            if refuted is None:
                raise serializers.ValidationError(
                    {"refuted_claim": "Not one of the two claims of this flag."}
                )
            refuted_id = refuted.pk
        services.contradiction_decide(
            by=request.user,
            contradiction_id=flag.pk,
            status=decision["status"],
            reason=decision.get("dismissed_reason", ""),
            refuted_claim_id=refuted_id,
        )
        return Response(self.get_serializer(_flags().get(pk=flag.pk)).data)
