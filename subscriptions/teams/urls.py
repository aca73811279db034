"""The team pages' addresses, part of the readers' pages (subscriptions.urls)."""

from django.urls import path

from subscriptions.teams import views

urlpatterns = [
    path("manage/<str:token>/teams/", views.teams, name="teams"),
    path("manage/<str:token>/teams/<str:key>/", views.team, name="team"),
    # Signed links: their first segment is in config.log_redaction.TOKEN_ROUTES.
    path("join/<str:token>/", views.join, name="team-join"),
    path("team-confirm/<str:token>/", views.confirm, name="team-confirm"),
    path("team-u/<str:token>/", views.unsubscribe, name="team-unsubscribe"),
]
