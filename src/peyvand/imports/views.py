"""Views of the imports app: the import wizard, job progress and exports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from peyvand.access.scopes import can
from peyvand.imports import services
from peyvand.imports.choices import ImportKind, ImportStatus
from peyvand.imports.export import csv_chunks, xlsx_file
from peyvand.imports.forms import MappingForm, UploadForm
from peyvand.imports.kinds import ImportTarget, may_import, target_for
from peyvand.imports.models import ImportJob
from peyvand.imports.readers import ImportFileError, preview

ERRORS_PER_PAGE = 100


def _require_import(request: HttpRequest, kind: str) -> ImportTarget:
    # Like records out of scope, a feature the user may not use is not there for them.
    if kind not in ImportKind.values or not may_import(request.user, kind):
        raise Http404
    return target_for(kind)


def _job_for(request: HttpRequest, pk: int) -> ImportJob:
    """The job if it is the user's (managers: anyone's) and of a kind they may import,
    else 404."""
    job = get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)
    _require_import(request, job.kind)
    return job


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """The user's imports and the export links: the page of whoever may do either."""
    kinds = [kind for kind in ImportKind.values if may_import(request.user, kind)]
    can_export = can(request.user, "customer", "export")
    if not (kinds or can_export):
        raise Http404
    jobs = ImportJob.objects.filter(created_by_id=request.user.pk, kind__in=kinds)[:50]
    return render(
        request,
        "imports/job_list.html",
        {
            "jobs": jobs,
            "can_import": bool(kinds),
            "import_kinds": [(kind, target_for(kind).title) for kind in kinds],
            "can_export": can_export,
        },
    )


@login_required
def upload(request: HttpRequest, kind: str = ImportKind.CUSTOMERS) -> HttpResponse:
    target = _require_import(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            job = services.create_import_job(
                file=upload_file, filename=upload_file.name, actor=request.user, kind=kind
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("imports:mapping", pk=job.pk)
    return render(
        request,
        "imports/upload.html",
        {"form": form, "target": target},
        status=400 if form.errors else 200,
    )


@login_required
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if job.status != ImportStatus.DRAFT:
        return redirect("imports:job", pk=job.pk)
    try:
        headers, rows = preview(job.file.path, job.format)
    except ImportFileError as exc:
        messages.error(request, str(exc))
        return redirect("imports:new_kind", kind=job.kind)
    form = MappingForm(
        request.POST or None, headers=headers, initial_mapping=job.mapping, kind=job.kind
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.start_import(
                job,
                mapping=form.cleaned_data["mapping"],
                dry_run=request.POST.get("action") != "import",
                on_duplicate=form.cleaned_data["on_duplicate"],
                actor=request.user,
            )
        except ImportFileError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("imports:job", pk=job.pk)
    width = len(headers)
    preview_rows = [(row + [""] * width)[:width] for row in rows]
    return render(
        request,
        "imports/mapping.html",
        {
            "job": job,
            "form": form,
            "headers": headers,
            "preview_rows": preview_rows,
            "target": target_for(job.kind),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if job.status == ImportStatus.DRAFT:
        return redirect("imports:mapping", pk=job.pk)
    page = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/job_detail.html",
        {
            "job": job,
            "page": page,
            "more_errors": job.error_count > len(job.errors),
            "target": target_for(job.kind),
        },
    )


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    response = render(request, "imports/partials/progress.html", {"job": job})
    if getattr(request, "htmx", False) and not job.is_active:
        # The run ended: reload the page so the counts and the error report appear.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def error_report(request: HttpRequest, pk: int) -> FileResponse:
    job = _job_for(request, pk)
    if not job.error_report or not job.error_count:
        raise Http404
    return FileResponse(
        job.error_report.open("rb"),
        as_attachment=True,
        filename=f"import-{job.pk}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
@require_POST
def run_for_real(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if not (job.dry_run and job.status == ImportStatus.DONE):
        raise Http404
    new = services.rerun_as_import(job, actor=request.user)
    return redirect("imports:job", pk=new.pk)


@login_required
@require_POST
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    services.resume_import(job, actor=request.user)
    return redirect("imports:job", pk=job.pk)


def _require_export(request: HttpRequest) -> None:
    if not can(request.user, "customer", "export"):
        raise Http404


def _export_name(extension: str) -> str:
    return f"customers-{timezone.localdate().isoformat()}.{extension}"


@login_required
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _require_export(request)
    response = StreamingHttpResponse(
        csv_chunks(request.user, request.GET.get("q", "")), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> FileResponse:
    _require_export(request)
    return FileResponse(
        xlsx_file(request.user, request.GET.get("q", "")),
        as_attachment=True,
        filename=_export_name("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
