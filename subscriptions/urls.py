from django.urls import path

from subscriptions import views
from subscriptions.teams import urls as team_urls

app_name = "subscriptions"
urlpatterns = [
    path("", views.signup, name="signup"),
    path("check-your-inbox/", views.check_inbox, name="check-inbox"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/my-data.json", views.my_data, name="my-data"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("link/", views.link_request, name="link"),
    path("help/filters/", views.filter_help, name="filter-help"),
    *[path(name, views.icon, {"name": name}, name=name) for name in views.ICONS],
    *team_urls.urlpatterns,
]
