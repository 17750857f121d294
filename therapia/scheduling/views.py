from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from therapia.accounts.selectors import licence_warnings_for, practice_today
from therapia.clients import selectors as client_selectors
from therapia.clients.models import Episode
from therapia.core import idempotency
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.scheduling import availability as availability_services
from therapia.scheduling import (
    feeds,
    groups,
    reminders,
    selectors,
    series,
    services,
    session_policy,
)
from therapia.scheduling import follow_up as follow_up_services
from therapia.scheduling.forms import (
    AttendanceForm,
    BookingForm,
    CancelForm,
    FollowUpForm,
    MemberAttendanceForm,
    MoveForm,
    SettingsForm,
    TimeOffForm,
    WorkingHoursForm,
)
from therapia.scheduling.models import (
    Appointment,
    Attendance,
    Reminder,
    ReminderPreference,
    ReminderStatus,
    SessionKind,
    Status,
    TherapyGroup,
    TimeOff,
    WorkingHours,
)
from therapia.security import policy
from therapia.security.policy import Access


@staff_view
def agenda(request: AuthedRequest) -> HttpResponse:
    """Today's sessions, or another day's with ?day=YYYY-MM-DD."""
    zone = zoneinfo.ZoneInfo(request.actor.practice.time_zone)
    today = practice_today(request.actor.practice)
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else today
    except ValueError:
        day = today
    sessions = list(selectors.agenda_for(actor=request.actor, day=day))
    context = {
        "licence_warnings": licence_warnings_for(user=request.user, today=today),
        "day": day, "today": today, "sessions": sessions, "zone": zone, "nav": "agenda",
        "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
        "can_book": session_policy.can_book(request.actor),
    }
    return render(request, "scheduling/agenda.html", context)


def _day_param(request: AuthedRequest, name: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(name) or "") or default
    except ValueError:
        return default


@staff_view
def calendar(request: AuthedRequest) -> HttpResponse:
    """Day or week; the actor's own sessions or the practice's by room or clinician."""
    actor = request.actor
    today = practice_today(actor.practice)
    view = "day" if request.GET.get("view") == "day" else "week"
    scope = "practice" if request.GET.get("scope") == "practice" else "mine"
    if not actor.is_clinical:
        scope = "practice"
    by = "clinicians" if request.GET.get("by") == "clinicians" else "rooms"
    day = _day_param(request, "date", today)
    first = day if view == "day" else day - dt.timedelta(days=day.weekday())
    length = 1 if view == "day" else 7
    grid = selectors.calendar_for(actor=actor, first=first, days=length, scope=scope, by=by)
    step = dt.timedelta(days=length)
    context = {"cal": grid, "view": view, "scope": scope, "by": by, "first": first,
               "last": first + dt.timedelta(days=length - 1), "today": today,
               "previous": first - step, "next": first + step, "nav": "agenda",
               "can_book": session_policy.can_book(actor)}
    template = "scheduling/calendar.html"
    if request.htmx:
        template += "#calendar"
    return render(request, template, context)


def _booking_from(form: BookingForm) -> services.Booking:
    data = form.cleaned_data
    starts, ends = form.period()
    client = data.get("client")
    kind = data["kind"]
    return services.Booking(
        kind=kind, starts_at=starts, ends_at=ends, clinicians=list(data["clinicians"]),
        clients=[client] if client and kind == SessionKind.INDIVIDUAL else [],
        purpose=data["purpose"], format=data["format"], room=data.get("room"),
        unit=data.get("unit") if kind in (SessionKind.COUPLE, SessionKind.FAMILY) else None,
        group=data.get("group") if kind == SessionKind.GROUP else None)


def _field_errors(form: BookingForm | MoveForm, error: ValidationError) -> None:
    mapping = {"starts_at": "start", "ends_at": "minutes", "clients": "client",
               "time_zone": "time_zone"}
    if hasattr(error, "error_dict"):
        for name, problems in error.error_dict.items():
            target = mapping.get(name, name)
            for problem in problems:
                form.add_error(target if target in form.fields else None, problem.messages)
    else:
        form.add_error(None, error.messages)


