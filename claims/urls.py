"""The claims app's API routes, under /api/v1/ (tracker/urls.py)."""

from django.urls import path
from django.views.decorators.http import conditional_page

import tracker.urls_converters  # noqa: F401 - registers the <key:...> converter
from claims.apis.candidates import CandidatesApi
from claims.apis.claims import ClaimDetailApi, ClaimListApi
from claims.apis.claimsets import ClaimsetApi
from claims.apis.contradictions import ContradictionDetailApi, ContradictionListApi
from claims.apis.facts import FactDetailApi, FactListApi

urlpatterns = [
    # conditional_page: an ETag from the body, and 304 for a matching If-None-Match.
    path("facts/", conditional_page(FactListApi.as_view()), name="fact-list"),
    path("facts/<key:key>/", conditional_page(FactDetailApi.as_view()), name="fact-detail"),
    path("contradictions/", ContradictionListApi.as_view(), name="contradiction-list"),
    path("contradictions/<int:pk>/", ContradictionDetailApi.as_view(), name="contradiction-detail"),
    path("claimsets/", ClaimsetApi.as_view(), name="claimset-import"),
    path("candidates/", CandidatesApi.as_view(), name="candidates"),
    path("claims/", ClaimListApi.as_view(), name="claim-list"),
    path("claims/<key:key>/", ClaimDetailApi.as_view(), name="claim-detail"),
]
