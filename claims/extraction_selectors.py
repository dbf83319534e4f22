"""Reads for claim extraction: the stored names the extractor matches, and its candidates.

The extractor itself (claims.extraction) is plain Python; this module gives it the entity and
predicate look-ups from the database.
"""

from claims.extraction import Candidate, NameIndex, extract_candidates
from claims.models import Predicate, PredicateAlias
from claims.values import PartialDate
from sources.models import Entity, EntityAlias


def entity_name_index() -> NameIndex:
    """Every entity by its name and each alias (two queries, values only)."""
    pairs = [
        *Entity.objects.values_list("key", "name"),
        *EntityAlias.objects.values_list("entity__key", "name"),
    ]
    return NameIndex.from_names(pairs)


def predicate_name_index() -> NameIndex:
    pairs = [
        *Predicate.objects.values_list("key", "name"),
        *PredicateAlias.objects.values_list("predicate__key", "name"),
    ]
    return NameIndex.from_names(pairs)


def article_candidates(*, text: str, published: PartialDate | None) -> list[Candidate]:
    """Candidates for text, with subjects, speakers and predicates matched to stored ones."""
    return extract_candidates(
        text,
        published=published,
        entities=entity_name_index(),
        predicates=predicate_name_index(),
    )
