"""The community's staff screens, mounted at /community/ (the portal serves the customers')."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.portal.community import staff_views

app_name = "community"

urlpatterns: list[URLPattern] = [
    path("", staff_views.moderation_queue, name="queue"),
    path("threads/", staff_views.thread_list, name="thread_list"),
    path("threads/<int:pk>/", staff_views.thread_detail, name="thread"),
    path("threads/<int:pk>/reply/", staff_views.thread_reply, name="thread_reply"),
    path("threads/<int:pk>/accept/", staff_views.thread_accept, name="thread_accept"),
    path("posts/<int:pk>/moderate/", staff_views.post_moderate, name="post_moderate"),
    path("ideas/", staff_views.idea_list, name="idea_list"),
    path("ideas/<int:pk>/", staff_views.idea_detail, name="idea"),
    path("ideas/<int:pk>/status/", staff_views.idea_status, name="idea_status"),
]
