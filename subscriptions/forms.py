"""Signup and preferences forms: every field validated, filter lines by the real parser."""

import zoneinfo

from django import forms

from subscriptions.addresses import validate_address_characters
from subscriptions.filters import MAX_LINES, FilterError, validate_interest_lines
from subscriptions.models import Subscriber, Topic
from subscriptions.services import Preferences

TIMEZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
TIMEZONE_NAMES = frozenset(TIMEZONES)
EXAMPLE_LINES = 'sparse autoencoder\n"language model" -robotics\ndiffus*'
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]
MAX_AUTHOR_LENGTH = 100


class TimezoneField(forms.ChoiceField):
    """One of the ~600 IANA zones. Listed lazily, as Django copies a form's fields for every
    form it makes (one per imported row), and checked by set membership."""

    def __init__(self, **kwargs):
        super().__init__(choices=lambda: [(name, name) for name in TIMEZONES], **kwargs)

    def valid_value(self, value) -> bool:
        return value in TIMEZONE_NAMES


class InterestLinesField(forms.CharField):
    """Interest lines, checked and tidied by the filter language's one validator: the
    signup and preferences forms and the admin's subscriber and topic forms use this field,
    so a bad line reads the same in each (and in the import and the live preview)."""

    def clean(self, value) -> str:
        try:
            return validate_interest_lines(super().clean(value))
        except FilterError as error:
            raise forms.ValidationError(str(error), code="filter") from None


class TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, topic: Topic) -> str:
        return topic.name


class PreferencesForm(forms.Form):
    topics = TopicChoiceField(
        queryset=Topic.objects.filter(is_active=True), required=False, to_field_name="slug",
        widget=forms.CheckboxSelectMultiple)
    interests = InterestLinesField(
        required=False, label="Interests", max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false",
                                     "placeholder": EXAMPLE_LINES}),
        help_text=f"One query per line, at most {MAX_LINES} lines.")
    authors = forms.CharField(
        required=False, label="Authors to follow", max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Yann LeCun"}),
        help_text="One name per line.")
    frequency = forms.ChoiceField(choices=Subscriber.Frequency.choices,
                                  widget=forms.RadioSelect, initial=Subscriber.Frequency.DAILY)
    send_hour = forms.TypedChoiceField(choices=HOURS, coerce=int, initial=8,
                                       label="Send at (your time)")
    timezone = TimezoneField(initial="UTC", label="Time zone")
    papers_per_email = forms.IntegerField(min_value=1, max_value=50, initial=10,
                                          label="Papers per email")
    min_upvotes = forms.IntegerField(min_value=0, max_value=10_000, initial=0,
                                     label="Minimum upvotes on Hugging Face")

    def clean_authors(self) -> str:
        names = [" ".join(line.split()) for line in self.cleaned_data["authors"].splitlines()]
        names = [name.replace('"', "") for name in names if name]
        if len(names) > MAX_LINES:
            raise forms.ValidationError(f"At most {MAX_LINES} authors, please.")
        for name in names:
            if len(name) > MAX_AUTHOR_LENGTH or not any(char.isalpha() for char in name):
                raise forms.ValidationError(f"“{name[:40]}” does not look like a name.")
        return "\n".join(names)

    def preferences(self) -> Preferences:
        data = self.cleaned_data
        return Preferences(
            topics=list(data.get("topics", [])), interests=data["interests"],
            authors=data["authors"], frequency=data["frequency"], send_hour=data["send_hour"],
            timezone=data["timezone"], papers_per_email=data["papers_per_email"],
            min_upvotes=data["min_upvotes"])

    @classmethod
    def for_subscriber(cls, subscriber: Subscriber, **kwargs) -> "PreferencesForm":
        return cls(initial=vars(Preferences.of(subscriber)), **kwargs)


class AddressForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254,
                             validators=[validate_address_characters],
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class MailingForm(AddressForm):
    """A form that mails the address typed in it, with a honeypot for bots."""

    # Humans never see this field; bots fill every field they find.
    website = forms.CharField(required=False, label="Leave this empty",
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))

    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class SignupForm(MailingForm, PreferencesForm):
    field_order = ["email", "topics", "interests", "authors", "frequency", "send_hour",
                   "timezone", "papers_per_email", "min_upvotes", "website"]


class LinkRequestForm(MailingForm):
    pass


class ImportedRowForm(AddressForm, PreferencesForm):
    """One row of an imported list, held to the signup form's rules; a value a visitor picks
    from a list is explained rather than "Select a valid choice". Topics come by slug: the
    import checks them against `TOPICS`, the choices of the signup form, loaded once a file."""

    TOPICS = PreferencesForm.base_fields["topics"].queryset
    topics = None

    INVALID_CHOICE = {"frequency": "Not daily or weekly.",
                      "send_hour": "Not a whole hour from 0 to 23.",
                      "timezone": "Not a time zone name (such as Europe/Paris)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.INVALID_CHOICE.items():
            self.fields[name].error_messages["invalid_choice"] = message
