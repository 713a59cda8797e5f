"""What can be imported, and what differs between kinds.

Every kind shares the machinery of this app: the upload, the readers (CSV in several
encodings, XLSX), the mapping step, the job with its chunked commits, progress bar, error
report with line numbers and resume. A kind brings only its target fields, its first guess
from the header names, its required columns, who may import it, and the engine that turns
the rows of one job into records (`run`, called by `services.run_import_job`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from peyvand.imports.choices import ImportKind


@dataclass(frozen=True)
class ImportTarget:
    kind: str
    # Importing needs the "import" action on this object type.
    object_type: str
    title: Any
    # Where the user came from and goes back to (a URL name).
    home: str
    field_choices: Callable[[], list[tuple[str, str]]]
    suggest_mapping: Callable[[Sequence[str]], dict[str, str]]
    missing_required: Callable[[Sequence[str]], list[str]]
    # run(job, *, actor, progress): import the job's rows after `job.committed_line`.
    run: Callable[..., None]
    # Whether the user chooses what a row matching an existing record does.
    has_duplicate_policy: bool = True
    duplicate_help: Any = ""


def _customers() -> ImportTarget:
    from peyvand.imports import mapping, services

    return ImportTarget(
        kind=ImportKind.CUSTOMERS,
        object_type="customer",
        title=_("Import customers"),
        home="imports:list",
        field_choices=mapping.field_choices,
        suggest_mapping=mapping.suggest_mapping,
        missing_required=mapping.missing_required,
        run=services.run_customer_import,
    )


# Kinds defined by the app whose records they create, loaded on first use.
_TARGETS: dict[str, str] = {
    ImportKind.CUSTOMERS: "peyvand.imports.kinds._customers",
    ImportKind.LEADS: "peyvand.sales.lead_import.import_target",
}


@cache
def target_for(kind: str) -> ImportTarget:
    try:
        factory = import_string(_TARGETS[kind])
    except KeyError:
        raise LookupError(f"no import kind {kind!r}") from None
    target: ImportTarget = factory()
    return target


def may_import(user: Any, kind: str) -> bool:
    from peyvand.access.scopes import can

    return can(user, target_for(kind).object_type, "import")