@staff_view
@require_http_methods(["GET", "POST"])
def book(request: AuthedRequest) -> HttpResponse:
    actor = request.actor
    if not session_policy.can_book(actor):
        raise Http404
    earlier = idempotency.earlier_result(request)
    if earlier:
        return redirect("scheduling:session", public_id=earlier)
    initial = {"kind": request.GET.get("kind", SessionKind.INDIVIDUAL),
               "client": request.GET.get("client"), "day": request.GET.get("date"),
               "clinicians": [actor.membership.public_id] if actor.is_clinical else []}
    form = BookingForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                booking = _booking_from(form)
                if form.cleaned_data["repeats"]:
                    made = series.series_create(actor=actor, booking=booking, rule=form.rrule(),
                                                exceptions=form.cleaned_data["exceptions"])
                    first = made.appointments.order_by("starts_at").first()
                    assert first is not None  # noqa: S101 (series_create refuses an empty one)
                    result = first
                else:
                    result = services.appointment_book(actor=actor, booking=booking)
                idempotency.remember_submission(request, result_public_id=result.public_id)
        except ValidationError as error:
            _field_errors(form, error)
        except idempotency.DuplicateSubmission:
            earlier = idempotency.earlier_result(request)
            return redirect("scheduling:session", public_id=earlier)
        else:
            return redirect("scheduling:session", public_id=result.public_id)
    status = 422 if form.errors else 200
    form_token = idempotency.form_token(request)
    return render(request, "scheduling/book.html",
                  {"form": form, "form_token": form_token, "nav": "agenda"}, status=status)


def _session_context(request: AuthedRequest, appointment: Appointment,
                     **forms: object) -> dict[str, object]:
    actor = request.actor
    zone = zoneinfo.ZoneInfo(actor.practice.time_zone)
    local = appointment.starts_at.astimezone(zone)
    roster: list[Attendance] = []
    if appointment.group and session_policy.can_see_roster(actor, appointment.group):
        roster = list(appointment.attendance.select_related("client"))
    visible = set(policy.clients_visible_to(actor).filter(
        pk__in=[c.pk for c in appointment.clients.all()]).values_list("pk", flat=True))
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    move_initial = {"day": local.date(), "start": local.time(), "minutes": minutes,
                    "time_zone": actor.practice.time_zone,
                    "room": appointment.room.public_id if appointment.room else None}
    context: dict[str, object] = {
        "s": appointment, "zone": zone, "nav": "agenda", "roster": roster,
        "clients": [c for c in appointment.clients.all() if c.pk in visible],
        "clinicians": [m.user.display_name for m in appointment.clinicians.select_related("user")],
        "join_link": services.join_link(appointment, services.settings_for(actor.practice)),
        "can_change": session_policy.can_change(actor, appointment),
        "scheduled": appointment.status == Status.SCHEDULED,
        "move_form": MoveForm(initial=move_initial, actor=actor),
        "cancel_form": CancelForm(prefix="cancel"),
        "attendance_form": AttendanceForm(prefix="attendance"),
        "member_form": MemberAttendanceForm(),
    }
    context.update(forms)
    return context


