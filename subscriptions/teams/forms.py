"""The team forms: a new team, its settings, and invitations."""

from email.utils import parseaddr

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from subscriptions.addresses import email_normalize, validate_address_characters
from subscriptions.forms import HOURS, TimezoneField
from subscriptions.models import Subscriber
from subscriptions.teams.membership import MAX_MEMBERS, Invitee, TeamSchedule

EXAMPLE_MEMBERS = "Ada Lovelace <ada@lab.example.org>\ngrace@lab.example.org"


def invitee_parse(line: str, number: int) -> Invitee:
    """`Name <address>` or a bare address; ValidationError naming the line otherwise."""
    name, address = parseaddr(line)
    try:
        if not address or "<" in address or ">" in address:
            raise ValidationError("")
        validate_email(address)
        validate_address_characters(address)
    except ValidationError:
        raise ValidationError(f"Line {number}: “{line[:60]}” is not an email address "
                              f"(write one address per line, or Name <address>).") from None
    return Invitee(email=email_normalize(address), name=" ".join(name.split())[:60])


class MembersField(forms.CharField):
    """Addresses to invite, one per line, each `Name <address>` or a bare address."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={
            "rows": 4, "spellcheck": "false", "placeholder": EXAMPLE_MEMBERS}))
        super().__init__(max_length=MAX_MEMBERS * 120, **kwargs)

    def clean(self, value) -> list[Invitee]:
        lines = [line.strip() for line in super().clean(value).splitlines() if line.strip()]
        if len(lines) > MAX_MEMBERS:
            raise ValidationError(f"At most {MAX_MEMBERS} members, please.")
        invitees = [invitee_parse(line, number) for number, line in enumerate(lines, start=1)]
        return list({invitee.email: invitee for invitee in reversed(invitees)}.values())[::-1]


class TeamSettingsForm(forms.Form):
    name = forms.CharField(max_length=100, label="Team name")
    frequency = forms.ChoiceField(choices=Subscriber.Frequency.choices, widget=forms.RadioSelect,
                                  initial=Subscriber.Frequency.DAILY)
    send_hour = forms.TypedChoiceField(choices=HOURS, coerce=int, initial=8,
                                       label="Send at (the team's time)")
    timezone = TimezoneField(initial="UTC", label="Time zone")
    papers_per_email = forms.IntegerField(
        min_value=1, max_value=50, initial=15, label="Papers per email",
        help_text="Chosen so that every member's best papers are in it.")

    def schedule(self) -> TeamSchedule:
        data = self.cleaned_data
        return TeamSchedule(frequency=data["frequency"], timezone=data["timezone"],
                            send_hour=data["send_hour"],
                            papers_per_email=data["papers_per_email"])


class TeamForm(TeamSettingsForm):
    address = forms.EmailField(
        label="Send the team's digest to", max_length=254,
        validators=[validate_address_characters],
        help_text="A mailing list, say. We mail it a link to confirm first.")
    members = MembersField(
        required=False, label="Invite members",
        help_text="Paperboy readers, one address per line. Each gets an invitation and counts "
                  "once they accept; you are a member already.")
    field_order = ["name", "address", "members", "frequency", "send_hour", "timezone",
                   "papers_per_email"]


class InviteForm(forms.Form):
    members = MembersField(label="Invite members",
                           help_text="Paperboy readers, one address per line.")
