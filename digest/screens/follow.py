"""The page behind a card's "Follow this paper" link: the feedback links' signed link with the
action "follow" (digest.learn.votes), recorded the same way. GET records nothing (mail
scanners open every link); the page's script POSTs at once (a reader without scripts presses
its button), and the POST records the follow; Undo unfollows."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from digest.follow.events import UPVOTE_MILESTONES
from digest.follow.follows import follow_record, follow_remove
from digest.learn.votes import Feedback


def follow_page(request: HttpRequest, feedback: Feedback) -> HttpResponse:
    """Called by the feedback view, which has read the link and allows GET, HEAD and POST."""
    context = {"paper": feedback.paper, "state": "asked",
               "updates_on": feedback.subscriber.follow_updates,
               "milestones": ", ".join(str(m) for m in UPVOTE_MILESTONES)}
    if request.method == "POST":
        if request.POST.get("undo"):
            follow_remove(subscriber=feedback.subscriber, paper=feedback.paper)
            context["state"] = "undone"
        else:
            follow_record(subscriber=feedback.subscriber, paper=feedback.paper,
                          now=timezone.now())
            context["state"] = "recorded"
    return render(request, "digest/follow.html", context)