@staff_view
def session(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    appointment = selectors.appointment_get_for(actor=request.actor, public_id=public_id)
    return render(request, "scheduling/session.html", _session_context(request, appointment))


def _changed(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    return redirect("scheduling:session", public_id=public_id)


@staff_view
@require_POST
def session_move(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    appointment = selectors.appointment_get_for(actor=actor, public_id=public_id)
    form = MoveForm(request.POST, actor=actor)
    if form.is_valid():
        starts, ends = form.period()
        try:
            if form.cleaned_data["following"] and appointment.series_id:
                made = series.series_change_following(actor=actor, appointment=appointment,
                                                      starts_at=starts, ends_at=ends)
                first = made.appointments.order_by("starts_at").first()
                return _changed(request, first.public_id if first else public_id)
            services.appointment_move(actor=actor, appointment=appointment, starts_at=starts,
                                      ends_at=ends, room=form.cleaned_data.get("room"))
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            _field_errors(form, error)
        else:
            return _changed(request, public_id)
    return render(request, "scheduling/session.html",
                  _session_context(request, appointment, move_form=form), status=422)


def _session_action(request: AuthedRequest, public_id: uuid.UUID, form_class: type[forms.Form],
                    prefix: str, act: Callable[[Appointment, dict[str, Any]], object]
                    ) -> HttpResponse:
    """A form posted from a session's page: the service runs, or the page comes back with
    the form's errors (422)."""
    appointment = selectors.appointment_get_for(actor=request.actor, public_id=public_id)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            act(appointment, form.cleaned_data)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return _changed(request, public_id)
    return render(request, "scheduling/session.html",
                  _session_context(request, appointment, **{f"{prefix}_form": form}),
                  status=422)


@staff_view
@require_POST
def session_cancel(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    return _session_action(request, public_id, CancelForm, "cancel", lambda appointment, data:
                           services.appointment_cancel(
                               actor=request.actor, appointment=appointment,
                               by_client=data["by"] == "client", reason=data["reason"]))


@staff_view
@require_POST
def session_attendance(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    return _session_action(request, public_id, AttendanceForm, "attendance",
                           lambda appointment, data: services.attendance_record(
                               actor=request.actor, appointment=appointment,
                               status=data["status"], reason=data["reason"]))


@staff_view
@require_POST
def member_attendance(request: AuthedRequest, public_id: uuid.UUID,
                      member_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    appointment = selectors.appointment_get_for(actor=actor, public_id=public_id)
    if appointment.group is None or not session_policy.can_see_roster(actor, appointment.group):
        raise Http404
    row = get_object_or_404(Attendance, appointment=appointment, public_id=member_id)
    form = MemberAttendanceForm(request.POST)
    if form.is_valid():
        try:
            services.group_attendance_record(actor=actor, appointment=appointment,
                                             client=row.client,
                                             status=form.cleaned_data["status"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return _changed(request, public_id)
    return render(request, "scheduling/session.html",
                  _session_context(request, appointment, member_form=form), status=422)


@staff_view
@require_http_methods(["GET", "POST"])
def client_sessions(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """A client's sessions (their own attendance only) and their reminder choice."""
    client = client_selectors.client_get_for(actor=request.actor, public_id=public_id)
    if request.method == "POST":
        try:
            services.reminder_preference_set(
                actor=request.actor, client=client,
                email_reminders=request.POST.get("email_reminders") == "on")
        except PermissionDenied:
            raise Http404 from None
        return redirect("scheduling:client_sessions", public_id=public_id)
    sessions = selectors.sessions_of_client(actor=request.actor, client=client)
    preference = ReminderPreference.objects.filter(client=client).first()
    return render(request, "scheduling/client_sessions.html",
                  {"client": client, "sessions": sessions, "nav": "clients",
                   "zone": zoneinfo.ZoneInfo(request.actor.practice.time_zone),
                   "reminders_on": preference is None or preference.email_reminders,
                   "can_book": session_policy.can_book_for(request.actor, client)})


@staff_view
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthedRequest) -> HttpResponse:
    actor = request.actor
    if not policy.can_manage_practice(actor):
        raise Http404
    current = services.settings_for(actor.practice)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.settings_update(actor=actor, data=form.cleaned_data)
        return redirect("scheduling:settings")
    return render(request, "scheduling/settings.html", {"form": form, "nav": "settings"},
                  status=422 if form.errors else 200)


@staff_view
@require_http_methods(["GET", "POST"])
def availability(request: AuthedRequest) -> HttpResponse:
    """The signed-in clinician's working hours and time off."""
    actor = request.actor
    if not actor.is_clinical:
        raise Http404
    hours_form = WorkingHoursForm(request.POST if "weekday" in request.POST else None)
    off_form = TimeOffForm(request.POST if "first_day" in request.POST else None)
    if request.method == "POST":
        if "remove" in request.POST:
            availability_services.availability_remove(actor=actor, public_id=request.POST["remove"])
            return redirect("scheduling:availability")
        if hours_form.is_bound and hours_form.is_valid():
            availability_services.working_hours_add(actor=actor, **hours_form.cleaned_data)
            return redirect("scheduling:availability")
        if off_form.is_bound and off_form.is_valid():
            availability_services.time_off_add(actor=actor, **off_form.cleaned_data)
            return redirect("scheduling:availability")
    context = {"hours": WorkingHours.objects.filter(membership=actor.membership),
               "time_off": TimeOff.objects.filter(membership=actor.membership),
               "hours_form": hours_form, "off_form": off_form, "nav": "agenda"}
    failed = hours_form.errors or off_form.errors
    return render(request, "scheduling/availability.html", context,
                  status=422 if failed else 200)


@staff_view
@require_http_methods(["GET", "POST"])
def feed_manage(request: AuthedRequest) -> HttpResponse:
    """Create, rotate or revoke the clinician's private calendar feed. The secret link is
    shown once, when it is made."""
    actor = request.actor
    if not actor.is_clinical:
        raise Http404
    link = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            feeds.feed_revoke(actor=actor)
        else:
            token = feeds.feed_rotate(actor=actor)
            link = request.build_absolute_uri(reverse("scheduling:feed", args=[token]))
    live = feeds.live_feed(actor)
    return render(request, "scheduling/feed.html",
                  {"live": live, "link": link, "nav": "agenda"})


def feed(request: AuthedRequest, token: str) -> HttpResponse:
    """The iCalendar feed: no session, the secret token is the key."""
    body = feeds.feed_body(token)
    if body is None:
        raise Http404
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@staff_view
def reminder_log(request: AuthedRequest) -> HttpResponse:
    actor = request.actor
    if not session_policy.sees_whole_schedule(actor):
        raise Http404
    problems = Reminder.objects.filter(
        practice=actor.practice, status__in=[ReminderStatus.FAILED, ReminderStatus.GAVE_UP]
    ).select_related("appointment", "client").order_by("-updated_at")[:100]
    counts = {status: Reminder.objects.filter(practice=actor.practice, status=status).count()
              for status in (ReminderStatus.SENT, ReminderStatus.PENDING,
                             ReminderStatus.FAILED, ReminderStatus.GAVE_UP)}
    return render(request, "scheduling/reminders.html",
                  {"problems": problems, "counts": counts, "nav": "agenda",
                   "zone": zoneinfo.ZoneInfo(actor.practice.time_zone),
                   "max_attempts": reminders.MAX_ATTEMPTS})


@staff_view
def group_list(request: AuthedRequest) -> HttpResponse:
    found = TherapyGroup.objects.filter(practice=request.actor.practice)
    return render(request, "scheduling/groups.html", {"groups": found, "nav": "agenda"})


@staff_view
@require_http_methods(["GET", "POST"])
def group_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    group = get_object_or_404(TherapyGroup, practice=actor.practice, public_id=public_id)
    can_manage = session_policy.can_manage_group(actor, group)
    error = ""
    if request.method == "POST":
        if not can_manage:
            raise Http404
        try:
            if request.POST.get("leave"):
                groups.member_leave(actor=actor, group=group, member_id=request.POST["leave"])
            else:
                client = client_selectors.client_get_for(
                    actor=actor, public_id=uuid.UUID(request.POST.get("client", "")))
                groups.member_join(actor=actor, group=group, client=client)
        except (ValidationError, ValueError) as problem:
            error = " ".join(getattr(problem, "messages", ["Choose a client."]))
        else:
            return redirect("scheduling:group", public_id=public_id)
    members = group.memberships.filter(left_on__isnull=True).select_related("client") \
        if can_manage else []
    candidates = policy.clients_visible_to(actor, Access.CLINICAL).exclude(
        group_memberships__group=group, group_memberships__left_on__isnull=True)[:200] \
        if can_manage else []
    return render(request, "scheduling/group.html",
                  {"group": group, "members": members, "can_manage": can_manage,
                   "count": groups.member_count(group), "candidates": candidates,
                   "error": error, "nav": "agenda"}, status=422 if error else 200)


@staff_view
@require_http_methods(["GET", "POST"])
def follow_up(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """Book follow-up sessions after discharge (from the episode)."""
    actor = request.actor
    episode = get_object_or_404(Episode, practice=actor.practice, public_id=public_id)
    client = client_selectors.client_get_for(actor=actor, public_id=episode.client.public_id)
    if not session_policy.can_book_for(actor, client):
        raise Http404
    initial = {"clinician": actor.membership.public_id if actor.is_clinical else None}
    form = FollowUpForm(request.POST or None, actor=actor, initial=initial)
    booked: list[Appointment] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booked = follow_up_services.follow_ups_book(
                actor=actor, episode=episode, clinician=data["clinician"],
                months=data["months"], start=data["start"], minutes=data["minutes"],
                format=data["format"], room=data.get("room"))
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return redirect("scheduling:client_sessions", public_id=client.public_id)
    return render(request, "scheduling/follow_up.html",
                  {"form": form, "episode": episode, "client": client, "booked": booked,
                   "nav": "clients"}, status=422 if form.errors else 200)
