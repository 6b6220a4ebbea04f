"""Changer mon mot de passe: the current one is asked, every other session of the account ends."""

from ui import auth
from ui.layout import page

actor = page("Changer mon mot de passe")
auth.password_page(actor)
