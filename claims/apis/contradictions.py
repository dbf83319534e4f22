"""GET /api/v1/contradictions/ (public: open and confirmed flags) and PATCH
/api/v1/contradictions/{id}/ (reviewers: confirm, dismiss with a reason, or resolve by refuting
one of the two claims)."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.permissions import HasPermissions
from claims.apis.serializers import ContradictionSerializer
from claims.models import Claim, Contradiction, ContradictionKind, ContradictionStatus
from claims.selectors.claims import entity_ids_named
from claims.services import claims as services

PUBLIC_STATUSES = (ContradictionStatus.OPEN, ContradictionStatus.CONFIRMED)


class ContradictionFilter(django_filters.FilterSet):
    subject = django_filters.CharFilter(
        method="filter_subject", help_text="Entity key, name or alias of either claim's subject."
    )
    kind = django_filters.ChoiceFilter(choices=ContradictionKind.choices)
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in PUBLIC_STATUSES], help_text="open or confirmed."
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
    """Open and confirmed flags, both claims embedded, in id order."""

    permission_classes = [AllowAny]
    serializer_class = ContradictionSerializer
    filterset_class = ContradictionFilter

    def get_queryset(self):
        return _flags().filter(status__in=PUBLIC_STATUSES)


class ContradictionDetailApi(generics.GenericAPIView):
    serializer_class = ContradictionSerializer
    required_permissions = {"PATCH": ["claims.review_contradiction"]}

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [HasPermissions()]
        return [AllowAny()]

    def get_queryset(self):
        if self.request.method == "PATCH":
            return _flags()
        return _flags().filter(status__in=PUBLIC_STATUSES)

    @extend_schema(tags=["contradictions"])
    def get(self, request, pk: int):
        """One open or confirmed flag."""
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
