"""Streamlit helpers shared by the pages: guard, menu, badges, formatting, dialogs."""
