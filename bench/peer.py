"""The peer: a minimal Django project using the stock django.contrib.auth password reset
(PasswordResetView, PasswordResetConfirmView) and LoginView, generated under target/ at run time.

SQLite in WAL mode, gunicorn with 2 sync workers, Argon2 with Latchkey's parameters
(m = 19456 KiB, t = 2, p = 1), mail by SMTP to the same smtp-sink as Latchkey.
"""

import os
import textwrap

SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": False,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
WSGI_APPLICATION = "peer.wsgi.application"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": BASE_DIR / "db.sqlite3",
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    },
}}
PASSWORD_HASHERS = ["peer.hashers.BenchArgon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/accounts/password_change/"
PASSWORD_RESET_TIMEOUT = 1800
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = {smtp_port}
DEFAULT_FROM_EMAIL = "peer@example.com"
LOGGING = {"version": 1, "disable_existing_loggers": True}
"""

HASHERS = """\
from django.contrib.auth.hashers import Argon2PasswordHasher


class BenchArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456
    parallelism = 1
"""

URLS = """\
from django.urls import include, path

urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]
"""

WSGI = """\
import os
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
application = get_wsgi_application()
"""

MANAGE = """\
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
"""

FORM_PAGE = """<!doctype html><title>{title}</title>
<form method="post">{{% csrf_token %}}{{{{ form.as_p }}}}<button>Send</button></form>
"""

TEMPLATES = {
    "registration/login.html": FORM_PAGE.format(title="Sign in"),
    "registration/password_reset_form.html": FORM_PAGE.format(title="Forgot password"),
    "registration/password_reset_confirm.html": FORM_PAGE.format(title="New password"),
    "registration/password_change_form.html": FORM_PAGE.format(title="Change password"),
    "registration/password_reset_done.html": "<!doctype html><p>If the address is known, a link is on its way.</p>\n",
    "registration/password_reset_complete.html": "<!doctype html><p>Your password was changed.</p>\n",
    "registration/password_reset_subject.txt": "Reset your password",
    "registration/password_reset_email.html": textwrap.dedent("""\
        Hello {{ user.get_username }},

        someone asked to reset your password. Choose a new one here:
        {{ protocol }}://{{ domain }}{% url 'password_reset_confirm' uidb64=uid token=token %}

        If it wasn't you, ignore this mail.
        """),
}

SETUP = """\
import os
import sys

import django

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
django.setup()
"""

# Seeds users sharing one precomputed hash (hashing 5,000 passwords would only cost time), and
# prints the reset paths for the first N users, one per line.
SEED = """\
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

User = get_user_model()
count, password = int(sys.argv[1]), sys.argv[2]
hashed = make_password(password)
User.objects.bulk_create(
    [User(username=f"user{i:05d}", email=f"user{i:05d}@example.com", password=hashed)
     for i in range(count)],
    batch_size=1000,
)
"""

LINKS = """\
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

User = get_user_model()
first, n = int(sys.argv[1]), int(sys.argv[2])
for u in User.objects.order_by("id")[first:first + n]:
    uid = urlsafe_base64_encode(force_bytes(u.pk))
    print(f"/accounts/reset/{uid}/{default_token_generator.make_token(u)}/")
"""


def generate(root, smtp_port):
    """Writes the project to `root` (which must not exist)."""
    files = {
        "manage.py": MANAGE,
        "seed.py": SETUP + SEED,
        "links.py": SETUP + LINKS,
        "peer/__init__.py": "",
        "peer/settings.py": SETTINGS.replace("{smtp_port}", str(smtp_port)),
        "peer/hashers.py": HASHERS,
        "peer/urls.py": URLS,
        "peer/wsgi.py": WSGI,
    }
    files.update({f"templates/{k}": v for k, v in TEMPLATES.items()})
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
