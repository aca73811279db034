"""Seed papers: the arXiv papers a reader names, typed as ids or links or taken from a BibTeX
or Zotero export, as the parser reads them and as the signup and preferences pages save them."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from subscriptions import tokens
from subscriptions.models import SignupRequest, Subscriber
from subscriptions.seeds import SeedError, seeds_from_export, seeds_parse
from tests.subscriptions.factories import SubscriberFactory
from tests.web import last_mail_to, links_in, signup_data

SIGNUP = "/"

# A library as Zotero's and Google Scholar's BibTeX exports write it: an arXiv preprint by its
# eprint field, one by its arxiv.org link and arXiv's DOI, one only in its journal field, and a
# conference paper that is not on arXiv at all (its DOI, pages and year are not ids).
BIBTEX = r"""% Exported from Zotero
@misc{ouyang_sparse_2025,
	title = {Sparse Autoencoders at Scale},
	author = {Ouyang, Mei and Herrera, Tomás},
	year = {2025},
	eprint = {2508.13426},
	archivePrefix = {arXiv},
	primaryClass = {cs.LG},
	note = {arXiv:2508.13426 [cs]},
}

@article{vaswani_attention_2017,
	title = {Attention {Is} {All} {You} {Need}},
	url = {http://arxiv.org/abs/1706.03762},
	doi = {10.48550/arXiv.1706.03762},
	urldate = {2025-01-12},
	publisher = {arXiv},
	author = {Vaswani, Ashish and Shazeer, Noam},
	month = jun,
	year = {2017},
	keywords = {Computer Science - Computation and Language},
}

@article{lee_probes_2024,
	title = {Linear Probes Revisited},
	journal = {arXiv preprint arXiv:2401.00001},
	year = {2024},
}
"""
NOT_ON_ARXIV = r"""
@inproceedings{he_deep_2016,
	title = {Deep Residual Learning for Image Recognition},
	booktitle = {Proceedings of {CVPR}},
	pages = {770--778},
	year = {2016},
	doi = {10.1109/CVPR.2016.90},
}
"""
BIBTEX = BIBTEX + NOT_ON_ARXIV
BIBTEX_IDS = ["2508.13426", "1706.03762", "2401.00001"]

# Zotero's "CSL JSON" export: each item's arXiv id is in its URL, its DOI or its number.
CSL_JSON = json.dumps([
    {"id": "http://zotero.org/users/1234/items/ABCD2345", "type": "article",
     "title": "Grokking as Compression", "publisher": "arXiv", "source": "arXiv.org",
     "URL": "http://arxiv.org/abs/2401.00001v2", "accessed": {"date-parts": [[2025, 3, 1]]},
     "issued": {"date-parts": [[2024, 1, 2]]},
     "author": [{"family": "Okafor", "given": "Mira"}]},
    {"id": "http://zotero.org/users/1234/items/BCDE3456", "type": "article",
     "title": "Double Descent, Revisited", "DOI": "10.48550/arXiv.2402.00002",
     "issued": {"date-parts": [[2024, 2, 5]]}},
    {"id": "http://zotero.org/users/1234/items/CDEF4567", "type": "article",
     "title": "Implicit Bias of Gradient Descent", "number": "arXiv:2403.00003",
     "issued": {"date-parts": [[2024, 3, 9]]}},
    {"id": "http://zotero.org/users/1234/items/DEFG5678", "type": "article-journal",
     "title": "Deep Residual Learning for Image Recognition", "DOI": "10.1109/CVPR.2016.90",
     "page": "770-778", "container-title": "Proceedings of CVPR",
     "issued": {"date-parts": [[2016, 6, 27]]}},
], indent=2)
CSL_JSON_IDS = ["2401.00001", "2402.00002", "2403.00003"]


def new_ids(count: int, start: int = 0) -> list[str]:
    return [f"2501.{n:05d}" for n in range(start, start + count)]


# --- reading what a reader typed -------------------------------------------------------------


def test_ids_and_links_as_readers_write_them_become_arxiv_ids():
    typed = """2508.13426
https://arxiv.org/abs/2401.00001v2
http://arxiv.org/pdf/2402.00002v1.pdf
https://arxiv.org/pdf/2402.00003v3
https://huggingface.co/papers/2403.00004
arXiv:2404.00005, hep-th/9901001
https://arxiv.org/abs/2508.13426"""
    assert seeds_parse(typed) == ["2508.13426", "2401.00001", "2402.00002", "2402.00003",
                                  "2403.00004", "2404.00005", "hep-th/9901001"]
    assert seeds_parse("  \n ") == []


@pytest.mark.parametrize("junk", [
    "https://example.org/papers/2508.13426",
    "10.1109/CVPR.2016.90",
    "2508.134",
    "https://arxiv.org/list/cs.LG/recent",
])
def test_anything_but_an_id_or_arxiv_link_is_refused_in_one_line_naming_it(junk):
    with pytest.raises(SeedError) as refused:
        seeds_parse(f"2508.13426\n{junk}")
    assert str(refused.value) == (f"“{junk}” is not an arXiv id or link (such as 2508.13426 "
                                  f"or https://arxiv.org/abs/2508.13426).")


def test_a_long_bad_entry_is_shortened_in_the_message():
    with pytest.raises(SeedError) as refused:
        seeds_parse("x" * 500)
    assert str(refused.value).startswith(f"“{'x' * 59}…” is not an arXiv id")
    assert len(str(refused.value)) < 150


def test_at_most_fifty_papers_counted_once_each():
    assert len(seeds_parse("\n".join(new_ids(50) + new_ids(1)))) == 50  # a repeat is one paper
    with pytest.raises(SeedError, match=r"^At most 50 seed papers, please; you have 51\.$"):
        seeds_parse("\n".join(new_ids(51)))


# --- reading an export -----------------------------------------------------------------------


def test_the_arxiv_papers_of_a_bibtex_library_are_taken_and_the_others_skipped():
    assert seeds_from_export(BIBTEX) == BIBTEX_IDS


def test_the_arxiv_papers_of_a_zotero_csl_json_export_are_taken():
    assert seeds_from_export(CSL_JSON) == CSL_JSON_IDS
    # Some tools escape the slashes of JSON strings; the ids are found all the same.
    assert seeds_from_export(CSL_JSON.replace("/", "\\/")) == CSL_JSON_IDS


@pytest.mark.parametrize(("export", "message"), [
    (NOT_ON_ARXIV, "No arXiv paper found in the file"),
    (json.dumps([json.loads(CSL_JSON)[3]]), "No arXiv paper found in the file"),
    ('[{"title": "cut off', "The file looks like JSON but cannot be read"),
])
def test_an_export_without_an_arxiv_paper_is_refused(export, message):
    with pytest.raises(SeedError, match=f"^{message}"):
        seeds_from_export(export)


def test_an_export_of_more_than_fifty_arxiv_papers_is_refused():
    library = "\n".join(f"@misc{{p{n}, eprint = {{{arxiv_id}}}}}"
                        for n, arxiv_id in enumerate(new_ids(60)))
    with pytest.raises(SeedError, match="you have 60"):
        seeds_from_export(library)


# --- the signup and preferences pages --------------------------------------------------------


def bib_file(text: str = BIBTEX, name: str = "library.bib") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/x-bibtex")


def manage_url(reader: Subscriber) -> str:
    return reverse("subscriptions:manage", args=[tokens.token_make(subscriber=reader,
                                                                   purpose=tokens.MANAGE)])


@pytest.mark.django_db
def test_the_signup_page_offers_a_description_seed_papers_and_a_library_upload(client):
    page = client.get(SIGNUP).content.decode()
    for label in ["What you follow, in your own words", "Papers like the ones you want",
                  "…or your library"]:
        assert f">{label}<" in page
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="seed_file"' in page
    assert re.search(r'<input type="checkbox" name="recommendations"[^>]* checked', page)


@pytest.mark.django_db
def test_typed_seed_papers_and_an_uploaded_library_combine_into_the_subscription(client):
    data = signup_data("ada@example.org", description="Why networks generalize: grokking.",
                       seed_papers="2508.13426\nhttps://arxiv.org/abs/2402.00002v2",
                       recommendations="on", seed_file=bib_file())
    response = client.post(SIGNUP, data)
    assert response.status_code == 302 and response["Location"] == "/check-your-inbox/"
    preferences = SignupRequest.objects.get(email="ada@example.org").preferences
    assert preferences["seed_papers"].split("\n") == ["2508.13426", "2402.00002", "1706.03762",
                                                      "2401.00001"]
    assert preferences["description"] == "Why networks generalize: grokking."
    client.post(links_in(last_mail_to("ada@example.org"))["confirm"])
    reader = Subscriber.objects.get()
    assert reader.seed_ids == ["2508.13426", "2402.00002", "1706.03762", "2401.00001"]
    assert (reader.description, reader.recommendations) == (
        "Why networks generalize: grokking.", True)


@pytest.mark.django_db
def test_more_than_fifty_papers_with_the_library_are_refused_and_nothing_is_stored(client):
    library = "\n".join(f"@misc{{p{n}, eprint = {{{arxiv_id}}}}}"
                        for n, arxiv_id in enumerate(new_ids(25, start=100)))
    data = signup_data("ada@example.org", seed_papers="\n".join(new_ids(30)),
                       seed_file=bib_file(library))
    response = client.post(SIGNUP, data)
    assert response.status_code == 200
    assert response.context["form"].errors["seed_file"] == [
        "With the file you would have 55 seed papers; at most 50, please."]
    assert "With the file you would have 55 seed papers" in response.content.decode()
    assert not SignupRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"seed_papers": "2508.13426\nmy favourite paper"}, "seed_papers",
     "“my” is not an arXiv id or link"),
    ({"seed_file": "not a library"}, "seed_file", "No arXiv paper found in the file"),
    ({"seed_file": b"\xff\xfe\x00binary"}, "seed_file", "The file is not text (UTF-8)."),
])
def test_bad_seeds_on_the_signup_page_are_explained(client, changes, field, message):
    if "seed_file" in changes:
        content = changes["seed_file"]
        changes = {"seed_file": SimpleUploadedFile(
            "library.bib", content if isinstance(content, bytes) else content.encode())}
    response = client.post(SIGNUP, signup_data("ada@example.org", **changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not SignupRequest.objects.exists()


@pytest.mark.django_db
def test_the_preferences_page_saves_description_seeds_and_the_recommendations_choice(client):
    reader = SubscriberFactory(email="ada@example.org", interests="diffusion")
    data = signup_data("ada@example.org", description="Interpretability of language models.",
                       seed_papers="https://arxiv.org/abs/2508.13426v1", action="save")
    # A browser sends no value for a box left unticked.
    saved = client.post(manage_url(reader), data, follow=True).content.decode()
    assert "Saved. Your next digest follows these choices." in saved
    reader.refresh_from_db()
    assert (reader.description, reader.seed_ids, reader.recommendations) == (
        "Interpretability of language models.", ["2508.13426"], False)

    page = client.get(manage_url(reader)).content.decode()
    assert ">\nInterpretability of language models.</textarea>" in page
    assert ">\n2508.13426</textarea>" in page
    box = re.search(r'<input type="checkbox" name="recommendations"[^>]*>', page).group(0)
    assert "checked" not in box  # off stays off the next time the reader saves

    client.post(manage_url(reader), {**data, "seed_file": bib_file()})
    reader.refresh_from_db()
    assert reader.seed_ids == ["2508.13426", "1706.03762", "2401.00001"]
    assert reader.recommendations is False
    client.post(manage_url(reader), {**data, "recommendations": "on"})
    reader.refresh_from_db()
    assert reader.recommendations is True
