"""Signup and preferences forms: every field validated, filter lines by the real parser."""

from functools import lru_cache, partial

from django import forms
from django.core.exceptions import ValidationError

from subscriptions.addresses import validate_address_characters
from subscriptions.filters import MAX_LINES, FilterError, validate_interest_lines
from subscriptions.models import Subscriber, Topic
from subscriptions.seeds import MAX_SEEDS, SeedError, seeds_from_export, seeds_parse
from subscriptions.services import Preferences
from subscriptions.timezones import all_zones, canonical_zone, canonical_zones, zone_choices

EXAMPLE_DESCRIPTION = ("How networks come to generalize despite overparameterization: "
                       "double descent, grokking, implicit bias of gradient descent.")
MAX_SEED_FILE_BYTES = 2_000_000
EXAMPLE_LINES = 'sparse autoencoder\n"language model" -robotics\ndiffus*'
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]
MAX_AUTHOR_LENGTH = 100


class TimezoneField(forms.ChoiceField):
    """A time zone, picked from the canonical ones grouped by region (subscriptions.timezones).
    Any name zoneinfo knows is accepted (an import, an older browser) and stored as the
    canonical zone it means. Listed lazily, as Django copies a form's fields for every form
    it makes (one per imported row), and checked by set membership."""

    def __init__(self, **kwargs):
        super().__init__(choices=zone_choices, **kwargs)

    def valid_value(self, value) -> bool:
        return value in all_zones()

    def clean(self, value) -> str:
        return canonical_zone(super().clean(value))


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
    description = forms.CharField(
        required=False, label="What you follow, in your own words", max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": EXAMPLE_DESCRIPTION}),
        help_text="A few sentences are enough; Paperboy learns from them which papers fit.")
    seed_papers = forms.CharField(
        required=False, label="Papers like the ones you want", max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false",
                                     "placeholder": "2508.13426\nhttps://arxiv.org/abs/2401.00001"}),
        help_text=f"arXiv ids or links, one per line, at most {MAX_SEEDS}.")
    seed_file = forms.FileField(
        required=False, label="…or your library", widget=forms.ClearableFileInput(
            attrs={"accept": ".bib,.json,.txt,application/json,text/plain"}),
        help_text="A BibTeX file or a Zotero export (CSL JSON): its arXiv papers are added.")
    recommendations = forms.BooleanField(
        required=False, initial=True, label="Also recommend papers that fit what I follow",
        help_text="Beyond the papers your lines match, learned from your description, your "
                  "papers and your clicks on “More like this” / “Less like this”.")

    def clean_seed_papers(self) -> str:
        try:
            return "\n".join(seeds_parse(self.cleaned_data["seed_papers"]))
        except SeedError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_seed_file(self):
        upload = self.cleaned_data.get("seed_file")
        if not upload:
            return []
        if upload.size > MAX_SEED_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB; export only the papers "
                                        "you want to start from.")
        try:
            return seeds_from_export(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not text (UTF-8).") from None
        except SeedError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        from_file = data.get("seed_file") or []
        if from_file and "seed_papers" in data:
            combined = list(dict.fromkeys(data["seed_papers"].split() + from_file))
            if len(combined) > MAX_SEEDS:
                self.add_error("seed_file", f"With the file you would have {len(combined)} "
                                            f"seed papers; at most {MAX_SEEDS}, please.")
            else:
                data["seed_papers"] = "\n".join(combined)
        return data

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
            min_upvotes=data["min_upvotes"], description=data.get("description", ""),
            seed_papers=data.get("seed_papers", ""),
            recommendations=data.get("recommendations", True))

    @classmethod
    def for_subscriber(cls, subscriber: Subscriber, **kwargs) -> "PreferencesForm":
        initial = vars(Preferences.of(subscriber))
        zone = initial["timezone"] = canonical_zone(subscriber.timezone)
        form = cls(initial=initial, **kwargs)
        if zone not in canonical_zones():  # kept as it is (Etc/GMT+5): offered, so a save keeps it
            form.fields["timezone"].choices = [*zone_choices(), ("Other", [(zone, zone)])]
        return form


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
    field_order = ["email", "topics", "interests", "authors", "description", "seed_papers",
                   "seed_file", "recommendations", "frequency", "send_hour", "timezone",
                   "papers_per_email", "min_upvotes", "website"]


class LinkRequestForm(MailingForm):
    pass


class ImportedRowForm(AddressForm, PreferencesForm):
    """One row of an imported list, held to the signup form's rules; a value a visitor picks
    from a list is explained rather than "Select a valid choice". Topics come by slug: the
    import checks them against `TOPICS`, the choices of the signup form, loaded once a file.

    An import checks all its rows with one form (`rebind`): the fields are copied once, not
    once a row, and each field keeps its outcome for the last values it saw, since here every
    field's rules depend on its own value alone. The outcome, messages included, is the one
    a new form would give (tests/subscriptions/test_import.py compares them)."""

    TOPICS = PreferencesForm.base_fields["topics"].queryset
    topics = None
    seed_file = None  # a list brings its seed papers as ids, in its seed_papers column
    recommendations = None  # not a column: imported readers get the default (on)

    INVALID_CHOICE = {"frequency": "Not daily or weekly.",
                      "send_hour": "Not a whole hour from 0 to 23.",
                      "timezone": "Not a time zone name (such as Europe/Paris)."}
    OUTCOMES_KEPT = 10_000  # per field: frequencies, zones, hours, lines that recur

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.INVALID_CHOICE.items():
            self.fields[name].error_messages["invalid_choice"] = message
        self._outcome = {name: lru_cache(self.OUTCOMES_KEPT)(partial(self._field_outcome, name))
                         for name in self.fields}

    def rebind(self, data: dict) -> "ImportedRowForm":
        """This form, checking another row."""
        self.data, self._errors, self._bound_fields_cache = data, None, {}
        return self

    def _clean_fields(self):
        # Django's, with each field's outcome looked up by its value.
        for name, field in self.fields.items():
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            cleaned, error = self._outcome[name](value)
            if error is None:
                self.cleaned_data[name] = cleaned
            else:
                self.add_error(name, error)

    def _field_outcome(self, name: str, value) -> tuple[object, ValidationError | None]:
        """The field's cleaning and the form's clean_<name>, which sees this field alone."""
        row, self.cleaned_data = self.cleaned_data, {}
        try:
            self.cleaned_data[name] = self.fields[name].clean(value)
            clean_field = getattr(self, f"clean_{name}", None)
            return (clean_field() if clean_field else self.cleaned_data[name]), None
        except ValidationError as error:
            return None, error
        finally:
            self.cleaned_data = row
