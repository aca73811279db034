"""Requests no page can answer sensibly, refused before they reach one."""

from django.http import HttpResponseBadRequest

ADMIN_PREFIX = "/admin/"


class RejectNulInAdminMiddleware:
    """A NUL character in an admin page's query string answers 400. The admin's list filters
    and search hand query values to the database, and PostgreSQL refuses NUL in text, so
    ?email=%00 would otherwise end in a server error. (Form fields refuse NUL themselves,
    and the public pages read no query value into a query.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(ADMIN_PREFIX) and any(
                "\x00" in key or any("\x00" in value for value in values)
                for key, values in request.GET.lists()):
            return HttpResponseBadRequest("Bad request: a NUL character in the address.")
        return self.get_response(request)
