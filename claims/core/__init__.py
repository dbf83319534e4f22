"""Plain Python: what a claim's value means and how claims compare, with no database.

values (parsing values as written into intervals), value_columns (intervals as model columns),
contradictions (the structured rules), text_compare (wording comparison), corroboration
(independent sources), confidence (ratings and their consensus), quotes (quote look-up in a
source's text), roles (permission names), display (values and times as text).

Imports nothing from the layers above it (models, selectors, services, ...).
"""
