from django.urls import include, path

from kam.core.views import HomeView
from kam.org import views as org_views

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/login/", org_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", org_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", org_views.PasswordChangeView.as_view(), name="password_change"),
    path("org/", include("kam.org.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("kam.api.urls")),
    path("system/", include("kam.system.urls")),
    path("exchange/", include("kam.exchange.urls")),
    path("managers/", include("kam.managers.urls")),
    path("customers/", include("kam.customers.urls")),
    path("work/", include("kam.work.urls")),
    path("processes/", include("kam.processes.urls")),
    path("todo/", include("kam.todo.urls")),
    path("assessment/", include("kam.assessment.urls")),
    path("", include("kam.jobs.urls")),
    path("", include("kam.audit.urls")),
]
