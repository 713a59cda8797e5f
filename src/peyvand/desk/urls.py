from __future__ import annotations

from django.urls import path

from peyvand.desk import views

app_name = "desk"

urlpatterns = [
    path("", views.my_desk, name="my_desk"),
    path("desk/department/<slug:code>/", views.department_desk, name="department_desk"),
    path("desks/", views.all_desks, name="all_desks"),
    path("desk/user/<int:pk>/", views.user_desk, name="user_desk"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/reopen/", views.task_reopen, name="task_reopen"),
    path("tasks/<int:pk>/assign/", views.task_assign, name="task_assign"),
    path("tasks/<int:pk>/comment/", views.task_comment, name="task_comment"),
]
