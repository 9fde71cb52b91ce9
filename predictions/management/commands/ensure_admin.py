import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Make sure an admin account exists. A new one gets ADMIN_PASSWORD, or a generated "
        "password printed once. An existing account is left as it is."
    )

    def handle(self, *args: object, **options: object) -> None:
        User = get_user_model()
        username = os.environ.get("ADMIN_USERNAME", "admin")
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Admin account '{username}' already exists; its password is unchanged.")
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        if os.environ.get("ADMIN_PASSWORD"):
            self.stdout.write(f"Created admin account '{username}' with the password from ADMIN_PASSWORD.")
        else:
            self.stdout.write(
                f"Created admin account '{username}' with password: {password}\n"
                "(shown only this once; set ADMIN_PASSWORD to choose it)"
            )
