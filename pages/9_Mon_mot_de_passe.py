"""Changer mon mot de passe: the current one is asked, every other session of the account ends."""

from core.lifecycle import Screen
from ui import auth
from ui.layout import page

actor = page(Screen.PASSWORD)
auth.password_page(actor)
