from django.contrib import admin
from django.urls import include, path

from digest.screens import feeds, papers_pages
from digest.screens import views as digest_views
from digest.screens.dashboard import dashboard
from digest.screens.feedback import feedback

admin.site.site_header = "Paperboy operations"
admin.site.site_title = "Paperboy"
admin.site.index_title = "Run Paperboy"
# The list pages need the page's width (the home page and the breadcrumbs lead everywhere).
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", include("subscriptions.urls")),
    path("papers/", papers_pages.latest_papers, name="latest-papers"),
    path("papers/<path:arxiv_id>/", papers_pages.paper_page, name="paper"),
    path("archive/", papers_pages.archive, name="archive"),
    path("archive/<str:day>/", papers_pages.papers_of_day, name="archive-day"),
    path("preview/", digest_views.preview, name="preview"),
    path("d/<str:token>/", digest_views.digest_view, name="digest-view"),
    path("v/<str:token>/", feedback, name="feedback"),
    # Atom feeds; a reader's own is last, so "papers" is never read as a token.
    path("feeds/papers.atom", feeds.archive_feed, name="archive-feed"),
    path("feeds/topics/<slug:slug>.atom", feeds.topic_feed, name="topic-feed"),
    path("feeds/<str:token>.atom", feeds.reader_feed, name="reader-feed"),
    path("admin/dashboard/", dashboard, name="admin-dashboard"),
    path("admin/", admin.site.urls),
    # ESP tracking webhooks, /anymail/<esp>/tracking/, behind ANYMAIL["WEBHOOK_SECRET"]:
    # Anymail's views, where an unreadable payload is a 400 and any other error a 500.
    path("anymail/", include("subscriptions.webhook_urls")),
]
