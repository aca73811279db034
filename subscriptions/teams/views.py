"""The team pages: a reader's teams (from their manage page), a team its owner manages, and
the pages behind a team's mailed links (a member's invitation, the address's confirmation,
the team's unsubscribe link). As everywhere: GET shows a button and changes nothing, POST
acts; the unsubscribe link also takes the RFC 8058 one-click POST; pages behind a signed
link are never cached and send no Referer."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from subscriptions import tokens
from subscriptions.models import Subscriber, Team
from subscriptions.pausing import PAUSES
from subscriptions.private_pages import token_page
from subscriptions.teams import links
from subscriptions.teams.forms import InviteForm, TeamForm, TeamSettingsForm
from subscriptions.teams.membership import (
    MAX_TEAMS_OWNED,
    TeamSchedule,
    team_address_ask,
    team_address_confirm,
    team_create,
    team_delete,
    team_invite,
    team_member_join,
    team_member_remove,
    team_pause,
    team_paused_until,
    team_resume,
    team_unsubscribe,
    team_update,
)
from subscriptions.views import bad_link, limited, too_many

TEAM_MAILS = "10/h"  # team actions that mail typed addresses, per reader


def _reader(token: str) -> Subscriber:
    """The reader whose manage link this is (tokens.BadToken when none may use it)."""
    subscriber = tokens.token_read(token=token, purpose=tokens.MANAGE)
    if subscriber.status in (Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED):
        raise tokens.BadToken("suppressed")
    return subscriber


def _mails_too_often(request: HttpRequest, subscriber: Subscriber) -> bool:
    return limited(request, group="team-mail", key=lambda group, request: subscriber.token,
                   rate=TEAM_MAILS)


@token_page
@require_http_methods(["GET", "POST"])
def teams(request: HttpRequest, token: str) -> HttpResponse:
    """The reader's teams: those they manage, those they are in (to leave), a new one."""
    try:
        subscriber = _reader(token)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    owned = Team.objects.filter(owner=subscriber)
    may_create = subscriber.status == Subscriber.Status.ACTIVE
    form = TeamForm(initial={"timezone": subscriber.timezone, "send_hour": subscriber.send_hour})
    action = request.POST.get("action")
    if request.method == "POST" and action == "leave":
        member = subscriber.team_memberships.filter(key=request.POST.get("member", "")).first()
        if member is not None:
            team_member_remove(member=member)
            messages.success(request, f"You left “{member.team.name}”.")
        return redirect(request.path)
    if request.method == "POST" and action == "create" and may_create:
        form = TeamForm(request.POST)
        if owned.count() >= MAX_TEAMS_OWNED:
            form.add_error(None, f"You manage {MAX_TEAMS_OWNED} teams already, the most one "
                                 f"reader can.")
        elif form.is_valid():
            if _mails_too_often(request, subscriber):
                return too_many(request)
            team = team_create(name=form.cleaned_data["name"],
                               address=form.cleaned_data["address"], owner=subscriber,
                               schedule=form.schedule(),
                               invitees=form.cleaned_data["members"], now=timezone.now())
            messages.success(request, f"Team created. We mailed {team.address} a link to "
                                      f"confirm, and an invitation to each reader you named.")
            return redirect("subscriptions:team", token=token, key=team.key)
    memberships = (subscriber.team_memberships.select_related("team")
                   .exclude(team__owner=subscriber))
    return render(request, "subscriptions/teams.html", {
        "subscriber": subscriber, "owned": owned, "memberships": memberships, "form": form,
        "may_create": may_create, "manage_url": reverse("subscriptions:manage", args=[token]),
        "token": token})


