"""HTTP of the inbox page."""

from fastapi import APIRouter

router = APIRouter(prefix="/postkorb", tags=["Postkorb (Seiten)"], include_in_schema=False)
