"""What a consultation is printed and shared as: QR codes of its public form's address, a poster,
and the report of what came in (printable A4 page, and a CSV file of the redacted feedback).

QR codes come from segno (pure Python, no imaging library). Error correction is level M (15% of
the code can be damaged), a common choice for a printed poster that may be scuffed or partly
covered. A CSV download is audited: it is feedback leaving the workspace.
"""

from __future__ import annotations

import io

import segno
from flask import Response, current_app, render_template, url_for

from intake.export import records, to_csv_rows
from intake.feedback_query import FeedbackFilters
from intake.staff import consultations as core
from intake.staff.dates import local_date, show_moment
from intake.staff.labels import Labels
from intake.staff.permissions import Action
from webhooks.runtime import current_runtime
from webhooks.staff.auth import principal, requires
from webhooks.staff.blueprint import blueprint
from webhooks.staff.consultations import (
    consultation_or_404,
    entry_points_for,
    questions_for_page,
    status_tag,
    summary_for_page,
)

QR_ERROR_LEVEL = "m"
QR_BORDER = 4           # the quiet zone the QR standard asks for, in modules
PNG_SCALE = 12          # pixels per module: about 4 cm across at 300 dpi for a short address
REPORT_LIMIT = 2_000    # comments printed in the report; the CSV has them all


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error=QR_ERROR_LEVEL, micro=False)


def qr_svg(url: str) -> bytes:
    """A scalable SVG (no fixed size, so CSS sizes it) titled with the address it opens."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", border=QR_BORDER, xmldecl=False, omitsize=True,
                      title=url, svgclass=None, lineclass=None)
    return out.getvalue()


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=PNG_SCALE, border=QR_BORDER)
    return out.getvalue()


def _form_url(slug: str) -> str:
    with current_runtime().sessions() as db:
        return entry_points_for(consultation_or_404(db, slug)).form_url


@blueprint.get("/consultations/<slug>/qr.svg")
@requires(Action.READ_QUEUE)
def consultation_qr_svg(slug: str) -> Response:
    return Response(qr_svg(_form_url(slug)), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=300"})


@blueprint.get("/consultations/<slug>/qr.png")
@requires(Action.READ_QUEUE)
def consultation_qr_png(slug: str) -> Response:
    return Response(qr_png(_form_url(slug)), mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=300"})


@blueprint.get("/consultations/<slug>/poster")
@requires(Action.READ_QUEUE)
def consultation_poster(slug: str) -> str:
    """An A4 poster: the question, the QR code, the address, the SMS keyword, the Telegram link."""
    config = current_runtime().config
    with current_runtime().sessions() as db:
        found = consultation_or_404(db, slug)
        default = config.languages.default
        return render_template(
            "staff/consultation_poster.html", title=f"Poster: {found.title}", consultation=found,
            entry=entry_points_for(found), question=found.questions.get(default, ""),
            other_questions=[q for q in questions_for_page(found) if q["code"] != default],
            privacy_url=current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("public.privacy"))


@blueprint.get("/consultations/<slug>/report")
@requires(Action.READ_QUEUE)
def consultation_report(slug: str) -> str:
    """What came in, for the governing body: counts, FFT, then every comment (redacted)."""
    runtime = current_runtime()
    now = runtime.intake.clock()
    labels = Labels(runtime.config)
    with runtime.sessions() as db:
        found = consultation_or_404(db, slug)
        comments = [{"reference": f.reference, "received": show_moment(f.received_at),
                     "channel": labels.channel(f.channel), "rating": labels.fft(f.fft_rating),
                     "text": f.redacted_text}
                    for f in core.feedback_for_report(db, found, REPORT_LIMIT)]
        summary = summary_for_page(db, found)
        return render_template(
            "staff/consultation_report.html", title=f"Report: {found.title}", consultation=found,
            status=status_tag(found, now), questions=questions_for_page(found),
            opens=show_moment(found.opens_at), closes=show_moment(found.closes_at),
            printed=show_moment(now), summary=summary, comments=comments,
            cut=summary["total"] > len(comments))


@blueprint.get("/consultations/<slug>/report.csv")
@requires(Action.READ_QUEUE)
def consultation_csv(slug: str) -> Response:
    """The consultation's feedback as the standard export (redacted text, tags, links), with a
    byte-order mark so Excel reads Urdu and Polish correctly."""
    runtime, who = current_runtime(), principal()
    now = runtime.intake.clock()
    with runtime.sessions() as db:
        found = consultation_or_404(db, slug)
        core.record_export(db, found, who.actor, now, "csv")
        db.commit()
        text = "".join(to_csv_rows(records(db, FeedbackFilters(consultation=found.slug))))
    filename = f"consultation-{slug}-{local_date(now).isoformat()}.csv"
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})
