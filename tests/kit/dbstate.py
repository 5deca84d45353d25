"""Row counts of every table, so a test can show that bad input left nothing behind."""

from django.apps import apps


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def changed_tables(before: dict[str, int]) -> dict[str, tuple[int, int]]:
    after = row_counts()
    return {label: (before[label], after[label]) for label in before if before[label] != after[label]}
