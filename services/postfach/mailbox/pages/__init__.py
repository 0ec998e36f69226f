"""The German inbox page (Postkorb) of the mailbox: login through the Nutzerkonto, list, read, download, reply."""

from services.postfach.mailbox.pages.endpoints import router

__all__ = ["router"]