@token_page
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest, token: str, key: str) -> HttpResponse:
    """A team its owner manages: its settings, members, invitations, pause, end."""
    try:
        subscriber = _reader(token)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    team = Team.objects.filter(key=key, owner=subscriber).first()
    if team is None:
        return bad_link(request, "invalid")
    settings_form = TeamSettingsForm(initial={"name": team.name, **vars(TeamSchedule.of(team))})
    invite_form = InviteForm()
    action = request.POST.get("action")
    if request.method == "POST":
        answer = _team_action(request, team, subscriber, action, token)
        if isinstance(answer, HttpResponse):
            return answer
        settings_form, invite_form = answer or (settings_form, invite_form)
    return render(request, "subscriptions/team.html", {
        "team": team, "subscriber": subscriber, "settings_form": settings_form,
        "invite_form": invite_form, "members": team.members.select_related("subscriber"),
        "pauses": {name: label for name, (label, _) in PAUSES.items()},
        "paused": team_paused_until(team, now=timezone.now()),
        "teams_url": reverse("subscriptions:teams", args=[token])})


def _team_action(request: HttpRequest, team: Team, subscriber: Subscriber, action: str | None,
                 token: str):
    """An owner's POST: a response (done, or refused), or the forms to show again."""
    now = timezone.now()
    if action == "save":
        form = TeamSettingsForm(request.POST)
        if not form.is_valid():
            return form, InviteForm()
        team_update(team=team, name=form.cleaned_data["name"], schedule=form.schedule())
        messages.success(request, "Saved. The team's next digest follows these settings.")
    elif action == "invite":
        form = InviteForm(request.POST)
        if not form.is_valid():
            return None, form
        if _mails_too_often(request, subscriber):
            return too_many(request)
        added = team_invite(team=team, invitees=form.cleaned_data["members"], now=now)
        messages.success(request, f"Invited {added} new address{'es' if added != 1 else ''}; "
                                  f"each counts once they accept.")
    elif action == "remove":
        member = team.members.filter(key=request.POST.get("member", "")).first()
        if member is not None:
            team_member_remove(member=member)
            messages.success(request, f"Removed {member.email} from the team.")
    elif action == "ask":
        if _mails_too_often(request, subscriber):
            return too_many(request)
        if team_address_ask(team=team):
            messages.success(request, f"We mailed {team.address} a new link to confirm.")
    elif action in PAUSES:
        until = team_pause(team=team, choice=action, now=now)
        messages.success(request, f"Paused for {PAUSES[action][0]}: no team digests until "
                                  f"after {until:%-d %B}.")
    elif action == "resume":
        team_resume(team=team)
        messages.success(request, "Resumed: the team's digests start again.")
    elif action == "delete":
        if request.POST.get("delete_confirmed") != "yes":
            messages.error(request, "Tick the box to confirm that the team should go.")
        else:
            team_delete(team=team)
            messages.success(request, f"The team “{team.name}” is deleted.")
            return redirect("subscriptions:teams", token=token)
    return redirect(request.path)


@token_page
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """A member's invitation: GET shows the button, the invitee's POST is their consent."""
    try:
        member = links.invitation_read(token)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    state = "joined" if member.confirmed else "ask"
    if request.method == "POST" and not member.confirmed:
        if team_member_join(member=member, now=timezone.now()) is None:
            state = "not-a-reader"
        else:
            state = "joined"
    return render(request, "subscriptions/team_link.html",
                  {"kind": "join", "state": state, "team": member.team, "member": member})


@token_page
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The address's confirmation: GET shows the button, the POST turns the team on."""
    try:
        team = links.confirmation_read(token)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    state = "ask"
    if request.method == "POST":
        if not team_address_confirm(team=team, now=timezone.now()):
            return bad_link(request, "used")
        state = "confirmed"
    return render(request, "subscriptions/team_link.html",
                  {"kind": "confirm", "state": state, "team": team})


@csrf_exempt  # RFC 8058: mailbox providers POST without cookies or a CSRF token
@token_page
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The team's unsubscribe link: stops the team's digest, not its members' own."""
    try:
        team = links.unsubscribe_read(token)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    state = "ask"
    if request.method == "POST":
        team_unsubscribe(team=team, now=timezone.now())
        state = "unsubscribed"
    return render(request, "subscriptions/team_link.html",
                  {"kind": "unsubscribe", "state": state, "team": team})

