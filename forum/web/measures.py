"""Community measures: the admin dashboard and its CSV/JSON, the page shared with members, and
the member's own consented check-in."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required

from ..errors import ValidationFailed
from ..services.measures import checkins, report as measures
from ..services.measures.charts import bar_chart, trend_points
from .forms import EmptyForm

bp = Blueprint("measures", __name__)


def _period_or_errors() -> tuple[measures.Period | None, dict]:
    try:
        return measures.parse_period(request.args.get("from"), request.args.get("to")), {}
    except ValidationFailed as exc:
        return None, exc.reasons


def _entered(period: measures.Period | None) -> dict[str, str]:
    """What the date fields show: what was typed, else the period shown."""
    shown = {"from": period.start.isoformat(), "to": period.last_day.isoformat()} if period else {}
    return {k: request.args.get(k) or shown.get(k, "") for k in ("from", "to")}


def _report_page(template: str, access, ensure):
    # Authorize before saying anything about the dates.
    ensure(current_user)
    period, errors = _period_or_errors()
    report = access(period, acting_user=current_user) if period else None
    return render_template(template, report=report, errors=errors, chart=bar_chart,
                           minimum=measures.MIN_PEOPLE, suppressed=measures.SUPPRESSED,
                           entered=_entered(period),
                           checkin_citation=checkins.CITATION), (400 if errors else 200)


@bp.get("/admin/measures")
@login_required
def dashboard():
    """The admin dashboard: weekly charts and tables of every figure."""
    return _report_page("measures/dashboard.html", measures.access_dashboard,
                        measures.ensure_dashboard_viewer)


@bp.get("/community/measures")
@login_required
def shared():
    """The same aggregates, shared with every member."""
    return _report_page("measures/shared.html", measures.access_shared,
                        measures.ensure_shared_viewer)


def _export(kind: str) -> Response:
    measures.ensure_dashboard_viewer(current_user)
    period, errors = _period_or_errors()
    if period is None:
        message = "; ".join(m for msgs in errors.values() for m in msgs)
        return Response(message + "\n", status=400, mimetype="text/plain")
    report = measures.access_dashboard(period, acting_user=current_user)
    name = f"community-measures-{period.start.isoformat()}-{period.last_day.isoformat()}.{kind}"
    body = measures.to_csv(report) if kind == "csv" else measures.to_json(report)
    mimetype = "text/csv" if kind == "csv" else "application/json"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/admin/measures.csv")
@login_required
def dashboard_csv():
    """The dashboard's aggregates as CSV, for grant reports."""
    return _export("csv")


@bp.get("/admin/measures.json")
@login_required
def dashboard_json():
    """The dashboard's aggregates as JSON."""
    return _export("json")


def _checkin_page(errors: dict | None = None, answers: dict | None = None, status: int = 200):
    trend = checkins.own_trend(acting_user=current_user)
    return render_template(
        "measures/checkin.html", form=EmptyForm(), errors=errors or {}, answers=answers or {},
        opted_in=checkins.is_opted_in(current_user), due=checkins.is_due(current_user),
        next_due=checkins.next_due(current_user), trend=trend,
        barc_line=trend_points([p.barc_total for p in trend], 10, 60),
        connected_line=trend_points([p.connected for p in trend], 1, 5),
        items=list(enumerate(checkins.BARC_ITEMS, start=1)),
        agreement=checkins.AGREEMENT_SCALE, connected_scale=checkins.CONNECTED_SCALE,
        connected_question=checkins.CONNECTED_QUESTION, citation=checkins.CITATION,
    ), status


@bp.get("/account/checkin")
@login_required
def checkin():
    """The member's check-in: what is stored, the form when due, and their own trend."""
    return _checkin_page()


@bp.post("/account/checkin")
@login_required
def submit_checkin():
    """Store one check-in; a refused one comes back with the answers kept."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return _checkin_page({"": [_("Please send the form again.")]}, request.form, 400)
    try:
        checkins.check_submit(request.form, acting_user=current_user)
    except ValidationFailed as exc:
        return _checkin_page(exc.reasons, request.form, 400)
    flash(_("Thank you. Your check-in is saved; the next one opens in four weeks."), "success")
    return redirect(url_for("measures.checkin"))


@bp.post("/account/checkin/opt-in")
@login_required
def opt_in():
    """Opt in to the four-weekly check-in."""
    if EmptyForm().validate_on_submit():
        checkins.do_opt_in(acting_user=current_user)
        flash(_("You opted in. You can withdraw at any time."), "success")
    return redirect(url_for("measures.checkin"))


@bp.post("/account/checkin/withdraw")
@login_required
def withdraw():
    """Withdraw: every answer is erased."""
    if EmptyForm().validate_on_submit():
        count = checkins.do_withdraw(acting_user=current_user)
        flash(ngettext("You withdrew. %(num)d answer was erased.",
                       "You withdrew. %(num)d answers were erased.", count), "success")
    return redirect(url_for("measures.checkin"))
