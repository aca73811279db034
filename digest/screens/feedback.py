"""The page behind a digest's "More like this" / "Less like this" links.

GET shows what the click means and records nothing: mail scanners open every link of a
message, and they do not run pages. The page's script POSTs at once (a reader without
scripts presses its button), and the POST records the vote. The link is the credential (signed
per reader, paper and action): no session, no CSRF cookie, from any mail client."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from digest.learn.reader_models import reader_top_papers
from digest.learn.votes import BadFeedbackLink, feedback_read, vote_record, vote_undo
from subscriptions.private_pages import token_page

SHOWN = 5


@csrf_exempt  # the signed link is the credential; a mail client has no session or cookie
@token_page
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feedback = feedback_read(token=token)
    except BadFeedbackLink:
        return render(request, "subscriptions/bad_link.html", {"reason": "invalid"}, status=400)
    context = {"feedback": feedback, "paper": feedback.paper, "state": "asked"}
    if request.method == "POST":
        if request.POST.get("undo"):
            vote_undo(feedback=feedback)
            context["state"] = "undone"
        else:
            vote_record(feedback=feedback, now=timezone.now())
            context["state"] = "recorded"
        # Refit now: the page shows what the model ranks highest after this click, and the
        # profile the next tick scores with is stored.
        context["top"] = reader_top_papers(subscriber=feedback.subscriber,
                                           day=timezone.localdate(), limit=SHOWN)
    return render(request, "digest/feedback.html", context)
