"""The page behind a digest's "More like this" / "Less like this" links (and, through
digest.screens.follow, "Follow this paper").

GET shows what the click means and records nothing: mail scanners open every link of a
message, and they do not run pages. The page's script POSTs at once (a reader without
scripts presses its button), and the POST records the vote. The link is the credential (signed
per reader, paper and action): no session, no CSRF cookie, from any mail client."""

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from kombu.exceptions import OperationalError

from config.logs import log_event
from digest.learn.reader_models import reader_top_papers
from digest.learn.votes import FOLLOW, BadFeedbackLink, feedback_read, vote_record, vote_undo
from digest.screens.follow import follow_page
from digest.tasks import refit_reader
from subscriptions.private_pages import token_page

log = logging.getLogger(__name__)

SHOWN = 5


@csrf_exempt  # the signed link is the credential; a mail client has no session or cookie
@token_page
@require_http_methods(["GET", "HEAD", "POST"])  # scanners send HEAD: answer, record nothing
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feedback = feedback_read(token=token)
    except BadFeedbackLink:
        return render(request, "subscriptions/bad_link.html", {"reason": "invalid"}, status=400)
    if feedback.action == FOLLOW:
        return follow_page(request, feedback)
    context = {"feedback": feedback, "paper": feedback.paper, "state": "asked"}
    if request.method == "POST":
        if request.POST.get("undo"):
            vote_undo(feedback=feedback)
            context["state"] = "undone"
        else:
            vote_record(feedback=feedback, now=timezone.now())
            context["state"] = "recorded"
        refit_soon(feedback.subscriber.pk)
        # What the model ranks highest after this click (refit here if the task has not yet).
        context["top"] = reader_top_papers(subscriber=feedback.subscriber,
                                           day=timezone.localdate(), limit=SHOWN)
    return render(request, "digest/feedback.html", context)


def refit_soon(subscriber_id: int) -> None:
    """The worker refits the reader's profile once the vote is committed. A broker that is
    down costs nothing here: the next digest refits a stale profile anyway."""
    def queue() -> None:
        try:
            refit_reader.delay(subscriber_id)
        except OperationalError as error:
            log_event(log, logging.WARNING, "Refit not queued", error=str(error))

    transaction.on_commit(queue)
