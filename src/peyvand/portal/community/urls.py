from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.portal.community import views

app_name = "community"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("products/<int:product_id>/", views.forum, name="forum"),
    path("products/<int:product_id>/threads/new/", views.thread_new, name="thread_new"),
    path("products/<int:product_id>/ideas/", views.ideas, name="ideas"),
    path("products/<int:product_id>/ideas/new/", views.idea_new, name="idea_new"),
    path("threads/<int:pk>/", views.thread_detail, name="thread"),
    path("threads/<int:pk>/reply/", views.thread_reply, name="thread_reply"),
    path("threads/<int:pk>/accept/", views.thread_accept, name="thread_accept"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/vote/", views.post_vote, name="post_vote"),
    path("posts/<int:pk>/report/", views.post_report, name="post_report"),
    path("ideas/<int:pk>/vote/", views.idea_vote, name="idea_vote"),
    path("ideas/<int:pk>/follow/", views.idea_follow, name="idea_follow"),
]
